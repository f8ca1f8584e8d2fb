"""Screening: calibrated probabilities, and a digit score that says whether there is a digit.

The classifier answers one of ten digits for anything; its top probability is a poor detector
of images that hold no digit (`bench/results.md`, the not-a-digit ROC). So a small detector,
trained on digits against generated non-digits (`training.detector`), scores every image in
the same model call, and the classifier's probabilities are tempered (temperature scaling,
fitted on the validation split) so that a confidence of 0.9 is right nine times in ten.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.cascade import Network
from digits.contract import NUM_CLASSES

EPSILON = 1e-12


def temper(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of probabilities: softmax(log(p) / T), row by row."""
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.maximum(probabilities, EPSILON)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(probabilities.dtype)


@dataclass
class Screened:
    """One model call: the classifier's tempered probabilities, then the detector's digit score,
    (N, 11): columns 0-9 the digits, column 10 how much the image looks like a digit at all."""

    classifier: Network
    detector: Network
    temperature: float = 1.0

    def predict(self, batch: np.ndarray) -> np.ndarray:
        probabilities = temper(self.classifier.predict(batch), self.temperature)
        return np.concatenate([probabilities, self.detector.predict(batch)], axis=1)


def split(outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(N, 10) or (N, 11) model outputs -> probabilities, and digit scores where screened."""
    if outputs.shape[1] == NUM_CLASSES:
        return outputs, None
    return outputs[:, :NUM_CLASSES], outputs[:, NUM_CLASSES]
