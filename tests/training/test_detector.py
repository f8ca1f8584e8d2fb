"""The not-a-digit pieces measured offline: generated non-digits, calibration and ROC figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.harness import MODEL_DIR
from training.evaluate import auroc, fit_temperature, refused_at, reliability


def test_temperature_is_fitted_to_make_confidence_honest() -> None:
    """Over-confident answers (0.99 where 80% are right) are softened by T > 1, and the
    calibration error falls."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 4000)
    predicted = np.where(rng.random(4000) < 0.8, labels, (labels + 1) % 10)
    probabilities = np.full((4000, 10), 0.01 / 9)
    probabilities[np.arange(4000), predicted] = 0.99
    temperature = fit_temperature(probabilities, labels)
    assert temperature > 1.5
    from digits.screening import temper

    before, _ = reliability(probabilities, labels)
    after, bins = reliability(temper(probabilities, temperature), labels)
    assert before == pytest.approx(0.19, abs=0.02) and after < 0.03
    assert sum(b["count"] for b in bins) == 4000


def test_auroc_and_refusal_at_a_digit_refusal_rate() -> None:
    digits = np.array([0.9, 0.8, 0.7, 0.6])
    assert auroc(digits, np.array([0.1, 0.2])) == 1.0
    assert auroc(digits, np.array([0.95, 0.99])) == 0.0
    assert auroc(np.array([0.5]), np.array([0.5])) == 0.5
    many = np.linspace(0, 1, 1001)
    assert refused_at(many, np.array([0.001, 0.005, 0.5]), 0.01) == pytest.approx(2 / 3)


CARD = json.loads((MODEL_DIR / "metrics.json").read_text())


@pytest.mark.skipif("not_a_digit" not in CARD, reason="the committed model has no detector")
def test_committed_not_a_digit_figures_are_what_the_files_give(mnist_test) -> None:
    """The card's test figures, recomputed from the committed compiled files."""
    from digits.card import ModelCard
    from digits.runtime import LiteRTModel
    from training.detector import on_mnist_test, outputs, served_classifier

    card = ModelCard.read(MODEL_DIR)
    record = card.not_a_digit
    classifier, name = served_classifier(MODEL_DIR, card)
    detector = LiteRTModel.open(MODEL_DIR / record.detector, outputs=1)
    raw, scores = outputs(classifier, detector, mnist_test.images)
    again = on_mnist_test(raw, scores, record.temperature, record.threshold, mnist_test)
    assert name == record.classifier
    for key in ("digits_refused", "accuracy_all", "accuracy_answered"):
        assert again[key] == pytest.approx(record.test[key], abs=2e-4), key
    assert again["ece_after"] == pytest.approx(record.calibration["test"]["ece_after"], abs=1e-4)
    assert again["ece_before"] == pytest.approx(record.calibration["test"]["ece_before"], abs=1e-4)
    assert record.test["digits_refused"] <= 0.01  # the bounds: MNIST test digits,
    assert record.test["styled_digits_refused"] <= 0.01  # digits in upload styles,
    assert record.test["nondigits_refused"] >= 0.95  # and held-out non-digits
    assert record.test["accuracy_answered"] >= 0.997  # what it answers holds the product's goal
    # confidence means what it says: on test, within a quarter point on average (the networks
    # are well calibrated already; the temperature fitted on validation barely moves it)
    assert record.calibration["test"]["ece_after"] <= 0.0025
    assert record.test["auroc"] > record.baseline["auroc"]


@pytest.mark.skipif("not_a_digit" not in CARD, reason="the committed model has no detector")
def test_committed_held_out_figures_are_what_the_files_give(mnist_test) -> None:
    """The card's headline figures on held-out data (non-digits refused, by kind, AUROC, at 1%
    of digits refused, the baseline's; digits in upload styles refused), recomputed from the
    committed compiled files and the project's own generators, not read back from the card."""
    from digits.card import ModelCard
    from digits.runtime import LiteRTModel
    from training.detector import on_held_out, outputs, served_classifier

    card = ModelCard.read(MODEL_DIR)
    record = card.not_a_digit
    classifier, _ = served_classifier(MODEL_DIR, card)
    detector = LiteRTModel.open(MODEL_DIR / record.detector, outputs=1)
    raw, scores = outputs(classifier, detector, mnist_test.images)
    held = on_held_out(
        classifier, detector, mnist_test, raw, scores, record.temperature, record.threshold
    )
    assert held.test["nondigits"] == record.test["nondigits"]
    for key in ("styled_digits_refused", "nondigits_refused", "nondigits_refused_at_1pct_digits"):
        assert held.test[key] == pytest.approx(record.test[key], abs=2e-3), key
    for kind, share in record.test["nondigits_refused_by_kind"].items():
        assert held.test["nondigits_refused_by_kind"][kind] == pytest.approx(share, abs=5e-3)
    assert held.test["auroc"] == pytest.approx(record.test["auroc"], abs=1e-3)
    for key in ("auroc", "nondigits_refused_at_1pct_digits"):
        assert held.baseline[key] == pytest.approx(record.baseline[key], abs=2e-3), key
