"""GET /model: which model answers, what it takes, how well it was measured to do; POST
/model/reload: look for new or changed versions now (behind the API key where one is set)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from app.api.deps import Running, get_running
from app.core.errors import error_responses
from app.schemas import ModelInfo, ReloadReport
from app.versions import ModelVersions, SyncReport
from digits.contract import describe

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
    running: Running = Depends(get_running),
) -> ModelInfo:
    return describe_model(running.versions, version)


def dump(record: BaseModel | None) -> dict | None:
    return record.model_dump(mode="json") if record else None


def describe_model(versions: ModelVersions, version: str | None = None) -> ModelInfo:
    served = versions.get(version)
    card, answering = served.model.card, served.model.answering
    return ModelInfo(
        name=answering.name,
        version=served.version,
        loaded_versions=list(versions.loaded),
        architecture=answering.architecture,
        description=card.model.description,
        parameters=answering.parameters,
        input=describe(),
        trained_at=answering.created_at,
        test_accuracy=answering.test_accuracy,
        versions=card.versions,
        cascade=dump(answering.cascade),
        not_a_digit=dump(answering.not_a_digit),
        reading=dump(card.reading) if served.model.judge else None,
        slash=dump(card.slash) if served.model.slash else None,
        gaps=dump(card.gaps) if served.model.gaps else None,
    )


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
async def reload(running: Running = Depends(get_running)) -> ReloadReport:
    return reload_report(running.versions, await running.versions.sync())


def reload_report(versions: ModelVersions, report: SyncReport) -> ReloadReport:
    """A look at the repository, for the operator who asked for it."""
    return ReloadReport(
        loaded=report.loaded,
        refused=report.refused,
        retired=report.retired,
        serving=list(versions.loaded),
        default=versions.default.version if versions.default else None,
    )
