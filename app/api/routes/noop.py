"""POST /noop: reads an upload like /predict and answers at once; the benchmarks' baseline."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.uploads import read_single

router = APIRouter(include_in_schema=False)


@router.post("/noop")
async def noop(request: Request) -> dict:
    upload = await read_single(request, request.app.state.settings.max_upload_bytes)
    return {"received_bytes": len(upload.data)}
