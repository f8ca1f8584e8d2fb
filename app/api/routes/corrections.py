"""POST /corrections: a person says what an answer (or an image) really is; and the operators'
routes over what was sent: list, export for training, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BeforeValidator, ValidationError

from app.api.deps import Running, get_feedback, get_running, require_operator_key
from app.core.errors import ApiError, error_responses
from app.feedback.corrections import Feedback
from app.feedback.export import export_zip
from app.feedback.labels import Label, parse_label
from app.feedback.tables import Correction
from app.preparing import open_all, prepare
from app.schemas import CorrectionList, CorrectionReceipt, CorrectionRecord, CorrectionRequest
from app.uploads import Upload
from digits.contract import NOT_A_DIGIT

router = APIRouter(tags=["corrections"])  # the API key check is added by create_app when set
operators = APIRouter(
    prefix="/corrections", tags=["operators"], dependencies=[Depends(require_operator_key)]
)

CORRECTION_BODY = {
    "requestBody": {
        "required": True,
        "description": "Either an answer's `id` with its right `label` (JSON), where that "
        "answer's input was captured; or an image (the same uploads and limits as /predict) "
        "with its `label`: multipart fields `file` and `label`, or the raw image with "
        "`?label=`. A digit or `not_a_digit` labels the image as /predict reads it; a number "
        "labels it as /read reads it.",
        "content": {
            "application/json": {"schema": CorrectionRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "label"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "label": {"type": "string"},
                    },
                }
            },
            "image/*": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
ERRORS = error_responses(400, 401, 404, 413, 415, 422, 429, 503)
LABEL = Query(None, description="with a raw image body: its label")
MAX_OFFSET = 2**31 - 1  # within every database's integers


def iso_time(value: object) -> object:
    """A time as the schema says it (ISO 8601, `2026-12-01T12:00:00Z`); a bare number, which
    pydantic would take as seconds since 1970, is refused rather than guessed at."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("a date-time in ISO 8601, not a number")
    return value


Time = Annotated[datetime, BeforeValidator(iso_time)]


def record(correction: Correction) -> dict:
    return CorrectionRecord.model_validate(correction, from_attributes=True).model_dump()


@router.post(
    "/corrections",
    status_code=201,
    response_model=CorrectionReceipt,
    responses=ERRORS,
    openapi_extra=CORRECTION_BODY,
    operation_id="correct",
    summary="Say what an answer or an image really is",
)
async def correct(
    request: Request,
    label: str | None = LABEL,
    running: Running = Depends(get_running),
    feedback: Feedback = Depends(get_feedback),
) -> CorrectionReceipt:
    client = feedback.admit(request.client.host if request.client else None)
    await feedback.ready()  # a database that is down: 503 before anything is read
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("application/json"):
        reader = running.reader  # a correction's JSON is bounded as one image is
        asked = correction_request(await reader.body(request, reader.limits.image_bytes))
        answer_id, given = asked.id, parse_label(asked.label)
    else:
        uploads, sent_label = await image_and_label(request, running, label)
        given = parse_label(sent_label)
        answer_id = await answer_to_correct(running, uploads, given)
    stored, replaced = await feedback.correct(answer_id, given, client)
    return CorrectionReceipt(**record(stored), replaced=replaced)


def correction_request(body: bytes) -> CorrectionRequest:
    try:
        return CorrectionRequest.model_validate(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "The body is not valid JSON.") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ApiError(422, "invalid_request", f"{where}: {first['msg']}") from None


async def image_and_label(
    request: Request, running: Running, label: str | None
) -> tuple[list[Upload], object]:
    """The image and its label: multipart fields `file` and `label`, or a raw image body with
    `?label=`."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        uploads, form = await running.reader.form_image(request)
        return uploads, form.get("label", label)
    return await running.reader.image(request), label


async def answer_to_correct(running: Running, uploads: list[Upload], label: Label) -> str:
    """Answer the image as the label says it should be read (one digit as /predict, a number
    as /read), its input kept, so that the correction records what the model said of it."""
    max_pixels = running.settings.max_pixels
    with running.versions.lease() as lease:
        if label.is_digit or label.text == NOT_A_DIGIT:
            images = await prepare(uploads, max_pixels)
            return (await running.plane.predict(lease, images, keep=True)).ids[0]
        [image] = open_all(uploads, max_pixels)
        return (await running.plane.read(lease, image, always_guess=True, keep=True)).id


@operators.get(
    "",
    response_model=CorrectionList,
    responses=error_responses(401, 403, 503),
    summary="List the corrections (operators)",
)
async def list_corrections(
    after: Time | None = Query(None, description="made at or after this time (UTC)"),
    before: Time | None = Query(None, description="made before this time (UTC)"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    feedback: Feedback = Depends(get_feedback),
) -> CorrectionList:
    await feedback.ready()
    store = feedback.store
    rows = await to_thread.run_sync(store.corrections, naive(after), naive(before), limit, offset)
    total = await to_thread.run_sync(store.count)
    return CorrectionList(corrections=[record(r) for r in rows], total=total)


@operators.get(
    "/export",
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
        **error_responses(401, 403, 503),
    },
    summary="Export corrections for training (operators): a zip `python -m training` reads",
)
async def export(
    after: Time | None = Query(None, description="made at or after this time (UTC)"),
    before: Time | None = Query(None, description="made before this time (UTC)"),
    feedback: Feedback = Depends(get_feedback),
) -> Response:
    await feedback.ready()
    rows = await to_thread.run_sync(feedback.store.corrections, naive(after), naive(before))
    archive = await to_thread.run_sync(export_zip, rows)
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="corrections.zip"'},
    )


@operators.delete(
    "",
    responses=error_responses(401, 403, 422, 503),
    summary="Delete the corrections made before a time (operators)",
)
async def delete_before(
    before: Annotated[Time, Query(description="delete those made before this time (UTC)")],
    feedback: Feedback = Depends(get_feedback),
) -> dict:
    await feedback.ready()
    deleted = await to_thread.run_sync(feedback.store.delete_before, naive(before))
    return {"deleted": deleted}


@operators.delete(
    "/{correction_id}",
    status_code=204,
    responses=error_responses(401, 403, 404, 503),
    summary="Delete one correction (operators)",
)
async def delete_one(correction_id: str, feedback: Feedback = Depends(get_feedback)) -> Response:
    await feedback.ready()
    if not await to_thread.run_sync(feedback.store.delete, correction_id):
        raise ApiError(404, "correction_not_found", f"No correction has id {correction_id!r}.")
    return Response(status_code=204)


def naive(when: datetime | None) -> datetime | None:
    """A time as the tables hold it (naive UTC); one given without a zone is taken as UTC."""
    if when is None or when.tzinfo is None:
        return when
    try:
        return when.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # within a day of year 1 or 9999: before or after any correction
        return datetime.min if when.year == 1 else datetime.max
