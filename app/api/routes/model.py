"""GET /model: which model answers, what it takes, how well it was measured to do; POST
/model/reload: look for new or changed versions now (behind the API key where one is set)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from app.api.deps import get_service
from app.core.errors import error_responses
from app.schemas import ModelInfo, ReloadReport
from app.service import Service

router = APIRouter(tags=["model"])
admin = APIRouter(tags=["model"])  # the key check, where one is set


@router.get(
    "/model",
    response_model=ModelInfo,
    responses=error_responses(404, 503),
    summary="The served model",
)
async def model_info(
    version: str | None = Query(
        None, description="a loaded version (default: the one that answers)"
    ),
    service: Service = Depends(get_service),
) -> ModelInfo:
    return service.model_info(version)


@admin.post(
    "/model/reload",
    response_model=ReloadReport,
    responses=error_responses(401, 503),
    summary="Look at the model folder or repository now and load what changed",
    description="New or changed versions are checked (checksums, a warm-up inference) and loaded "
    "beside the old, then the latest answers; requests in flight finish on the version they "
    "started with. A version that fails its checks is listed under `refused` and the loaded "
    "versions keep answering. With a repository, a watcher does the same every "
    "DIGITS_MODEL_POLL_S seconds.",
)
async def reload(service: Service = Depends(get_service)) -> ReloadReport:
    report = await service.versions.sync()
    return ReloadReport(**service.versions.describe(report))
