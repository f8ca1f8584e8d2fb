"""Getting image bytes out of requests, within limits enforced while the body is still arriving."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import ApiError, error_response

RAW_TYPES = ("image/", "application/octet-stream")
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file itself


@dataclass
class Upload:
    data: bytes
    filename: str | None


def too_large(limit: int) -> ApiError:
    image_limit = limit - MULTIPART_OVERHEAD
    return ApiError(413, "payload_too_large", f"The upload exceeds the {image_limit:,}-byte limit.")


class BodyLimitMiddleware:
    """Refuses oversized bodies from Content-Length at once, or as soon as the streamed bytes
    pass the limit: a huge upload is never buffered whole."""

    def __init__(self, app: ASGIApp, single_limit: int, batch_limit: int) -> None:
        self.app = app
        self.single_limit = single_limit + MULTIPART_OVERHEAD
        self.batch_limit = batch_limit + MULTIPART_OVERHEAD

    def limit_for(self, path: str) -> int:
        return self.batch_limit if path.rstrip("/").endswith("/batch") else self.single_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            error = too_large(limit)
            response = error_response(error.status, error.code, error.message)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, limited_receive, send)


async def read_raw_body(request: Request) -> bytes:
    chunks = [chunk async for chunk in request.stream()]
    return b"".join(chunks)


async def read_files(request: Request, field: str, max_files: int, max_bytes: int) -> list[Upload]:
    """The files of one multipart field, each checked against the per-image size limit."""
    try:
        form = await request.form(max_files=max_files, max_fields=max_files + 16)
    except HTTPException as exc:
        detail = str(exc.detail)
        if detail.startswith("Too many files"):
            raise ApiError(
                413, "too_many_files", f"Too many files: at most {max_files} per request."
            ) from None
        raise ApiError(400, "bad_multipart", f"Malformed multipart body: {detail}") from None
    values = form.getlist(field)
    if not values:
        fields = ", ".join(sorted(set(form.keys()))) or "none"
        raise ApiError(
            422,
            "missing_file",
            f"Send the image as multipart field '{field}' (got fields: {fields}).",
        )
    uploads = []
    for value in values:
        if not isinstance(value, UploadFile):
            raise ApiError(422, "not_a_file", f"Field '{field}' must be a file upload, not text.")
        data = await value.read()
        if len(data) > max_bytes:
            raise ApiError(
                413,
                "payload_too_large",
                f"{value.filename or 'a file'} exceeds {max_bytes:,} bytes.",
            )
        uploads.append(Upload(data, value.filename))
    return uploads


async def read_single(request: Request, max_bytes: int) -> Upload:
    """One image: multipart field `file`, or the raw body with an image/* content type."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        return (await read_files(request, "file", 1, max_bytes))[0]
    if not content_type or content_type.startswith(RAW_TYPES):
        return Upload(await read_raw_body(request), None)
    raise ApiError(
        415,
        "unsupported_media_type",
        f"Content type {content_type!r} is not accepted: send multipart/form-data with field "
        "'file', or the image itself with an image/* content type.",
    )


async def read_batch(request: Request, max_files: int, max_bytes: int) -> list[Upload]:
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send multipart/form-data with one or more 'files' fields.",
        )
    return await read_files(request, "files", max_files, max_bytes)
