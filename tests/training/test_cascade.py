"""The cascade's calibration: the threshold chosen on validation, measured once on test."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from digits.card import ModelCard
from digits.contract import METRICS_FILENAME
from tests.harness import MODEL_DIR, model_copy
from training.cascade import THRESHOLDS, calibrate, main, measure, pick_threshold, same_split
from training.data import DataError, Digits


def test_committed_calibration_is_what_calibrating_again_gives(tmp_path) -> None:
    """The shipped threshold and figures come from `python -m training cascade model`."""
    copy = model_copy(tmp_path / "model")
    committed = json.loads((MODEL_DIR / METRICS_FILENAME).read_text())["cascade"]
    assert calibrate(copy).model_dump(mode="json") == committed
    assert json.loads((copy / METRICS_FILENAME).read_text())["cascade"] == committed
    assert committed["test"]["accuracy"] >= 0.997  # the product's goal holds for what is served
    full_validation = json.loads((MODEL_DIR / METRICS_FILENAME).read_text())["validation"]
    assert committed["validation"]["accuracy"] >= full_validation["accuracy"]
    assert committed["test"]["handed_on"] < 0.02  # the fast network answers 49 in 50 or more


def test_threshold_is_the_most_accurate_on_validation_and_hands_on_fewest_among_equals() -> None:
    labels = np.array([0, 1, 2, 3])
    full = np.eye(10)[[0, 1, 2, 3]]  # the full model is right on all four
    fast = np.full((4, 10), 0.01)
    fast[0, 0] = fast[1, 1] = 0.97  # sure and right
    fast[2, 7] = 0.92  # fairly sure and wrong: handing it on needs a threshold above 0.92
    fast[3, 3] = 0.6  # unsure and right
    assert pick_threshold({t: measure(fast, full, labels, t) for t in THRESHOLDS}) == 0.95
    assert measure(fast, full, labels, 0.95).model_dump() == {
        "accuracy": 1.0,
        "errors": 0,
        "handed_on": 0.5,
    }
    assert measure(fast, full, labels, 0.5).model_dump() == {
        "accuracy": 0.75,
        "errors": 1,
        "handed_on": 0.0,
    }
    assert 0.95 in THRESHOLDS


def test_networks_that_held_out_different_images_are_not_calibrated() -> None:
    data = Digits(np.zeros((10, 28, 28), np.uint8), np.zeros(10, np.int64))
    model = {"name": "m"}
    metrics = ModelCard(
        model=model, training={"seed": 42, "validation_size": 5}, data={"train_sha256": "x"}
    )
    other = ModelCard(model=model, training={"seed": 7, "validation_size": 5})
    with pytest.raises(DataError, match="different validation splits"):
        same_split(metrics, other, data)
    with pytest.raises(DataError, match="vendored MNIST"):
        same_split(metrics, metrics, data)


def test_cli_says_what_is_missing(tmp_path, capsys) -> None:
    shutil.copy(MODEL_DIR / METRICS_FILENAME, tmp_path / METRICS_FILENAME)
    assert main([str(tmp_path)]) == 2  # no fast network at all
    assert "cannot calibrate" in capsys.readouterr().err
    (tmp_path / "fast").mkdir()
    shutil.copy(MODEL_DIR / "fast" / METRICS_FILENAME, tmp_path / "fast" / METRICS_FILENAME)
    assert main([str(tmp_path)]) == 2  # its measurements, but not its compiled file
    assert "model file not found" in capsys.readouterr().err
