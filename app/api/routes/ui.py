"""The browser page: GET / to draw or upload a digit, POST / for the no-JavaScript form."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import check_api_key, get_service
from app.service import Service
from app.uploads import already_read
from digits.errors import NotADigit, Refusal, SeveralDigits

router = APIRouter(include_in_schema=False)
KEY_MESSAGE = "A valid API key is required."
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")


def page_context(service: Service) -> dict:
    """What every page says: the model, whether a key is asked for, and what is kept."""
    settings = service.settings
    return {
        "model": service.model_info(),
        "key_required": settings.api_key is not None,
        "capture_percent": f"{settings.capture_percent:g}" if settings.capture_percent else None,
        "capture_days": f"{settings.capture_days:g}",
    }


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, service: Service = Depends(get_service)) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", page_context(service))


@router.post("/", response_class=HTMLResponse)
async def form_result(request: Request, service: Service = Depends(get_service)) -> HTMLResponse:
    """The same answers as /predict (or /read, with the form's mode "number"), rendered as a
    page for browsers without JavaScript."""
    context = page_context(service)
    status = 200
    try:
        uploads, form = await service.reader.form_image(request)
        given = form.get("api_key")
        check_api_key(service.settings, given if isinstance(given, str) else None, KEY_MESSAGE)
        if form.get("mode") == "number":
            context["reading"] = await service.read_number(already_read(uploads), False, False)
        else:
            [context["result"]] = await service.classify(
                already_read(uploads), include_input=True, one_digit=True
            )
            if context["result"].error:  # not a digit: said so, the guess shown faintly
                raise NotADigit(context["result"].model_dump())
    except NotADigit as exc:  # said so, the guess shown faintly
        service.telemetry.rejected(exc.code)
        status = exc.status
        if isinstance(exc, SeveralDigits):  # a number: and what /read makes of it
            guess = exc.guess | {"error": True}
            context.update(result=guess, several=exc.reading, not_digit_message=exc.message)
        elif "text" in exc.guess:  # a number with a part that is no digit
            context.update(reading=exc.guess, not_a_digit=True, not_digit_message=exc.message)
    except Refusal as exc:
        service.telemetry.rejected(exc.code)
        context["error"], status = exc.message, exc.status
    return templates.TemplateResponse(request, "result.html", context, status_code=status)
