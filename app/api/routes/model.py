"""GET /model: which model answers, what it takes, how well it was measured to do."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.api.deps import get_service
from app.core.errors import error_responses
from app.schemas import ModelInfo
from app.service import Service

router = APIRouter(tags=["model"])


@router.get(
    "/model", response_model=ModelInfo, responses=error_responses(503), summary="The served model"
)
async def model_info(service: Service = Depends(get_service)) -> ModelInfo:
    return service.model_info()
