"""Dependencies shared by routes: what the app runs (`Running`), its feedback, and the keys (the
version that answers a request is taken from its query options: `app.api.options`).

All are `async def`: FastAPI runs a plain `def` dependency in the threadpool, a thread hop per
request that costs more than the check itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.core.config import Settings
from app.core.errors import ApiError
from app.data_plane import DataPlane
from app.feedback.corrections import Feedback
from app.telemetry import Telemetry
from app.uploads import UploadReader
from app.versions import ModelVersions

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
bearer = HTTPBearer(auto_error=False)


@dataclass
class Running:
    """What the app holds from startup to shutdown; routes take the parts they need."""

    settings: Settings
    versions: ModelVersions
    reader: UploadReader
    plane: DataPlane
    telemetry: Telemetry
    feedback: Feedback
    ready: bool = True


async def get_running(request: Request) -> Running:
    running: Running | None = getattr(request.app.state, "running", None)
    if running is None or not running.ready:
        raise ApiError(503, "not_ready", "The model is not loaded yet.")
    return running


async def get_feedback(request: Request) -> Feedback:
    return (await get_running(request)).feedback


async def require_operator_key(
    request: Request,
    header_key: str | None = Security(api_key_header),
    credentials: HTTPAuthorizationCredentials | None = Security(bearer),
) -> None:
    """The operator routes (corrections listed, exported, deleted) need DIGITS_OPERATOR_KEY;
    where none is set they are closed."""
    settings: Settings = request.app.state.settings
    if settings.operator_key is None:
        raise ApiError(
            403,
            "forbidden",
            "The operator routes are closed: set DIGITS_OPERATOR_KEY to open them.",
        )
    given = header_key or (credentials.credentials if credentials else None)
    if given is None or not secrets.compare_digest(given, settings.operator_key.get_secret_value()):
        raise ApiError(401, "unauthorized", "The operator key is required (X-API-Key or Bearer).")


async def require_api_key(
    request: Request,
    header_key: str | None = Security(api_key_header),
    credentials: HTTPAuthorizationCredentials | None = Security(bearer),
) -> None:
    """When DIGITS_API_KEY is set, prediction needs it as X-API-Key or a Bearer token."""
    check_api_key(
        request.app.state.settings,
        header_key or (credentials.credentials if credentials else None),
        "A valid API key is required (X-API-Key or Bearer).",
    )


def check_api_key(settings: Settings, given: str | None, message: str) -> None:
    """The one check of the API key, however it was sent (header, bearer token, the page's form
    field); nothing to check where no key is configured."""
    expected = settings.api_key
    if expected is None:
        return
    if given is None or not secrets.compare_digest(given, expected.get_secret_value()):
        raise ApiError(401, "unauthorized", message)
