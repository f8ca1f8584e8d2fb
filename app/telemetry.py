"""Telemetry: the Prometheus side of one app instance (traffic, latency, predictions,
rejections, batches, the model that answers).

Each app gets its own registry, so several apps (tests, workers) never collide.
"""

from __future__ import annotations

import contextlib
import logging
import time
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digits.card import Answering
from digits.contract import LABELS

access_log = logging.getLogger("app.access")
# the ids of the answers a request gave, filled by the service, logged by the middleware
ANSWER_IDS: ContextVar[list[str] | None] = ContextVar("answer_ids", default=None)


def note_answers(ids: list[str]) -> None:
    """Remember the request's answer ids for its log line."""
    noted = ANSWER_IDS.get()
    if noted is not None:
        noted.extend(ids)


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "digits_http_requests",
            "HTTP requests answered",
            ["method", "endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "digits_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "endpoint", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.predictions = Counter(
            "digits_predictions",
            "Digits predicted, by model version",
            ["digit", "version"],
            registry=r,
        )
        self.rejections = Counter(
            "digits_rejected_inputs", "Requests refused, by reason", ["reason"], registry=r
        )
        self.batch_size = Histogram(
            "digits_inference_batch_size",
            "Images per model call (micro-batching)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.inference_time = Histogram(
            "digits_inference_duration_seconds",
            "Time per model call",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.not_a_digit = Counter(
            "digits_not_a_digit",
            "Images judged to hold no digit (refused, or guessed on request)",
            registry=r,
        )
        self.handed_on = Counter(
            "digits_cascade_handed_on",
            "Images the fast network was unsure of and handed to the full model",
            registry=r,
        )
        self.test_accuracy = Gauge(
            "digits_model_test_accuracy",
            "Accuracy measured on the MNIST test set, by loaded model version",
            ["version"],
            registry=r,
        )
        self.model_info = Info("digits_model", "The loaded model versions", ["version"], registry=r)
        self.model_loads = Counter(
            "digits_model_loads",
            "Model versions loaded, or refused (broken files, failed warm-up)",
            ["outcome"],
            registry=r,
        )

        self.corrections = Counter(
            "digits_corrections",
            "Corrections received (a replaced one counted once), by the answering model version "
            "and the label given (a number's label: `number`)",
            ["version", "label"],
            registry=r,
        )
        self.feedback = Counter(
            "digits_feedback_answers",
            "Answers that received a correction, by version and whether the answer was right "
            "(the label given equals it); live accuracy = right / all",
            ["version", "outcome"],
            registry=r,
        )
        self.live_accuracy = Gauge(
            "digits_live_accuracy",
            "Share of the answers that received feedback that were right, by version (this "
            "process; sum digits_feedback_answers across replicas for the whole)",
            ["version"],
            registry=r,
        )
        self.captures_dropped = Counter(
            "digits_captures_dropped",
            "Answers sampled for capture but dropped because the writer's queue was full",
            registry=r,
        )
        self.feedback_tally: dict[str, list[int]] = {}  # version: [right, all]

    def corrected(self, version: str | None, label: str, right: bool) -> None:
        """Count a correction (`label`: a digit, not_a_digit or number), and the answer it
        corrects as right or wrong."""
        version = version or "unknown"
        self.corrections.labels(version, label).inc()
        self.feedback.labels(version, "right" if right else "wrong").inc()
        tally = self.feedback_tally.setdefault(version, [0, 0])
        tally[0] += right
        tally[1] += 1
        self.live_accuracy.labels(version).set(tally[0] / tally[1])

    def digit_counters(self, version: str) -> list[Counter]:
        """The predictions counter of each digit (indexed by digit) for one version."""
        return [self.predictions.labels(str(digit), version) for digit in LABELS]

    def describe_model(self, version: str, answering: Answering, default: bool) -> None:
        """What answers, as the card says: the same name and accuracy /model and /metrics give;
        `default`: the version that answers requests that name none."""
        if answering.test_accuracy is not None:
            self.test_accuracy.labels(version).set(answering.test_accuracy)
        self.model_info.labels(version).info(
            {
                "name": answering.name,
                "architecture": answering.architecture,
                "parameters": str(answering.parameters),
                "created_at": str(answering.created_at or "unknown"),
                "default": str(default).lower(),
            }
        )

    def forget_model(self, version: str) -> None:
        """A retired version leaves the gauges (its prediction counts stay: they happened)."""
        for metric in (self.test_accuracy, self.model_info):
            with contextlib.suppress(KeyError):
                metric.remove(version)

    def rejected(self, reason: str) -> None:
        self.rejections.labels(reason).inc()

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.inference_time.observe(seconds)


class RequestMetricsMiddleware:
    """Counts and times every HTTP request by route template (not raw path: bounded labels),
    and writes its access log line, with the ids of the answers it gave (uvicorn's own access
    log is turned off where the service is started: one line per request)."""

    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        answer_ids: list[str] = []
        token = ANSWER_IDS.set(answer_ids)

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            labels = (scope["method"], endpoint, str(status))
            seconds = time.perf_counter() - started
            self.telemetry.requests.labels(*labels).inc()
            self.telemetry.latency.labels(*labels).observe(seconds)
            ANSWER_IDS.reset(token)
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(
                    '%s "%s %s" %d %.1f ms%s',
                    client[0] if client else "-",
                    scope["method"],
                    scope["path"],
                    status,
                    seconds * 1000,
                    f" answer_ids={','.join(answer_ids)}" if answer_ids else "",
                )
