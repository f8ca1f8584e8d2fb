"""Separators told apart by their shape and place against the digits around them."""

from __future__ import annotations

import numpy as np
from PIL import Image

from digits.segment import find_digits
from digits.separators import find_marks, spaces
from synthesis.numbers import compose_text

DIGIT = 100  # a digit's height in these boxes: the band is rows 100-200
ONE, TWO = (0, 100, 40, 100), (160, 100, 60, 100)


def marks(*extra: tuple[int, int, int, int]) -> list[str]:
    found, _ = find_marks([ONE, TWO, *extra], DIGIT)
    return [m.char for m in found]


def test_each_separator_by_its_shape_and_place() -> None:
    assert marks((100, 188, 12, 12)) == ["."]  # small, round, on the baseline
    assert marks((100, 180, 10, 40)) == [","]  # hangs below it
    assert marks((90, 145, 40, 8)) == ["-"]  # a flat bar at half height
    assert marks((100, 130, 12, 12), (100, 188, 12, 12)) == [":"]  # a dot above a point
    assert marks((100, 150, 30, 30)) == []  # round but at half height, alone: no separator
    assert marks((20, 188, 12, 12)) == []  # under a digit: part of it (a broken stroke)
    assert marks((100, 100, 12, 12)) == []  # a dot high up, alone


def test_a_space_is_a_gap_much_wider_than_the_others() -> None:
    spans = [(0, 50), (60, 110), (120, 170), (300, 350), (360, 410)]
    assert spaces(spans, 100) == [2]
    assert spaces([(0, 50), (60, 110), (120, 170)], 100) == []


def test_marks_are_found_in_a_written_number(sample_digits) -> None:
    rng = np.random.default_rng(4)
    for text in ("12.5", "3,141", "-7", "12:30"):
        strip = compose_text(text, sample_digits, rng)
        page = Image.fromarray(255 - strip).resize((strip.shape[1] * 4, strip.shape[0] * 4))
        reading = find_digits(page)
        assert "".join(m.char for m in reading.marks) == "".join(c for c in text if c in ".,-:")
        assert len(reading.parts) == sum(c.isdigit() for c in text)
