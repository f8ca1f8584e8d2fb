"""POST /read: a whole number (a year, a house number, a meter reading) from one image."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from app.answers import number_reading, whole_number
from app.api.deps import Running, get_running, leased
from app.api.routes.predict import ALWAYS_GUESS, ERRORS, SINGLE_BODY
from app.data_plane import UNSURE
from app.preparing import open_all
from app.schemas import NumberReading
from app.versions import Lease

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
    "touching digits cut where the piece judge finds whole digits), prepares each as /predict "
    "does and reads them all in one model call; separators (`.` `,` `-` `:`, a date's or a "
    "fraction's `/`, and a space between groups) stand in `text` where they are. At most 32 "
    "digits. A part that does not look like a digit, a mark that is neither a digit nor a "
    "separator it can tell (`?` in the reading), or a digit read below "
    f"{UNSURE:.0%} confidence makes the answer a 422 `not_a_digit` naming it, with the reading "
    "attached: a number is refused rather than read with a mark dropped or guessed.",
)
async def read(
    request: Request,
    include_input: bool = INCLUDE_INPUTS,
    always_guess: bool = ALWAYS_GUESS,
    lease: Lease = Depends(leased),
    running: Running = Depends(get_running),
) -> NumberReading:
    with lease:
        uploads = await running.reader.image(request)
        [image] = open_all(uploads, running.settings.max_pixels)
        number = await running.plane.read(lease, image, always_guess)
    return whole_number(number_reading(lease, number, include_input), number, always_guess)
