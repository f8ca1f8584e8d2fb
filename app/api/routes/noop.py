"""POST /noop: reads an upload like /predict and answers at once; the benchmarks' baseline,
mounted only where DIGITS_NOOP_ROUTE asks for it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from app.api.deps import get_service
from app.service import Service

router = APIRouter(include_in_schema=False)


@router.post("/noop")
async def noop(request: Request, service: Service = Depends(get_service)) -> dict:
    [upload] = await service.reader.image(request)
    return {"received_bytes": len(upload.data)}
