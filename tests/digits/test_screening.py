"""Temperature scaling and the split of a screened model call."""

from __future__ import annotations

import numpy as np

from digits.screening import Screened, split, temper


class Fixed:
    def __init__(self, answers: np.ndarray) -> None:
        self.answers = answers

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return self.answers[: len(batch)].copy()


def test_temperature_softens_and_sharpens_without_changing_the_answer() -> None:
    p = np.array([[0.7, 0.2, 0.1] + [0.0] * 7], np.float32)
    softer, sharper = temper(p, 2.0), temper(p, 0.5)
    assert softer.max() < 0.7 < sharper.max()
    assert softer.argmax() == sharper.argmax() == 0
    np.testing.assert_allclose(softer.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(temper(p, 1.0), p)
    # softmax(log p / T): at T=2 the ratios are square roots of the original ones
    assert np.isclose(softer[0, 0] / softer[0, 1], np.sqrt(0.7 / 0.2), rtol=1e-5)


def test_screened_call_appends_the_digit_score_and_split_separates_it() -> None:
    probabilities = np.eye(10, dtype=np.float32)[[3, 5]]
    scores = np.array([[0.9], [0.1]], np.float32)
    outputs = Screened(Fixed(probabilities), Fixed(scores), temperature=1.0).predict(
        np.zeros((2, 28, 28, 1), np.float32)
    )
    assert outputs.shape == (2, 11)
    got, digit_scores = split(outputs)
    np.testing.assert_array_equal(got, probabilities)
    np.testing.assert_array_equal(digit_scores, scores[:, 0])
    assert split(probabilities)[1] is None
