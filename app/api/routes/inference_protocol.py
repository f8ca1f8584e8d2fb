"""/v2: the Open Inference Protocol (KServe v2, as Triton and MLServer speak it), thin over the
same service as /predict: the same versions, batches, preprocessing and counters.

`metadata` (health, server and model metadata) is open like /healthz; `inference` (infer, the
repository) takes the API key where one is set, as /predict does.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import get_service
from app.core.errors import ApiError, ProtocolError, error_responses
from app.inference_protocol import (
    EXTENSIONS,
    HEADER_LENGTH,
    MODEL_NAME,
    encode_response,
    model_metadata,
    output_tensors,
    parse_request,
)
from app.service import Service

metadata = APIRouter(prefix="/v2", tags=["inference protocol"])
inference = APIRouter(prefix="/v2", tags=["inference protocol"])  # the key check, where set

TENSOR = {
    "type": "object",
    "required": ["name", "shape", "datatype"],
    "properties": {
        "name": {"type": "string", "enum": ["pixels", "images"]},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "datatype": {"type": "string", "enum": ["FP32", "BYTES"]},
        "parameters": {"type": "object"},
        "data": {"type": "array"},
    },
}
INFER_BODY = {
    "requestBody": {
        "required": True,
        "description": "An inference request: one input, `pixels` (FP32 [N, 28, 28, 1], raw "
        "pixels 0-255, light digit on dark) or `images` (BYTES [N], encoded images; base64 in "
        "JSON). With Triton's binary extension: the JSON header, then the tensor bytes, and "
        f"the header's length in `{HEADER_LENGTH}`.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["inputs"],
                    "properties": {
                        "id": {"type": "string"},
                        "parameters": {"type": "object"},
                        "inputs": {"type": "array", "items": TENSOR},
                        "outputs": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
INFER_RESPONSES = {
    200: {
        "description": "The outputs, in JSON or with binary tensors after the JSON header",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    **error_responses(400, 401, 404, 413, 503, body=ProtocolError),
}
OBJECT = {200: {"content": {"application/json": {"schema": {"type": "object"}}}}}


def check_model(model_name: str) -> None:
    if model_name != MODEL_NAME:
        raise ApiError(
            404, "model_not_found", f"model '{model_name}' is not served here: ask '{MODEL_NAME}'"
        )


@metadata.get("/health/live", responses=OBJECT, summary="The server is alive")
async def live() -> dict:
    return {"live": True}


@metadata.get(
    "/health/ready",
    responses={**OBJECT, 503: OBJECT[200]},
    summary="The server is ready for inference",
)
async def ready(request: Request) -> JSONResponse:
    service: Service | None = getattr(request.app.state, "service", None)
    is_ready = service is not None and service.ready
    return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@metadata.get("", responses=OBJECT, summary="Server metadata")
async def server_metadata(request: Request) -> dict:
    return {"name": "digits", "version": request.app.version, "extensions": EXTENSIONS}


METADATA_RESPONSES = {**OBJECT, **error_responses(404, 503, body=ProtocolError)}


@metadata.get("/models/{model_name}", responses=METADATA_RESPONSES, summary="Model metadata")
async def model_metadata_route(model_name: str, service: Service = Depends(get_service)) -> dict:
    return describe(service, model_name, None)


@metadata.get(
    "/models/{model_name}/versions/{model_version}",
    responses=METADATA_RESPONSES,
    summary="Model metadata of one version",
)
async def version_metadata(
    model_name: str, model_version: str, service: Service = Depends(get_service)
) -> dict:
    return describe(service, model_name, model_version)


def describe(service: Service, model_name: str, version: str | None) -> dict:
    check_model(model_name)
    served = service.versions.get(version)
    screened = served.model.answering.not_a_digit is not None
    return model_metadata(list(service.versions.loaded), screened)


@metadata.get("/models/{model_name}/ready", responses=METADATA_RESPONSES, summary="Model ready")
async def model_ready(model_name: str, service: Service = Depends(get_service)) -> dict:
    return readiness(service, model_name, None)


@metadata.get(
    "/models/{model_name}/versions/{model_version}/ready",
    responses=METADATA_RESPONSES,
    summary="Model version ready",
)
async def version_ready(
    model_name: str, model_version: str, service: Service = Depends(get_service)
) -> dict:
    return readiness(service, model_name, model_version)


def readiness(service: Service, model_name: str, version: str | None) -> dict:
    check_model(model_name)
    return {"name": MODEL_NAME, "version": service.versions.get(version).version, "ready": True}


@inference.post(
    "/models/{model_name}/infer",
    responses=INFER_RESPONSES,
    openapi_extra=INFER_BODY,
    summary="Inference with the default version",
)
async def infer(
    request: Request, model_name: str, service: Service = Depends(get_service)
) -> Response:
    return await answer(request, service, model_name, None)


@inference.post(
    "/models/{model_name}/versions/{model_version}/infer",
    responses=INFER_RESPONSES,
    openapi_extra=INFER_BODY,
    summary="Inference with one version",
)
async def infer_version(
    request: Request, model_name: str, model_version: str, service: Service = Depends(get_service)
) -> Response:
    return await answer(request, service, model_name, model_version)


async def answer(
    request: Request, service: Service, model_name: str, version: str | None
) -> Response:
    check_model(model_name)
    service.versions.get(version)  # an unknown version: 404 before the body is read
    body = await service.reader.body(request)
    parsed = parse_request(
        body, request.headers.get(HEADER_LENGTH), service.settings.max_batch_files
    )
    answered = await service.infer(version, parsed.images)
    tensors = output_tensors(answered.probabilities, answered.digit_scores, answered.is_digit)
    content, header_length = encode_response(parsed, answered.version, tensors, answered.ids)
    if header_length is None:
        return Response(content, media_type="application/json")
    return Response(
        content,
        media_type="application/octet-stream",
        headers={HEADER_LENGTH: str(header_length)},
    )


@inference.post(
    "/repository/index",
    responses={200: {"content": {"application/json": {"schema": {"type": "array"}}}}},
    summary="The versions in the model repository and their state",
)
async def repository_index(service: Service = Depends(get_service)) -> list[dict]:
    return service.versions.index()


@inference.post(
    "/repository/models/{model_name}/load",
    responses={**OBJECT, **error_responses(400, 401, 404, 503, body=ProtocolError)},
    summary="Look at the model repository now: load what is new, the latest answers",
    description="As POST /model/reload; a version that is refused makes this a 400 naming why "
    "(protocol clients read errors, not reports), while the versions loaded keep answering.",
)
async def load(model_name: str, service: Service = Depends(get_service)) -> dict:
    check_model(model_name)
    report = await service.versions.sync()
    if report.refused:
        reasons = "; ".join(f"version {v}: {why}" for v, why in report.refused.items())
        raise ApiError(400, "version_refused", reasons)
    return service.versions.describe(report)
