"""Typed digits, other hands and low resolution: drawn reproducibly, labels kept, every style."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from synthesis.fonts import require
from synthesis.hands import elastic, enlarged, low_resolution, other_hand, slant, stroke_width
from synthesis.styles import STYLES, ink_box
from synthesis.typed import typed_ink, typed_on_screen


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_typed_digits_are_reproducible_and_differ_by_font() -> None:
    first, second = require("train")[:2]
    assert np.array_equal(typed_ink("7", first, rng()), typed_ink("7", first, rng()))
    assert not np.array_equal(typed_ink("7", first, rng()), typed_ink("7", second, rng()))
    top, bottom, _, _ = ink_box(typed_ink("4", first, rng()))
    assert 30 <= bottom - top <= 110  # a glyph of 56-104 points


@pytest.mark.parametrize("seed", range(6))
def test_a_screenshot_holds_a_digit_14_to_40_pixels_tall(seed: int) -> None:
    data = typed_on_screen("3", require("validation")[seed], rng(seed))
    image = Image.open(io.BytesIO(data))
    grey = np.asarray(image.convert("L"), np.float32)
    ink = np.abs(grey - np.median(grey[0]))
    top, bottom, _, _ = ink_box(ink, level=64)
    doubled = grey.shape[0] % 2 == 0 and np.array_equal(grey[::2], grey[1::2])
    scale = 2 if doubled else 1  # now and then a high-density capture
    assert 10 <= (bottom - top) / scale <= 42


def test_other_hands_keep_the_digit(sample_digits) -> None:
    """Each transform moves ink but keeps most of it where the digit is."""
    digit = enlarged(sample_digits.images[0])
    for transform in (stroke_width, slant, elastic):
        redrawn = transform(digit, rng(1))
        assert redrawn.shape == digit.shape and redrawn.max() > 100
        overlap = np.minimum(redrawn > 64, digit > 64).sum() / (digit > 64).sum()
        assert overlap > 0.3, transform.__name__
    assert other_hand(sample_digits.images[0], rng(2)).shape == digit.shape


def test_low_resolution_is_small_and_enlarged_again(sample_digits) -> None:
    sides = []
    for seed in range(20):
        image = low_resolution(enlarged(sample_digits.images[seed]), rng(seed))
        sides.append(max(image.shape))
        assert image.max() > 100
    assert min(sides) >= 28 and max(sides) <= 64


@pytest.mark.parametrize("style", STYLES)
def test_every_style_encodes_a_readable_upload(style: str, sample_digits) -> None:
    data = STYLES[style](enlarged(sample_digits.images[5]), rng(3))
    Image.open(io.BytesIO(data)).load()
    assert data == STYLES[style](enlarged(sample_digits.images[5]), rng(3))
