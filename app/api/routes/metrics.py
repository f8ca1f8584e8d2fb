"""GET /metrics: what the model was measured to do (JSON), or Prometheus metrics for scrapers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import choose_encoder

from app.api.deps import Running, get_running
from app.core.errors import error_responses
from app.versions import ModelVersions

router = APIRouter(tags=["metrics"])

PROMETHEUS_TYPES = ("application/openmetrics-text", "text/plain")
METRICS_EXAMPLE = {
    "test_accuracy": 0.997,
    "test": {"accuracy": 0.997, "loss": 0.009992, "size": 10000, "errors": 30},
    "model": {"name": "mnist-deep", "architecture": "deep", "parameters": 1963452},
}


def wants_prometheus(request: Request) -> bool:
    if request.query_params.get("format") == "prometheus":
        return True
    accept = request.headers.get("accept", "").lower()
    return any(kind in accept for kind in PROMETHEUS_TYPES)


@router.get(
    "/metrics",
    summary="Stored test metrics (JSON) or Prometheus exposition (by Accept header)",
    description="JSON by default: the model card, metrics.json (test accuracy and loss, "
    "per-class scores, confusion matrix, training details), its `test_accuracy` that of what "
    "answers, named in `served` (the cascade, or the full model alone). With `Accept: "
    "text/plain;version=0.0.4` or `application/openmetrics-text` (what Prometheus sends), or "
    "`?format=prometheus`: request counts and latencies per endpoint and status, predictions per "
    "digit, rejected inputs by reason, micro-batch sizes, the test accuracy gauge and model info.",
    responses={
        200: {
            "content": {
                "application/json": {"example": METRICS_EXAMPLE},
                "text/plain": {"schema": {"type": "string"}},
                "application/openmetrics-text": {"schema": {"type": "string"}},
            }
        },
        **error_responses(503),
    },
)
async def metrics(request: Request, running: Running = Depends(get_running)) -> Response:
    if wants_prometheus(request):
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(running.telemetry.registry), media_type=content_type)
    return JSONResponse(card_json(running.versions))


def card_json(versions: ModelVersions) -> dict:
    """The default version's card as stored, its top-level test accuracy that of what
    answers, and `served` saying what that is."""
    served = versions.get()
    answering = served.model.answering
    return {
        **served.model.card.as_json(),
        "test_accuracy": answering.test_accuracy,
        "served": {
            "name": answering.name,
            "version": served.version,
            "parameters": answering.parameters,
            "test_accuracy": answering.test_accuracy,
            "cascade": answering.cascade is not None,
        },
    }
