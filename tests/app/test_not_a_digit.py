"""Images that hold no digit are said so, through the running app, on the committed model."""

from __future__ import annotations

import json

import pytest

from synthesis.nondigits import HELD_OUT_FONTS, KINDS, upload
from synthesis.styles import STYLES as NONDIGIT_STYLES
from synthesis.uploads import STYLES
from tests.harness import MODEL_DIR, make_client, png_bytes

CARD = json.loads((MODEL_DIR / "metrics.json").read_text())
HELD_OUT_SEED = 50_000  # none of the detector's training or validation seeds
pytestmark = pytest.mark.skipif(
    "not_a_digit" not in CARD, reason="the committed model has no calibrated detector"
)


def held_out_uploads(per_kind_and_style: int) -> list[tuple[str, bytes]]:
    return [
        (kind, upload(kind, style, HELD_OUT_SEED + i, HELD_OUT_FONTS))
        for kind in KINDS
        for style in NONDIGIT_STYLES
        for i in range(per_kind_and_style)
    ]


def test_held_out_non_digits_are_refused(client) -> None:
    """Letters in fonts the detector never saw, shapes, scribbles, textures, photo crops, none
    made with a seed the detector saw: 300 of them, through the app. The card measures ~97% on
    5,000 such images (the issue's target is 95%); 93% leaves room for this smaller sample's
    noise (one standard deviation is ~1 point) and fails on a real regression."""
    uploads = held_out_uploads(20)
    refused = {kind: 0 for kind in KINDS}
    as_numbers = 0  # hatching, parallel strokes, is taken for a row of 1s now and then
    for kind, data in uploads:
        response = client.post("/predict", content=data, headers={"Content-Type": "image/png"})
        if response.status_code == 422:
            code = response.json()["error"]["code"]
            assert code in ("not_a_digit", "no_digit_found", "several_digits")
            as_numbers += code == "several_digits"
            refused[kind] += 1
        else:
            assert response.status_code == 200
    share = sum(refused.values()) / len(uploads)
    assert share >= 0.93, refused
    assert as_numbers <= 0.03 * len(uploads)


def test_real_style_digits_are_seldom_refused(client, sample_digits) -> None:
    """300 test digits in each upload style of the tests: at most 1% refused in all."""
    refused, total = 0, 0
    for style in STYLES.values():
        for start in range(0, 300, 60):
            batch = sample_digits.images[start : start + 60]
            files = [("files", (f"{i}.img", style(d), "image/png")) for i, d in enumerate(batch)]
            answers = client.post("/predict/batch", files=files).json()["predictions"]
            refused += sum(a["error"] is not None for a in answers)
            total += len(answers)
    assert refused / total <= 0.01


RAW_PNG = {"Content-Type": "image/png"}


def refused_upload(client, kind: str) -> bytes:
    """The first of ten held-out images of a kind that the app refuses as not a digit: the
    detector refuses ~97% of them, so ten in a row passing is a regression, and fails."""
    for seed in range(HELD_OUT_SEED, HELD_OUT_SEED + 10):
        data = upload(kind, "paper", seed, HELD_OUT_FONTS)
        response = client.post("/predict", content=data, headers=RAW_PNG)
        if response.status_code == 422 and response.json()["error"]["code"] == "not_a_digit":
            return data
    raise AssertionError(f"none of ten held-out {kind} images was refused as not a digit")


def test_not_a_digit_answer_carries_the_guess(client) -> None:
    star = refused_upload(client, "shape")
    headers = RAW_PNG
    refused = client.post("/predict", content=star, headers=headers)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == {
        "status": 422,
        "code": "not_a_digit",
        "message": "That does not look like a digit.",
    }
    guess = body["prediction"]
    assert guess["is_digit"] is False and guess["digit_score"] < CARD["not_a_digit"]["threshold"]
    assert len(guess["probabilities"]) == 10 and 0 <= guess["digit"] <= 9
    answered = client.post("/predict?always_guess=true", content=star, headers=headers)
    assert answered.status_code == 200
    again = answered.json()
    assert again.pop("id") != guess.pop("id")  # two answers, each with its own id
    assert {k: v for k, v in again.items() if k != "error"} == guess


def test_batch_items_say_which_image_is_no_digit(client, sample_digits) -> None:
    star = refused_upload(client, "shape")
    files = [
        ("files", ("seven.png", png_bytes(sample_digits.images[210]), "image/png")),
        ("files", ("star.png", star, "image/png")),
    ]
    seven, other = client.post("/predict/batch", files=files).json()["predictions"]
    assert seven["error"] is None and seven["is_digit"] is True
    assert other["is_digit"] is False and other["error"]["code"] == "not_a_digit"
    assert other["filename"] == "star.png" and other["digit_score"] is not None


def test_not_a_digit_answers_are_counted(client, sample_digits) -> None:
    letter = refused_upload(client, "letter")
    with make_client() as fresh:
        registry = fresh.app.state.telemetry.registry
        assert fresh.post("/predict", content=letter, headers=RAW_PNG).status_code == 422
        assert registry.get_sample_value("digits_not_a_digit_total") == 1.0
        digit = png_bytes(sample_digits.images[0])
        assert fresh.post("/predict", content=digit, headers=RAW_PNG).status_code == 200
        assert registry.get_sample_value("digits_not_a_digit_total") == 1.0
        refused = {"reason": "not_a_digit"}
        assert registry.get_sample_value("digits_rejected_inputs_total", refused) == 1.0


def test_the_detector_can_be_turned_off(sample_digits) -> None:
    star = upload("shape", "paper", HELD_OUT_SEED)
    with make_client(not_a_digit=False) as plain:
        answer = plain.post("/predict", content=star, headers={"Content-Type": "image/png"})
        assert answer.status_code == 200 and answer.json()["is_digit"] is None
        assert plain.get("/model").json()["not_a_digit"] is None
