"""The prediction endpoints on the committed model."""

from __future__ import annotations

import numpy as np
import pytest

from synthesis.uploads import STYLES
from tests.harness import make_client, png_bytes


def test_multipart_upload(client, sample_digits) -> None:
    image, label = sample_digits.images[0], int(sample_digits.labels[0])
    response = client.post("/predict", files={"file": ("digit.png", png_bytes(image), "image/png")})
    assert response.status_code == 200
    body = response.json()
    assert body["digit"] == label
    assert body["filename"] == "digit.png"
    assert len(body["probabilities"]) == 10
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert body["confidence"] == max(body["probabilities"])
    assert body["input_image"] is None
    assert body["model"] == "mnist-compact+mnist-deep"  # the cascade answered


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_raw_body_upload_like_curl(client, sample_digits, method: str) -> None:
    image, label = sample_digits.images[45], int(sample_digits.labels[45])
    response = client.request(
        method, "/predict", content=STYLES["inverted"](image), headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 200
    assert response.json()["digit"] == label


def test_include_input_returns_what_the_model_saw(client, sample_digits) -> None:
    response = client.post(
        "/predict?include_input=true",
        files={"file": ("d.png", png_bytes(sample_digits.images[3]), "image/png")},
    )
    assert response.json()["input_image"].startswith("data:image/png;base64,")


def test_batch_keeps_order_and_names(client, sample_digits) -> None:
    picks = [0, 31, 62, 93, 124, 155, 186, 217, 248, 279]  # one of each digit
    files = [
        ("files", (f"{i}.png", STYLES["rgba_canvas"](sample_digits.images[i]), "image/png"))
        for i in picks
    ]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["filename"] for p in predictions] == [f"{i}.png" for i in picks]
    assert [p["digit"] for p in predictions] == sample_digits.labels[picks].tolist()


def test_batch_is_one_model_call(sample_digits) -> None:
    with make_client() as fresh:
        files = [
            ("files", (f"{i}.png", png_bytes(sample_digits.images[i]), "image/png"))
            for i in range(20)
        ]
        assert fresh.post("/predict/batch", files=files).status_code == 200
        registry = fresh.app.state.telemetry.registry
        assert registry.get_sample_value("digits_inference_batch_size_count") == 1  # one call
        assert registry.get_sample_value("digits_inference_batch_size_sum") == 20


def test_api_key_guards_prediction_only(sample_digits) -> None:
    upload = {"file": ("d.png", png_bytes(sample_digits.images[0]), "image/png")}
    with make_client(api_key="s3cret") as guarded:
        missing = guarded.post("/predict", files=upload)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
        assert (
            guarded.post("/predict", files=upload, headers={"X-API-Key": "wrong"}).status_code
            == 401
        )
        assert (
            guarded.post("/predict", files=upload, headers={"X-API-Key": "s3cret"}).status_code
            == 200
        )
        bearer = {"Authorization": "Bearer s3cret"}
        assert guarded.post("/predict", files=upload, headers=bearer).status_code == 200
        for open_path in ("/healthz", "/readyz", "/metrics", "/model"):
            assert guarded.get(open_path).status_code == 200, open_path


def test_health_and_model_info(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    info = client.get("/model").json()
    assert info["architecture"] == "deep"
    assert info["input"]["shape"] == [28, 28, 1] and info["input"]["pixel_range"] == [0, 255]
    assert info["parameters"] > 10_000 and 0.99 < info["test_accuracy"] <= 1
    assert "keras" in info["versions"]
    cascade = info["cascade"]  # the committed model answers through its calibrated cascade
    assert cascade["fast_model"] == "fast/model.tflite" and 0 < cascade["threshold"] < 1
    assert cascade["test"]["accuracy"] == info["test_accuracy"]
    assert info["name"] == cascade["name"] == "mnist-compact+mnist-deep"
    assert info["parameters"] == 1_963_452 + cascade["fast_model_parameters"]  # both stages


def test_concurrent_requests_are_batched_and_correct(sample_digits) -> None:
    """Many requests at once, their bodies still arriving (in two parts, as over a network)
    while the first are ready: those on their way are waited for and share model calls, each
    getting its own answer. (A request that finds nobody on its way is answered at once.)"""
    import asyncio

    import httpx

    from app.core.config import Settings
    from app.main import create_app
    from tests.conftest import MODEL_DIR

    app = create_app(Settings(model_dir=MODEL_DIR, batch_max_wait_ms=5))

    async def arriving(data: bytes):
        yield data[: len(data) // 2]
        await asyncio.sleep(0)  # the rest of the body is still on its way
        yield data[len(data) // 2 :]

    async def scenario() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                responses = await asyncio.gather(
                    *[
                        http.post(
                            "/predict",
                            content=arriving(png_bytes(image)),
                            headers={"Content-Type": "image/png"},
                        )
                        for image in sample_digits.images[:64]
                    ]
                )
        return [r.json()["digit"] for r in responses]

    digits = asyncio.run(scenario())
    assert np.mean(np.array(digits) == sample_digits.labels[:64]) >= 0.98
    calls = app.state.telemetry.registry.get_sample_value("digits_inference_batch_size_count")
    assert calls < 64, "concurrent requests should share model calls"


def test_method_not_allowed_names_every_method_the_path_takes(client) -> None:
    """/predict is POST and PUT (two routes): a 405 must say both, as the schema does."""
    answer = client.request("OPTIONS", "/predict")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST, PUT"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert client.delete("/read").headers["allow"] == "POST"
