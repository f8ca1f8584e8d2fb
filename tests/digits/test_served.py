"""Loading the served model: the cascade where calibrated for these very files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from digits.cascade import unsure
from digits.contract import METRICS_FILENAME, SERVING_FILENAME, as_model_input
from digits.runtime import LiteRTModel
from digits.screening import split, temper
from digits.served import load_model
from tests.harness import MODEL_DIR, model_copy
from training.data import Digits


def test_served_cascade_is_its_two_stages_by_the_rule(sample_digits: Digits) -> None:
    loaded = load_model(MODEL_DIR, not_a_digit=False)
    assert loaded.cascade is not None
    stored = loaded.card.cascade
    pixels = as_model_input(sample_digits.images)
    fast = LiteRTModel.open(MODEL_DIR / stored.fast_model).predict(pixels)
    full = LiteRTModel.open(MODEL_DIR / SERVING_FILENAME).predict(pixels)
    expected = np.where(unsure(fast, stored.threshold)[:, None], full, fast)
    np.testing.assert_allclose(loaded.predict(pixels), expected, atol=1e-6)
    assert (expected.argmax(axis=1) == sample_digits.labels).mean() >= 0.99


def test_a_cascade_calibrated_for_other_files_is_not_trusted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sample_digits: Digits
) -> None:
    """Retrain one network and forget to recalibrate: the full model answers alone, loudly."""
    model_copy(tmp_path / "model")
    metrics_path = tmp_path / "model" / METRICS_FILENAME
    metrics = json.loads(metrics_path.read_text())
    metrics["cascade"]["sha256"]["fast/model.tflite"] = "0" * 64
    metrics_path.write_text(json.dumps(metrics))
    with caplog.at_level(logging.WARNING, logger="digits.served"):
        loaded = load_model(tmp_path / "model", not_a_digit=False)
    assert loaded.cascade is None and "recalibrate" in caplog.text
    assert loaded.answering.test_accuracy == metrics["test"]["accuracy"]
    assert loaded.answering.name == metrics["model"]["name"]
    pixels = as_model_input(sample_digits.images[:20])
    full = LiteRTModel.open(MODEL_DIR / SERVING_FILENAME).predict(pixels)
    np.testing.assert_allclose(loaded.predict(pixels), full, atol=1e-6)
    assert load_model(MODEL_DIR, cascade=False).cascade is None


def test_screened_model_adds_the_detector_score_to_tempered_probabilities(
    sample_digits: Digits,
) -> None:
    """One model call: the cascade's probabilities, tempered, then the detector's score."""
    screened, plain = load_model(MODEL_DIR), load_model(MODEL_DIR, not_a_digit=False)
    record = screened.card.not_a_digit
    if record is None:
        pytest.skip("the committed model has no calibrated detector")
    pixels = as_model_input(sample_digits.images[:50])
    probabilities, scores = split(screened.predict(pixels))
    np.testing.assert_allclose(
        probabilities, temper(plain.predict(pixels), record.temperature), atol=1e-6
    )
    detector = LiteRTModel.open(MODEL_DIR / record.detector, outputs=1)
    np.testing.assert_allclose(scores, detector.predict(pixels)[:, 0], atol=1e-6)
    assert screened.answering.not_a_digit == record and plain.answering.not_a_digit is None
