"""Typed digits, other hands, low resolution and hand-lettered digits: drawn reproducibly, labels
kept, every style."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from synthesis.fonts import require
from synthesis.hands import elastic, enlarged, low_resolution, other_hand, slant, stroke_width
from synthesis.lettered import centre_line, lettered_ink
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


def test_a_wide_image_wobbles_across_its_whole_width() -> None:
    """`elastic` on a number wider than tall moves ink at both ends, as on a square digit."""
    ink = np.zeros((64, 256), np.float32)
    ink[:, ::16] = 255  # upright lines across the width
    bent = elastic(ink, rng(4))
    assert bent.shape == ink.shape
    for part in (slice(0, 64), slice(192, 256)):
        assert not np.array_equal(bent[:, part] > 128, ink[:, part] > 128)


def test_the_centre_line_of_a_stroke_is_one_pixel_wide_and_unbroken() -> None:
    y, x = np.mgrid[:60, :60]
    radius = np.hypot(y - 30, x - 30)
    ring = (radius >= 18) & (radius <= 26)  # a stroke 9 px thick
    line = centre_line(ring)
    assert radius[line].min() >= 19 and radius[line].max() <= 25  # along the stroke's middle
    for row in (10, 30, 50):  # crossed twice, a pixel or two each time, never missed
        assert 2 <= line[row].sum() <= 4, row
    assert line.sum() < ring.sum() / 5
    dot = np.zeros((20, 20), bool)
    dot[5:12, 5:12] = True  # a point
    assert 1 <= centre_line(dot).sum() <= 4


def test_lettered_digits_keep_the_typeface_drawn_with_an_even_pen() -> None:
    path = require("train")[1]  # DejaVu Sans Bold: a heavy face, lettered with a pen as any other

    def weight(ink: np.ndarray) -> float:  # ink per square of the glyph's height
        top, bottom, _, _ = ink_box(ink)
        return (ink > 128).sum() / (bottom - top) ** 2

    lighter = []
    for seed in range(8):
        ink = lettered_ink("8", path, rng(seed))
        assert np.array_equal(ink, lettered_ink("8", path, rng(seed)))  # reproducible
        top, bottom, _, _ = ink_box(ink)
        assert 40 <= bottom - top <= 90
        lighter.append(weight(ink) / weight(typed_ink("8", path, rng(seed), stroke=0)))
    assert np.median(lighter) < 0.7 and max(lighter) < 0.9  # a pen, not the bold glyph's stems
    number = lettered_ink("1,250.75", path, rng(1))
    assert number.shape[1] > 2 * number.shape[0]


@pytest.mark.parametrize("seed", range(6))
def test_a_lettered_point_is_as_wide_as_the_pen_line(seed: int) -> None:
    """A pen's dot is as wide as its line (blurred as a line is, a dot would shrink to half)."""
    ink = lettered_ink("1.1", require("train")[seed], rng(seed)) > 127
    columns = np.flatnonzero(ink.any(axis=0))
    groups = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    assert len(groups) == 3  # 1, point, 1
    rows = np.pad(ink[:, groups[0][0] : groups[0][-1] + 1], ((0, 0), (1, 1))).astype(np.int8)
    edges = np.nonzero(np.diff(rows, axis=1))[1]
    line = np.median(edges[1::2] - edges[::2])  # the first 1's stroke, across (or aslant)
    assert len(groups[1]) >= 0.8 * line


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
