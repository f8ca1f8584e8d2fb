"""The piece judge's training data: the candidate pieces of composed numbers, labelled by the one
rule of `training.pieces` (each digit's own ink)."""

from __future__ import annotations

import numpy as np

from digits.contract import NUM_CLASSES
from digits.segment import CONTEXT_SHAPE
from training.judge import pieces
from training.pieces import NOT_WHOLE


def test_pieces_of_touching_numbers_hold_digits_and_wrong_cuts(sample_digits) -> None:
    inputs, labels = pieces(sample_digits.images, sample_digits.labels, 12, seed=3)
    assert inputs.shape[1:] == CONTEXT_SHAPE and inputs.dtype == np.uint8
    assert set(labels) <= set(range(NUM_CLASSES + 1))
    assert (labels == NOT_WHOLE).sum() >= 10
    assert (labels < NOT_WHOLE).sum() >= 12
