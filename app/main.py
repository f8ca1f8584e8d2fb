"""The ASGI application: `uvicorn app.main:app` serves it from the repository root."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import Running, require_api_key
from app.api.routes import (
    corrections,
    health,
    inference_protocol,
    metrics,
    model,
    noop,
    predict,
    read,
    ui,
)
from app.core.config import Settings, get_settings
from app.core.errors import install_error_handlers
from app.data_plane import DataPlane
from app.feedback.corrections import Feedback
from app.telemetry import RequestMetricsMiddleware, Telemetry
from app.uploads import UploadLimits, UploadReader
from app.versions import ModelVersions
from digits.runtime import ModelLoadError

log = logging.getLogger("app")
STATIC_DIR = Path(__file__).parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the model versions once and warm them up, then report ready."""
    settings: Settings = app.state.settings
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    versions = ModelVersions(settings, app.state.telemetry)
    try:
        await versions.start()
    except ModelLoadError as exc:
        app.state.startup_error = str(exc)
        raise
    feedback = Feedback.from_settings(settings, app.state.telemetry)
    await feedback.start()
    tidying = asyncio.create_task(feedback.keep_tidy(), name="feedback-tidying")
    telemetry = app.state.telemetry
    reader = UploadReader(UploadLimits.from_settings(settings))
    plane = DataPlane(telemetry, feedback.capture)
    running = Running(settings, versions, reader, plane, telemetry, feedback)
    app.state.running = running
    served = versions.get()
    log.info(
        "model %s version %s loaded from %s; ready",
        served.model.answering.name,
        served.version,
        served.path,
    )
    try:
        yield
    finally:
        running.ready = False
        tidying.cancel()
        await feedback.close()
        await versions.close()


class StartupErrorMiddleware:
    """Turns a failed startup into one clear line (uvicorn then exits non-zero), not a traceback."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_short_error(message: Message) -> None:
            error = getattr(self.fastapi_app.state, "startup_error", None)
            if message["type"] == "lifespan.startup.failed" and error:
                message = {**message, "message": f"cannot start: {error}"}
            await send(message)

        await self.app(scope, receive, send_short_error)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPIOffline(  # FastAPI whose /docs and /redoc serve their assets locally, no CDN
        title="Digit recognition",
        version="1.0.0",
        summary="Recognise handwritten digits in uploaded images with a CNN trained on MNIST.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.telemetry = Telemetry()
    install_error_handlers(app)
    # the key check only where a key is set: its dependency has a cost per request otherwise
    key_check = [Depends(require_api_key)] if settings.api_key else []
    protected = (
        predict.router,
        read.router,
        corrections.router,
        model.admin,
        inference_protocol.inference,
    )
    for router in protected:
        app.include_router(router, dependencies=key_check)
    for router in (
        corrections.operators,
        metrics.router,
        health.router,
        model.router,
        inference_protocol.metadata,
        ui.router,
    ):
        app.include_router(router)
    if settings.noop_route:
        app.include_router(noop.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["*"],
        )
    app.add_middleware(RequestMetricsMiddleware, telemetry=app.state.telemetry)
    app.add_middleware(StartupErrorMiddleware, fastapi_app=app)
    return app


app = create_app()
