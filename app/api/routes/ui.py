"""The browser page: GET / to draw or upload a digit, POST / for the no-JavaScript form."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.answers import number_reading, one_digit, predictions, whole_number
from app.api.deps import Running, check_api_key, get_running
from app.api.options import ModelOptions
from app.api.routes.model import describe_model
from app.preparing import open_all, prepare
from app.schemas import NumberReading
from app.uploads import Upload
from app.versions import Lease
from digits.errors import NotADigit, Refusal, SeveralDigits

router = APIRouter(include_in_schema=False)
KEY_MESSAGE = "A valid API key is required."
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")


def page_context(running: Running) -> dict:
    """What every page says: the model, whether a key is asked for, and what is kept."""
    settings = running.settings
    return {
        "model": describe_model(running.versions),
        "key_required": settings.api_key is not None,
        "capture_percent": f"{settings.capture_percent:g}" if settings.capture_percent else None,
        "capture_days": f"{settings.capture_days:g}",
    }


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, running: Running = Depends(get_running)) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", page_context(running))


@router.post("/", response_class=HTMLResponse)
async def form_result(request: Request, running: Running = Depends(get_running)) -> HTMLResponse:
    """The same answers as /predict (or /read, with the form's mode "number"), rendered as a
    page for browsers without JavaScript."""
    context = page_context(running)
    status = 200
    lease = ModelOptions.of(request).lease(running)
    try:
        with lease:
            await answer_form(request, running, lease, context)
    except NotADigit as exc:  # said so, the guess shown faintly
        running.telemetry.rejected(exc.code)
        status = exc.status
        if isinstance(exc, SeveralDigits):  # a number: and what /read makes of it
            guess = exc.guess | {"error": True}
            context.update(result=guess, several=exc.reading, not_digit_message=exc.message)
        elif "text" in exc.guess:  # a number with a part that is no digit
            context.update(reading=exc.guess, not_a_digit=True, not_digit_message=exc.message)
    except Refusal as exc:
        running.telemetry.rejected(exc.code)
        context["error"], status = exc.message, exc.status
    return templates.TemplateResponse(request, "result.html", context, status_code=status)


async def answer_form(request: Request, running: Running, lease: Lease, context: dict) -> None:
    """The form's upload answered into the page's context; a refusal raised, as /predict's."""
    uploads, form = await running.reader.form_image(request)
    given = form.get("api_key")
    check_api_key(running.settings, given if isinstance(given, str) else None, KEY_MESSAGE)
    if form.get("mode") == "number":
        context["reading"] = await read_number(running, lease, uploads)
    else:
        images = await prepare(uploads, running.settings.max_pixels)
        answers = await running.plane.predict(lease, images)
        [context["result"]] = predictions(lease, answers, uploads, images, False)
        await one_digit(
            running.plane, lease, context["result"], uploads[0], running.settings.max_pixels
        )


async def read_number(running: Running, lease: Lease, uploads: list[Upload]) -> NumberReading:
    [image] = open_all(uploads, running.settings.max_pixels)
    number = await running.plane.read(lease, image)
    return whole_number(number_reading(lease, number, False), number, False)
