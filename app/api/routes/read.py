"""POST /read: a whole number (a year, a house number, a meter reading) from one image."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from app.api.deps import get_service
from app.api.routes.predict import ALWAYS_GUESS, ERRORS, SINGLE_BODY, VERSION
from app.schemas import NumberReading
from app.service import Service

router = APIRouter(tags=["read"])  # the API key check is added by create_app when set

INCLUDE_INPUTS = Query(
    False, description="also return the 28x28 image the model saw for each digit, as PNGs"
)


@router.post(
    "/read",
    response_model=NumberReading,
    responses=ERRORS,
    openapi_extra=SINGLE_BODY,
    operation_id="read",
    summary="Read the digits of a number in one image, left to right",
    description="Finds the digits (strokes that belong together merged, specks dropped, "
    "touching digits cut where the classifier reads them best), prepares each as /predict "
    "does and reads them all in one model call. At most 32 digits. A part that does not look "
    "like a digit makes the answer a 422 `not_a_digit` naming it, with the reading attached.",
)
async def read(
    request: Request,
    include_input: bool = INCLUDE_INPUTS,
    always_guess: bool = ALWAYS_GUESS,
    version: str | None = VERSION,
    service: Service = Depends(get_service),
) -> NumberReading:
    reading = service.reader.image(request)
    return await service.read_number(reading, include_input, always_guess, version)
