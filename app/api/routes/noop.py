"""POST /noop: reads an upload like /predict and answers at once; the benchmarks' baseline,
mounted only where DIGITS_NOOP_ROUTE asks for it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from app.api.deps import Running, get_running

router = APIRouter(include_in_schema=False)


@router.post("/noop")
async def noop(request: Request, running: Running = Depends(get_running)) -> dict:
    [upload] = await running.reader.image(request)
    return {"received_bytes": len(upload.data)}
