"""Answer ids and POST /corrections through the app, on a real SQLite database (and PostgreSQL
in test_feedback_postgres.py): by id where the input was captured, by image otherwise; the
errors, the rate limit, an absent database, the operators' routes and the counters."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
import zipfile

import numpy as np
import pytest

from synthesis.numbers import compose, paper
from tests.harness import free_port, make_client, png_bytes

OPERATOR = {"X-API-Key": "operator-key"}


@pytest.fixture(scope="module")
def app_client():
    """Every answer captured, operators open, no rate limit."""
    with make_client(
        capture_percent=100, operator_key="operator-key", corrections_per_minute=0
    ) as test_client:
        yield test_client


def upload(pixels: np.ndarray) -> dict:
    return {"file": ("d.png", png_bytes(pixels), "image/png")}


def predicted(client, pixels: np.ndarray) -> dict:
    response = client.post("/predict", files=upload(pixels))
    assert response.status_code == 200, response.text
    return response.json()


def test_every_answer_has_its_own_id(app_client, sample_digits) -> None:
    images = sample_digits.images
    one = predicted(app_client, images[0])
    batch = app_client.post(
        "/predict/batch",
        files=[("files", (f"{i}.png", png_bytes(images[i]), "image/png")) for i in range(3)],
    ).json()["predictions"]
    rng = np.random.default_rng(0)
    number = app_client.post(
        "/read", content=paper(compose(images[[1, 2]], False, rng), rng)
    ).json()
    tensor = {
        "name": "pixels",
        "shape": [2, 28, 28, 1],
        "datatype": "FP32",
        "data": images[:2].astype(float).ravel().tolist(),
    }
    infer = app_client.post("/v2/models/digits/infer", json={"inputs": [tensor]}).json()
    protocol_ids = infer["parameters"]["answer_ids"].split(",")
    ids = [one["id"], *(p["id"] for p in batch), number["id"], *protocol_ids]
    assert len(protocol_ids) == 2
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == len(ids)


def test_an_answer_is_corrected_by_id_and_a_second_correction_replaces_the_first(
    app_client, sample_digits
) -> None:
    answer = predicted(app_client, sample_digits.images[5])
    wrong = str((answer["digit"] + 1) % 10)
    first = app_client.post("/corrections", json={"id": answer["id"], "label": wrong})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["answer_id"] == answer["id"] and body["label"] == wrong
    assert body["answered"] == str(answer["digit"]) and body["replaced"] is False
    assert body["version"] == answer["model_version"] and body["images"] == 1
    second = app_client.post("/corrections", json={"id": answer["id"], "label": "not_a_digit"})
    assert second.status_code == 201
    assert second.json()["id"] == body["id"] and second.json()["replaced"] is True
    listed = app_client.get("/corrections", headers=OPERATOR, params={"limit": 1000}).json()
    mine = [c for c in listed["corrections"] if c["answer_id"] == answer["id"]]
    assert [c["label"] for c in mine] == ["not_a_digit"]


def test_a_number_is_corrected_on_an_answer_of_read(app_client, sample_digits) -> None:
    rng = np.random.default_rng(3)
    data = paper(compose(sample_digits.images[[30, 60, 90]], False, rng), rng)
    reading = app_client.post("/read?always_guess=true", content=data).json()
    response = app_client.post("/corrections", json={"id": reading["id"], "label": "1,23"})
    assert response.status_code == 201, response.text
    assert response.json()["images"] == len(reading["digits"])


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("12", "invalid_label"),
        ("x", "invalid_label"),
        (10, "invalid_label"),
        (True, "invalid_request"),
        ("1..", "invalid_label"),
        ("", "invalid_label"),
        ("7" * 65, "invalid_label"),
    ],
)
def test_a_label_that_does_not_fit_is_a_422(app_client, sample_digits, label, code) -> None:
    answer = predicted(app_client, sample_digits.images[7])
    response = app_client.post("/corrections", json={"id": answer["id"], "label": label})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in (code, "invalid_label", "invalid_request")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"id": "0" * 32, "label": "3"}, 404, "answer_not_found"),
        ({"label": "3"}, 422, "invalid_request"),
        ({"id": "abc"}, 422, "invalid_request"),
    ],
)
def test_unknown_ids_and_missing_fields_are_clear_4xx(app_client, body, status, code) -> None:
    response = app_client.post("/corrections", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_an_oversized_json_body_is_a_413(app_client) -> None:
    body = b'{"id": "' + b"0" * (6 * 1024 * 1024) + b'", "label": "1"}'
    response = app_client.post(
        "/corrections", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_malformed_json_is_a_400(app_client) -> None:
    response = app_client.post(
        "/corrections", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_json"


def test_an_image_is_corrected_with_its_label(app_client, sample_digits) -> None:
    image = sample_digits.images[12]
    multipart = app_client.post("/corrections", files=upload(image), data={"label": "4"})
    assert multipart.status_code == 201, multipart.text
    assert multipart.json()["label"] == "4" and multipart.json()["answered"] in list("0123456789")
    raw = app_client.post("/corrections?label=not_a_digit", content=png_bytes(image))
    assert raw.status_code == 201 and raw.json()["label"] == "not_a_digit"


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"not an image at all", 415), (b"\x89PNG" + b"\0" * (6 * 1024 * 1024), 413)],
)
def test_an_image_correction_follows_the_rules_of_predict(app_client, data, status) -> None:
    response = app_client.post(
        "/corrections", files={"file": ("x.png", data, "image/png")}, data={"label": "3"}
    )
    predict = app_client.post("/predict", files={"file": ("x.png", data, "image/png")})
    assert response.status_code == predict.status_code == status, response.text
    assert response.json()["error"]["code"] == predict.json()["error"]["code"]


def test_without_capture_an_id_cannot_be_corrected_but_an_image_can(sample_digits) -> None:
    with make_client() as client:  # capture off: the default
        answer = predicted(client, sample_digits.images[0])
        by_id = client.post("/corrections", json={"id": answer["id"], "label": "7"})
        assert by_id.status_code == 404 and "image" in by_id.json()["error"]["message"]
        by_image = client.post(
            "/corrections", files=upload(sample_digits.images[0]), data={"label": "7"}
        )
        assert by_image.status_code == 201


def test_a_client_that_sends_too_many_corrections_is_told_when_to_come_back(sample_digits) -> None:
    with make_client(corrections_per_minute=2) as client:
        sent = [
            client.post("/corrections", files=upload(sample_digits.images[i]), data={"label": "1"})
            for i in range(3)
        ]
        assert [r.status_code for r in sent] == [201, 201, 429]
        assert sent[2].json()["error"]["code"] == "too_many_requests"
        assert int(sent[2].headers["Retry-After"]) >= 1


def test_a_database_that_is_down_answers_503_while_predict_answers(sample_digits) -> None:
    down = f"postgresql://nobody@127.0.0.1:{free_port()}/digits"  # nothing listens there
    with make_client(database_url=down, capture_percent=100) as client:
        assert client.get("/readyz").status_code == 200
        answer = predicted(client, sample_digits.images[1])
        response = client.post("/corrections", json={"id": answer["id"], "label": "2"})
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "database_unavailable"
        assert "Retry-After" in response.headers
        assert predicted(client, sample_digits.images[2])["id"]


def test_operator_routes_need_the_operator_key(sample_digits) -> None:
    with make_client() as closed:
        assert closed.get("/corrections").status_code == 403
    with make_client(operator_key="k", api_key="user") as client:
        assert client.get("/corrections").status_code == 401
        assert client.get("/corrections", headers={"X-API-Key": "user"}).status_code == 401
        assert client.get("/corrections", headers={"Authorization": "Bearer k"}).status_code == 200
        refused = client.post("/corrections", json={"id": "0" * 32, "label": "1"})
        assert refused.status_code == 401  # corrections take the API key where one is set


def test_export_is_what_the_model_saw_with_its_labels(app_client, sample_digits) -> None:
    image = sample_digits.images[20]
    made = app_client.post("/corrections", files=upload(image), data={"label": "8"}).json()
    archive = zipfile.ZipFile(
        io.BytesIO(app_client.get("/corrections/export", headers=OPERATOR).content)
    )
    rows = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
    mine = [r for r in rows if r["correction"] == made["id"]]
    assert [r["label"] for r in mine] == ["8"]
    from PIL import Image

    saved = np.asarray(Image.open(io.BytesIO(archive.read(mine[0]["file"]))))
    seen = app_client.post("/predict?include_input=true", files=upload(image)).json()["input_image"]
    import base64

    expected = np.asarray(Image.open(io.BytesIO(base64.b64decode(seen.split(",")[1]))))
    assert np.array_equal(saved, expected)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["images"] == len(rows) and len(manifest["digest"]) == 64


def test_operators_delete_one_or_all_before_a_time(sample_digits) -> None:
    with make_client(operator_key="k") as client:
        key = {"X-API-Key": "k"}
        ids = [
            client.post(
                "/corrections", files=upload(sample_digits.images[i]), data={"label": "0"}
            ).json()["id"]
            for i in range(3)
        ]
        assert client.delete(f"/corrections/{ids[0]}", headers=key).status_code == 204
        assert client.delete(f"/corrections/{ids[0]}", headers=key).status_code == 404
        assert client.delete("/corrections", headers=key).status_code == 422  # `before` needed
        gone = client.delete("/corrections", headers=key, params={"before": "2999-01-01T00:00:00Z"})
        assert gone.json() == {"deleted": 2}
        assert client.get("/corrections", headers=key).json()["total"] == 0


def test_corrections_and_live_accuracy_are_counted_per_version(sample_digits) -> None:
    with make_client(capture_percent=100) as client:
        answers = [predicted(client, sample_digits.images[i]) for i in (0, 1)]
        client.post(
            "/corrections", json={"id": answers[0]["id"], "label": str(answers[0]["digit"])}
        )
        wrong = str((answers[1]["digit"] + 1) % 10)
        client.post("/corrections", json={"id": answers[1]["id"], "label": wrong})
        text = client.get("/metrics", headers={"Accept": "text/plain"}).text
        version = answers[0]["model_version"]
        assert f'digits_live_accuracy{{version="{version}"}} 0.5' in text
        assert f'digits_feedback_answers_total{{outcome="wrong",version="{version}"}} 1.0' in text
        assert f'digits_corrections_total{{label="{wrong}",version="{version}"}} 1.0' in text


def test_captured_inputs_are_deleted_after_their_days(sample_digits) -> None:
    with make_client(capture_percent=100, capture_days=2 / 86_400) as client:  # two seconds
        answer = predicted(client, sample_digits.images[3])
        time.sleep(3.5)
        response = client.post("/corrections", json={"id": answer["id"], "label": "3"})
        assert response.status_code == 404


def test_the_log_line_of_a_request_names_its_answers(app_client, sample_digits, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        answer = predicted(app_client, sample_digits.images[4])
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert any('"POST /predict" 200' in line and answer["id"] in line for line in lines)


def test_operator_times_and_pages_at_the_edges_are_answered_not_500(app_client) -> None:
    """Found by fuzzing with the keys set: a time within a day of year 1 or 9999 cannot be
    turned into UTC, and a huge offset fits no database's integers."""
    key = {"X-API-Key": "operator-key"}
    earliest, latest = "0001-01-01T00:00:00+15:00", "9999-12-31T23:00:00-05:00"
    listed = app_client.get("/corrections", headers=key, params={"before": earliest})
    assert listed.status_code == 200 and listed.json()["corrections"] == []
    assert app_client.get("/corrections", headers=key, params={"after": latest}).status_code == 200
    exported = app_client.get("/corrections/export", headers=key, params={"before": earliest})
    assert exported.status_code == 200
    deleted = app_client.delete("/corrections", headers=key, params={"before": earliest})
    assert deleted.json() == {"deleted": 0}
    huge = app_client.get("/corrections", headers=key, params={"offset": 2**64})
    assert huge.status_code == 422 and huge.json()["error"]["code"] == "invalid_request"
    assert app_client.get("/corrections", headers=key, params={"before": "0.5"}).status_code == 422
