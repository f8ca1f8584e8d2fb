"""The piece judge's training data: numbers rendered in the upload styles, pieces labelled by
how well their columns match one digit's."""

from __future__ import annotations

import numpy as np

from digits.contract import NUM_CLASSES
from digits.preprocess import open_image
from digits.segment import CONTEXT_SHAPE, find_digits
from training.judge import MAX_PIXELS, NOT_WHOLE, grown, label, own_ink, pieces, render
from training.nondigits import compose_number


def test_a_piece_is_labelled_by_the_digits_ink_it_holds() -> None:
    digits = [3, 7]
    assert label([0.95, 0.05], digits) == 3
    assert label([0.1, 0.92], digits) == 7
    assert label([0.95, 0.5], digits) == NOT_WHOLE  # both digits
    assert label([0.3, 0.0], digits) == NOT_WHOLE  # a part of one
    assert label([0.75, 0.0], digits) == -1  # in between: left out


def test_rendering_says_where_each_digits_ink_went(sample_digits) -> None:
    """Mapped through the scale and offset `render` reports, each digit's own ink lands in the
    part that holds that digit, in every style."""
    rng = np.random.default_rng(0)
    for _ in range(6):
        strip, _, layers = compose_number(sample_digits.images[:3], False, rng)
        data, *placed = render(strip, rng)
        reading = find_digits(open_image(data, MAX_PIXELS))
        found = [p.pieces[(0, len(p.bounds) - 1)] for p in reading.parts]
        points = own_ink(layers, reading, tuple(placed))
        assert len(found) == 3
        for i, seg in enumerate(found):
            held = grown(seg.mask)
            covers = [held[rows, cols].mean() for rows, cols in points]
            assert covers[i] >= 0.95 and max(np.delete(covers, i)) <= 0.05


def test_pieces_of_touching_numbers_hold_digits_and_wrong_cuts(sample_digits) -> None:
    inputs, labels = pieces(sample_digits.images, sample_digits.labels, 12, seed=3)
    assert inputs.shape[1:] == CONTEXT_SHAPE and inputs.dtype == np.uint8
    assert set(labels) <= set(range(NUM_CLASSES + 1))
    assert (labels == NOT_WHOLE).sum() >= 10
    assert (labels < NOT_WHOLE).sum() >= 12
