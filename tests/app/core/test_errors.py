"""The one error shape, and the protocol's, on their own."""

from __future__ import annotations

import json

from app.core.errors import HTTP_CODES, error_response, protocol_error


def test_the_service_error_shape_carries_status_code_message_and_details() -> None:
    response = error_response(422, "not_a_digit", "No.", details={"prediction": {"digit": 3}})
    body = json.loads(response.body)
    assert response.status_code == 422
    assert body == {
        "error": {"status": 422, "code": "not_a_digit", "message": "No."},
        "prediction": {"digit": 3},
    }


def test_the_protocol_error_is_one_string_and_a_4xx_its_clients_know() -> None:
    for status, sent in ((415, 400), (422, 400), (404, 404), (413, 413), (503, 503)):
        response = protocol_error(status, "why", {"Retry-After": "1"} if status == 503 else None)
        assert response.status_code == sent
        assert json.loads(response.body) == {"error": "why"}
    assert protocol_error(503, "down", {"Retry-After": "1"}).headers["retry-after"] == "1"


def test_every_status_the_service_answers_has_a_stable_code() -> None:
    assert set(HTTP_CODES) >= {400, 401, 403, 404, 405, 413, 415, 422, 429, 503}
    assert len(set(HTTP_CODES.values())) == len(HTTP_CODES)
