"""GET /metrics: the stored measurements as JSON, or Prometheus exposition for scrapers."""

from __future__ import annotations

import json

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from tests.harness import MODEL_DIR, make_client, png_bytes


def test_json_metrics_are_the_stored_measurements(client) -> None:
    """Everything training measured; test_accuracy is that of what answers: the cascade."""
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("application/json")
    stored = json.loads((MODEL_DIR / "metrics.json").read_text())
    cascade = stored["cascade"]
    served = {
        "name": cascade["name"],
        "version": "1",
        "parameters": stored["model"]["parameters"] + cascade["fast_model_parameters"],
        "test_accuracy": cascade["test"]["accuracy"],
        "cascade": True,
    }
    expected = {**stored, "test_accuracy": cascade["test"]["accuracy"], "served": served}
    assert response.json() == expected
    assert response.json()["test_accuracy"] >= 0.995


def test_every_surface_names_the_same_model_and_accuracy(client, sample_digits) -> None:
    """Responses, /model, /metrics and Prometheus' model info all read the one card."""
    upload = {"file": ("d.png", png_bytes(sample_digits.images[0]), "image/png")}
    answer = client.post("/predict", files=upload).json()
    model = client.get("/model").json()
    served = client.get("/metrics").json()["served"]
    families = {f.name: f for f in parse_prometheus(client.get("/metrics?format=prometheus").text)}
    info = families["digits_model_info"].samples[0].labels
    [accuracy] = families["digits_model_test_accuracy"].samples
    assert answer["model"] == model["name"] == served["name"] == info["name"]
    assert answer["model_version"] == model["version"] == served["version"] == info["version"]
    assert accuracy.labels == {"version": "1"} and info["default"] == "true"
    assert model["test_accuracy"] == served["test_accuracy"] == accuracy.value
    assert model["parameters"] == served["parameters"] == int(info["parameters"])


def test_without_the_cascade_the_full_model_accuracy_is_reported() -> None:
    with make_client(cascade=False) as plain:
        served = plain.get("/metrics").json()
        assert plain.get("/model").json()["cascade"] is None
    stored = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert served["test_accuracy"] == stored["test"]["accuracy"]
    assert served["served"] == {
        "name": stored["model"]["name"],
        "version": "1",
        "parameters": stored["model"]["parameters"],
        "test_accuracy": stored["test"]["accuracy"],
        "cascade": False,
    }


@pytest.mark.parametrize(
    ("accept", "parse"),
    [
        ("text/plain;version=0.0.4", parse_prometheus),
        (
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            parse_openmetrics,
        ),
    ],
)
def test_prometheus_exposition_parses(client, sample_digits, accept, parse) -> None:
    upload = {"file": ("d.png", png_bytes(sample_digits.images[0]), "image/png")}
    digit = client.post("/predict", files=upload).json()["digit"]
    client.post("/predict", content=b"", headers={"Content-Type": "image/png"})
    response = client.get("/metrics", headers={"Accept": accept})
    assert response.status_code == 200
    families = {family.name: family for family in parse(response.text)}
    stored = json.loads((MODEL_DIR / "metrics.json").read_text())

    [accuracy] = families["digits_model_test_accuracy"].samples
    assert accuracy.value == pytest.approx(stored["cascade"]["test"]["accuracy"])
    assert "digits_cascade_handed_on" in families
    requests = families["digits_http_requests"].samples
    assert any(
        s.labels == {"method": "POST", "endpoint": "/predict", "status": "200"} and s.value >= 1
        for s in requests
    )
    assert any(s.labels["status"] == "400" for s in requests)
    assert "digits_http_request_duration_seconds" in families
    predicted = {
        (s.labels["digit"], s.labels["version"]) for s in families["digits_predictions"].samples
    }
    assert (str(digit), "1") in predicted
    rejected = families["digits_rejected_inputs"].samples
    assert any(s.labels == {"reason": "empty_upload"} for s in rejected)
    # an Info metric: family "digits_model_info" in the text format, "digits_model" in OpenMetrics
    info_family = families.get("digits_model_info") or families["digits_model"]
    info = info_family.samples[0].labels
    assert info["name"] == stored["cascade"]["name"] and info["architecture"] == "deep"


def test_query_parameter_selects_prometheus(client) -> None:
    response = client.get("/metrics?format=prometheus")
    assert response.headers["content-type"].startswith("text/plain")
    assert "digits_model_test_accuracy" in response.text


def test_every_refusal_is_counted_once_by_reason() -> None:
    """A 413 known from Content-Length is counted as one found while streaming is."""
    with make_client(max_upload_bytes=1000) as small:
        registry = small.app.state.telemetry.registry

        def refused() -> float:
            labels = {"reason": "payload_too_large"}
            return registry.get_sample_value("digits_rejected_inputs_total", labels) or 0.0

        big = b"\x89PNG" + b"\0" * 200_000
        declared = small.post("/predict", content=big, headers={"Content-Type": "image/png"})
        assert declared.status_code == 413 and refused() == 1

        def chunks():
            yield big[:100_000]
            yield big[100_000:]

        streamed = small.post("/predict", content=chunks(), headers={"Content-Type": "image/png"})
        assert streamed.status_code == 413 and refused() == 2
