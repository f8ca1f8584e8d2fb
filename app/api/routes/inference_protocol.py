"""/v2: the Open Inference Protocol (KServe v2, as Triton and MLServer speak it), thin over the
same service as /predict: the same versions, batches, preprocessing and counters.

`metadata` (health, server and model metadata) is open like /healthz; `inference` (infer, the
repository) takes the API key where one is set, as /predict does.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from app.api.deps import Running, get_running
from app.api.routes.model import reload_report
from app.core.errors import ApiError, ProtocolError, ProtocolRoute, allowed_methods, error_responses
from app.inference_protocol import (
    EXTENSIONS,
    HEADER_LENGTH,
    MODEL_NAME,
    check_outputs,
    encode_response,
    model_metadata,
    output_tensors,
    parse_request,
)
from app.preparing import prepare
from app.uploads import Upload

ROUTER = {"prefix": "/v2", "tags": ["inference protocol"], "route_class": ProtocolRoute}
metadata = APIRouter(**ROUTER)
inference = APIRouter(**ROUTER)  # the key check, where set

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
    running: Running | None = getattr(request.app.state, "running", None)
    is_ready = running is not None and running.ready
    return JSONResponse({"ready": is_ready}, status_code=200 if is_ready else 503)


@metadata.get("", responses=OBJECT, summary="Server metadata")
async def server_metadata(request: Request) -> dict:
    return {"name": "digits", "version": request.app.version, "extensions": EXTENSIONS}


METADATA_RESPONSES = {**OBJECT, **error_responses(404, 503, body=ProtocolError)}


@metadata.get("/models/{model_name}", responses=METADATA_RESPONSES, summary="Model metadata")
async def model_metadata_route(model_name: str, running: Running = Depends(get_running)) -> dict:
    return describe(running, model_name, None)


@metadata.get(
    "/models/{model_name}/versions/{model_version}",
    responses=METADATA_RESPONSES,
    summary="Model metadata of one version",
)
async def version_metadata(
    model_name: str, model_version: str, running: Running = Depends(get_running)
) -> dict:
    return describe(running, model_name, model_version)


def describe(running: Running, model_name: str, version: str | None) -> dict:
    check_model(model_name)
    served = running.versions.get(version)
    screened = served.model.answering.not_a_digit is not None
    return model_metadata(list(running.versions.loaded), screened)


@metadata.get("/models/{model_name}/ready", responses=METADATA_RESPONSES, summary="Model ready")
async def model_ready(model_name: str, running: Running = Depends(get_running)) -> dict:
    return readiness(running, model_name, None)


@metadata.get(
    "/models/{model_name}/versions/{model_version}/ready",
    responses=METADATA_RESPONSES,
    summary="Model version ready",
)
async def version_ready(
    model_name: str, model_version: str, running: Running = Depends(get_running)
) -> dict:
    return readiness(running, model_name, model_version)


def readiness(running: Running, model_name: str, version: str | None) -> dict:
    check_model(model_name)
    return {"name": MODEL_NAME, "version": running.versions.get(version).version, "ready": True}


@inference.post(
    "/models/{model_name}/infer",
    responses=INFER_RESPONSES,
    openapi_extra=INFER_BODY,
    summary="Inference with the default version",
)
async def infer(request: Request, model_name: str) -> Response:
    return await answer(request)


@inference.post(
    "/models/{model_name}/versions/{model_version}/infer",
    responses=INFER_RESPONSES,
    openapi_extra=INFER_BODY,
    summary="Inference with one version",
)
async def infer_version(request: Request, model_name: str, model_version: str) -> Response:
    return await answer(request)


async def answer(request: Request) -> Response:
    """Parse the tensors, prepare encoded images as /predict does, call the data plane, encode
    the outputs asked for. The model and version the path names are checked before the body is
    read (an unknown one: 404); taken here, not as dependencies, which FastAPI would solve one by
    one per request (see `app.api.options`)."""
    check_model(request.path_params["model_name"])
    running = await get_running(request)
    with running.versions.lease(request.path_params.get("model_version")) as lease:
        body = await running.reader.body(request)
        parsed = parse_request(
            body, request.headers.get(HEADER_LENGTH), running.settings.max_batch_files
        )
        check_outputs(parsed, screened=lease.model.answering.not_a_digit is not None)
        images = parsed.images
        if isinstance(images, list):
            uploads = [Upload(data, f"image[{i}]") for i, data in enumerate(images)]
            images = await prepare(uploads, running.settings.max_pixels)
        answers = await running.plane.predict(lease, images, endpoint="infer")
    is_digit = None if answers.digit_scores is None else np.array(answers.is_digit)
    tensors = output_tensors(answers.probabilities, answers.digit_scores, is_digit)
    content, header_length = encode_response(parsed, answers.version, tensors, answers.ids)
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
async def repository_index(running: Running = Depends(get_running)) -> list[dict]:
    """Every version there is and its state, as the protocol's repository index says it."""
    entries = []
    for version in running.versions.available():
        reason = running.versions.unavailable(version)
        entry = {"name": MODEL_NAME, "version": version, "state": "READY"}
        if reason is not None:
            entry.update(state="UNAVAILABLE", reason=reason)
        entries.append(entry)
    return entries


@inference.post(
    "/repository/models/{model_name}/load",
    responses={**OBJECT, **error_responses(400, 401, 404, 503, body=ProtocolError)},
    summary="Look at the model repository now: load what is new, the latest answers",
    description="As POST /model/reload; a version that is refused makes this a 400 naming why "
    "(protocol clients read errors, not reports), while the versions loaded keep answering.",
)
async def load(model_name: str, running: Running = Depends(get_running)) -> dict:
    check_model(model_name)
    report = await running.versions.sync()
    if report.refused:
        reasons = "; ".join(f"version {v}: {why}" for v, why in report.refused.items())
        raise ApiError(400, "version_refused", reasons)
    return reload_report(running.versions, report).model_dump()


@metadata.api_route(
    "/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
)
async def not_in_protocol(request: Request, path: str) -> Response:
    """Anything else under /v2: a 405 where the path takes other methods, else a 404, in the
    protocol's shape (this router is included after every other /v2 route)."""
    methods = allowed_methods(request)
    if methods:
        raise ApiError(
            405, "method_not_allowed", "Method Not Allowed", {"Allow": ", ".join(methods)}
        )
    raise ApiError(404, "not_found", "Not Found")
