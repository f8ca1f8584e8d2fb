"""POST /predict and /predict/batch: digits from uploaded images."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.answers import one_digit, predictions
from app.api.deps import get_running
from app.api.options import PredictOptions
from app.core.errors import error_responses
from app.preparing import prepare
from app.schemas import BatchPrediction, Prediction

router = APIRouter(tags=["predict"])  # the API key check is added by create_app when set

BINARY = {"type": "string", "format": "binary"}
SINGLE_BODY = {
    "requestBody": {
        "required": True,
        "description": "One image in any common format (PNG, JPEG, GIF, BMP, WebP, TIFF), any "
        "size and colour: as multipart field `file`, or as the raw body (`curl -T digit.png`).",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": BINARY}},
                "encoding": {"file": {"contentType": "image/*"}},
            },
            "image/*": {"schema": BINARY},
        },
    }
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "description": "Several images as repeated multipart fields `files`.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": {"type": "array", "items": BINARY}},
                },
                "encoding": {"files": {"contentType": "image/*"}},
            }
        },
    }
}
ERRORS = error_responses(400, 401, 404, 413, 415, 422, 503)


@router.post(
    "/predict",
    response_model=Prediction,
    responses=ERRORS,
    openapi_extra=PredictOptions.documented(**SINGLE_BODY),
    operation_id="predict",
    summary="Recognise the digit in one image",
)
async def predict(request: Request) -> Prediction:
    options = PredictOptions.of(request)
    running = await get_running(request)
    max_pixels = running.settings.max_pixels
    with options.lease(running) as lease:
        uploads = await running.reader.image(request)
        images = await prepare(uploads, max_pixels)
        answers = await running.plane.predict(lease, images)
        shown = images if options.include_input else None
        [prediction] = predictions(lease, answers, uploads, shown, options.always_guess)
        return await one_digit(running.plane, lease, prediction, uploads[0], max_pixels)


router.add_api_route(  # `curl -T digit.png URL` sends a PUT: the same operation
    "/predict",
    predict,
    methods=["PUT"],
    response_model=Prediction,
    responses=ERRORS,
    openapi_extra=PredictOptions.documented(**SINGLE_BODY),
    operation_id="predict_put",
    summary="Recognise the digit in one image (PUT, as `curl -T` sends it)",
)


@router.post(
    "/predict/batch",
    operation_id="predict_batch",
    response_model=BatchPrediction,
    responses=ERRORS,
    openapi_extra=PredictOptions.documented(**BATCH_BODY),
    summary="Recognise the digits in several images, in one model call",
)
async def predict_batch(request: Request) -> BatchPrediction:
    options = PredictOptions.of(request)
    running = await get_running(request)
    with options.lease(running) as lease:
        uploads = await running.reader.images(request)
        images = await prepare(uploads, running.settings.max_pixels)
        answers = await running.plane.predict(lease, images)
    shown = images if options.include_input else None
    found = predictions(lease, answers, uploads, shown, options.always_guess)
    return BatchPrediction(predictions=found)
