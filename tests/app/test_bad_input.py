"""Every bad request gets a clear 4xx in the one error format, and the service stays healthy."""

from __future__ import annotations

import pytest

from tests.app.bad_inputs import CASES
from tests.harness import png_bytes


@pytest.mark.parametrize(
    ("name", "path", "request_kwargs", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_clearly(client, name, path, request_kwargs, status, code) -> None:
    response = client.post(path, **request_kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status and error["code"] == code
    assert len(error["message"]) > 10


def test_battery_has_at_least_thirty_kinds() -> None:
    assert len({c[0] for c in CASES}) >= 30


def test_service_is_healthy_after_the_battery(client, sample_digits) -> None:
    for _, path, request_kwargs, _, _ in CASES:
        client.post(path, **request_kwargs)
    assert client.get("/readyz").status_code == 200
    image, label = sample_digits.images[7], int(sample_digits.labels[7])
    response = client.post("/predict", files={"file": ("d.png", png_bytes(image), "image/png")})
    assert response.json()["digit"] == label
    rejected = client.app.state.telemetry.registry.get_sample_value(
        "digits_rejected_inputs_total", {"reason": "no_digit_found"}
    )
    assert rejected >= 4


def test_wrong_method_and_unknown_path(client) -> None:
    assert client.get("/predict").json()["error"]["code"] == "method_not_allowed"
    assert client.get("/nope").json()["error"] == {
        "status": 404,
        "code": "not_found",
        "message": "Not Found",
    }
