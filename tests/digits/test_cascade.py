"""The cascade rule: only the images the fast network is unsure of reach the full model."""

from __future__ import annotations

import numpy as np

from digits.cascade import Cascade, unsure


class Fixed:
    """A stand-in network that answers given rows and records what it was asked."""

    def __init__(self, answers: np.ndarray) -> None:
        self.answers, self.calls = answers, []

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.calls.append(batch[:, 0, 0, 0].astype(int).tolist())
        return self.answers[batch[:, 0, 0, 0].astype(int)].copy()


def test_cascade_hands_only_unsure_images_to_the_full_model() -> None:
    """Image i carries i in its first pixel; the fast network is sure of images 0 and 2 only."""
    fast = np.full((4, 10), 0.02, np.float32)
    fast[[0, 2], 3], fast[[1, 3], 5] = 0.82, 0.5
    full = np.eye(10, dtype=np.float32)[[9, 8, 7, 6]]
    handed: list[int] = []
    cascade = Cascade(Fixed(fast), Fixed(full), threshold=0.8, on_handed_on=handed.append)
    batch = np.arange(4, dtype=np.float32)[:, None, None, None] * np.ones((4, 28, 28, 1))
    answers = cascade.predict(batch)
    assert answers.argmax(axis=1).tolist() == [3, 8, 3, 6]
    assert cascade.full.calls == [[1, 3]] and handed == [2]
    assert unsure(fast, 0.8).tolist() == [False, True, False, True]
    sure = Cascade(Fixed(fast), Fixed(full), threshold=0.5).predict(batch[[0, 2]])
    assert sure.argmax(axis=1).tolist() == [3, 3]  # nobody unsure: the full model is not called
