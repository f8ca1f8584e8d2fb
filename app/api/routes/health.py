"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.api.deps import get_running
from app.core.errors import error_responses
from app.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses=error_responses(503),
    summary="The model is loaded and warmed up: send traffic",
    dependencies=[Depends(get_running)],
)
async def readyz() -> Health:
    return Health(status="ready")
