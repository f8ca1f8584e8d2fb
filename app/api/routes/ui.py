"""The browser page: GET / to draw or upload a digit, POST / for the no-JavaScript form."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.api.deps import get_service
from app.preprocess import ImageRejected
from app.service import Service
from app.uploads import Upload, read_files

router = APIRouter(include_in_schema=False)
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
    settings = service.settings

    async def read() -> list[Upload]:
        uploads = await read_files(request, "file", 1, settings.max_upload_bytes)
        if key_required(service):
            given = str((await request.form()).get("api_key", ""))
            if not secrets.compare_digest(given, settings.api_key.get_secret_value()):
                raise ImageRejected(401, "unauthorized", "A valid API key is required.")
        return uploads

    context: dict = {"model": service.model_info(), "key_required": key_required(service)}
    status = 200
    try:
        [context["result"]] = await service.classify(read, include_input=True)
    except ImageRejected as exc:
        request.app.state.on_reject(exc.code)
        context["error"], status = exc.message, exc.status
    return templates.TemplateResponse(request, "result.html", context, status_code=status)
