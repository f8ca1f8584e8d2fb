"""One rule labels the candidate pieces of a number, for the judge and the detector alike."""

from __future__ import annotations

import numpy as np

from digits.contract import MAX_PIXELS
from digits.preprocess import open_image
from digits.segment import find_digits
from synthesis.numbers import compose_number, placed_upload
from training.nondigits import cut_pieces, letter_pieces, stroke_like
from training.pieces import NOT_WHOLE, digit_crops, grown, label, own_ink


def test_a_piece_is_labelled_by_the_digits_ink_it_holds() -> None:
    digits = [3, 7]
    assert label([0.95, 0.05], digits) == 3
    assert label([0.1, 0.92], digits) == 7
    assert label([0.95, 0.5], digits) == NOT_WHOLE  # both digits
    assert label([0.3, 0.0], digits) == NOT_WHOLE  # a part of one
    assert label([0.75, 0.0], digits) == -1  # in between: left out


def test_rendering_says_where_each_digits_ink_went(sample_digits) -> None:
    """Mapped through the scale and offset `placed_upload` reports, each digit's own ink lands
    in the part that holds that digit, in every style."""
    rng = np.random.default_rng(0)
    for _ in range(6):
        strip, layers = compose_number(sample_digits.images[:3], False, rng)
        data, *placed = placed_upload(strip, rng)
        reading = find_digits(open_image(data, MAX_PIXELS))
        found = [p.pieces[(0, len(p.bounds) - 1)] for p in reading.parts]
        points = own_ink(layers, reading, tuple(placed))
        assert len(found) == 3
        for i, seg in enumerate(found):
            held = grown(seg.mask)
            covers = [held[rows, cols].mean() for rows, cols in points]
            assert covers[i] >= 0.95 and max(np.delete(covers, i)) <= 0.05


def test_the_detector_weighs_the_pieces_the_judge_learns(sample_digits) -> None:
    """Whole cuts and wrong cuts, as many of each, prepared as /read prepares a piece."""
    whole, wrong = cut_pieces(sample_digits, 8, seed=4)
    assert whole.shape == wrong.shape == (8, 28, 28)
    assert whole.max() > 200 and wrong.max() > 200
    assert not np.array_equal(whole, wrong)


def test_the_detector_learns_a_typed_words_pieces_as_non_digits() -> None:
    """The pieces /read cuts typed words into, prepared as it prepares a piece: none as narrow
    as a "1" (which a letter's stem may well pass for), the same for the same seed."""
    pieces = letter_pieces(60, seed=5)
    assert pieces.shape == (60, 28, 28) and pieces.max() > 200
    assert not any(stroke_like(piece) for piece in pieces)
    assert np.array_equal(letter_pieces(60, seed=5), pieces)
    assert not np.array_equal(letter_pieces(60, seed=6), pieces)


def test_digit_crops_are_the_whole_digits_of_numbers_labelled(sample_digits, runtime) -> None:
    """Every crop is a whole digit cut out of a number and prepared as /read prepares it: the
    served model reads nearly all of them as their labels (a crop given its neighbour's label,
    or a cut through two digits, would not be)."""
    images, labels = sample_digits.images, sample_digits.labels
    for redraw in (False, True):
        crops, targets = digit_crops(images, labels, 120, redraw, seed=3)
        assert crops.shape == (120, 28, 28) and crops.dtype == np.float32
        assert set(targets) <= set(range(10)) and len(set(targets)) >= 8
        read = runtime.predict_all(crops[..., np.newaxis]).argmax(1)
        assert (read == targets).mean() >= (0.95 if not redraw else 0.85)
    again, _ = digit_crops(images, labels, 120, True, seed=3)
    assert np.array_equal(again, crops)  # the same seed, the same crops
    plain, _ = digit_crops(images, labels, 120, False, seed=3)
    assert not np.array_equal(plain, crops)  # other hands redraw them
