"""POST /read: a whole number (a year, a house number, a meter reading) from one image."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.answers import number_reading, whole_number
from app.api.deps import get_running
from app.api.options import ReadOptions
from app.api.routes.predict import ERRORS, SINGLE_BODY
from app.data_plane import UNSURE
from app.preparing import open_all
from app.schemas import NumberReading

router = APIRouter(tags=["read"])  # the API key check is added by create_app when set


@router.post(
    "/read",
    response_model=NumberReading,
    responses=ERRORS,
    openapi_extra=ReadOptions.documented(**SINGLE_BODY),
    operation_id="read",
    summary="Read the digits of a number in one image, left to right",
    description="Finds the digits (strokes that belong together merged, specks dropped, "
    "touching digits cut where the piece judge finds whole digits), prepares each as /predict "
    "does and reads them all in one model call; separators (`.` `,` `-` `:`, a date's or a "
    "fraction's `/`, and a space between groups) stand in `text` where they are. At most 32 "
    "digits. A part that does not look like a digit, a mark that is neither a digit nor a "
    "separator it can tell (`?` in the reading), a separator where no number has one (beside "
    "another, or at an end but a leading minus), or a digit read below "
    f"{UNSURE:.0%} confidence makes the answer a 422 `not_a_digit` naming it, with the reading "
    "attached: a number is refused rather than read with a mark dropped or guessed.",
)
async def read(request: Request) -> NumberReading:
    options = ReadOptions.of(request)
    running = await get_running(request)
    with options.lease(running) as lease:
        uploads = await running.reader.image(request)
        [image] = open_all(uploads, running.settings.max_pixels)
        number = await running.plane.read(lease, image, options.always_guess)
    reading = number_reading(lease, number, options.include_input)
    return whole_number(reading, number, options.always_guess)
