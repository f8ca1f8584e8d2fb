"""Generated non-digits: never a character people write as a digit, reproducible, every style."""

from __future__ import annotations

import numpy as np

from digits.contract import MAX_PIXELS
from digits.preprocess import open_image
from synthesis.nondigits import (
    CHARACTERS,
    DIGIT_LIKE,
    HELD_OUT_FONTS,
    KINDS,
    TRAIN_FONTS,
    fonts,
    upload,
)
from synthesis.numbers import lettered_texts
from synthesis.styles import STYLES
from training.nondigits import nondigit_inputs


def test_characters_people_write_as_digits_are_never_non_digits() -> None:
    assert not set("lIOoSZBgq") & set(CHARACTERS)
    assert not DIGIT_LIKE & set(CHARACTERS)
    assert not set("0123456789") & set(CHARACTERS)


def test_training_and_held_out_sets_use_different_fonts() -> None:
    assert fonts(TRAIN_FONTS) and fonts(HELD_OUT_FONTS)
    assert not {p.name for p in fonts(TRAIN_FONTS)} & {p.name for p in fonts(HELD_OUT_FONTS)}


def test_uploads_are_reproducible_and_differ_by_seed() -> None:
    for kind in KINDS:
        for style in STYLES:
            assert upload(kind, style, 5) == upload(kind, style, 5)
            assert upload(kind, style, 5) != upload(kind, style, 6)


def test_non_digits_come_out_as_model_inputs() -> None:
    images = nondigit_inputs(20, seed=9)
    assert images.shape == (20, 28, 28) and images.dtype == np.float32
    assert images.max() > 200  # ink stretched to MNIST's range, as uploads are


def test_lettered_texts_are_no_number_and_hold_no_letter_written_as_a_digit() -> None:
    """What bench.numbers sends /read to be refused: words, and digits with letters beside them,
    never a letter people write for a digit (an O read as 0 is right), in every upload style."""
    made = lettered_texts("validation", 6, 0)
    assert {style for _, style, _, _ in made} == set(STYLES)
    for kind, _, text, data in made:
        letters = [c for c in text if c.isalpha()]
        assert letters and not set(letters) & DIGIT_LIKE, text
        assert any(c.isdigit() for c in text) == (kind == "digits with letters"), text
        assert open_image(data, MAX_PIXELS).size[0] > 0
    assert lettered_texts("validation", 6, 0) == made  # the same seed, the same uploads
