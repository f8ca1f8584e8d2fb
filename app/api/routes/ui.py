"""The browser page: GET / to draw or upload a digit, POST / for the no-JavaScript form."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import check_api_key, get_service
from app.service import Service
from app.uploads import Upload
from digits.errors import Refusal

router = APIRouter(include_in_schema=False)
KEY_MESSAGE = "A valid API key is required."
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")


def key_required(service: Service) -> bool:
    return service.settings.api_key is not None


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, service: Service = Depends(get_service)) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "index.html",
        {"model": service.model_info(), "key_required": key_required(service)},
    )


@router.post("/", response_class=HTMLResponse)
async def form_result(request: Request, service: Service = Depends(get_service)) -> HTMLResponse:
    """The same classification as /predict, rendered as a page for browsers without JavaScript."""

    async def read() -> list[Upload]:
        uploads, form = await service.reader.form_image(request)
        given = form.get("api_key")
        check_api_key(service.settings, given if isinstance(given, str) else None, KEY_MESSAGE)
        return uploads

    context: dict = {"model": service.model_info(), "key_required": key_required(service)}
    status = 200
    try:
        [context["result"]] = await service.classify(read(), include_input=True)
        if context["result"].error:  # not a digit: said so, the guess shown faintly
            service.telemetry.rejected(context["result"].error.code)
            status = context["result"].error.status
    except Refusal as exc:
        service.telemetry.rejected(exc.code)
        context["error"], status = exc.message, exc.status
    return templates.TemplateResponse(request, "result.html", context, status_code=status)
