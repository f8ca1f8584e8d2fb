"""The cascade: a fast network answers what it is sure of; the full model answers the rest.

The rule lives here once, used by the service (`Cascade.predict`) and by the calibration that
picks its threshold on the validation split (`training.cascade`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Network(Protocol):
    def predict(self, batch: np.ndarray) -> np.ndarray: ...


def unsure(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Which images the fast network hands on: its top probability is below the threshold."""
    return probabilities.max(axis=1) < threshold


@dataclass
class Cascade:
    """The fast network first; the images it is unsure of, the full model."""

    fast: Network
    full: Network
    threshold: float
    on_handed_on: Callable[[int], None] | None = None  # images handed on, per call

    def predict(self, batch: np.ndarray) -> np.ndarray:
        probabilities = self.fast.predict(batch)
        handed_on = np.flatnonzero(unsure(probabilities, self.threshold))
        if len(handed_on):
            probabilities[handed_on] = self.full.predict(batch[handed_on])
            if self.on_handed_on:
                self.on_handed_on(len(handed_on))
        return probabilities
