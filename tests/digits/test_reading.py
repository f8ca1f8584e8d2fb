"""A number's text from its digits and the separators between them."""

from __future__ import annotations

import numpy as np

from digits.reading import Placed, number_text
from digits.segment import Reading
from digits.separators import Mark


def reading(marks: list[Mark]) -> Reading:
    return Reading(parts=[], ink=np.zeros((40, 200)), scale=2.0, height=20.0, marks=marks)


def test_separators_stand_where_they_are_in_the_upload() -> None:
    point = Mark(".", (14, 16, 2, 2), 0.9)  # working pixels: 28-32 in the upload's
    text, placed = number_text(reading([point]), [[0, 0, 20, 40], [40, 0, 20, 40]], [1, 2])
    assert text == "1.2"
    assert placed == [Placed(".", 1, [28, 32, 4, 4], 0.9)]


def test_a_wide_gap_between_groups_is_a_space() -> None:
    boxes = [[x, 0, 20, 40] for x in (0, 25, 50, 200, 225)]
    text, placed = number_text(reading([]), boxes, [1, 2, 3, 4, 5])
    assert text == "123 45"
    assert placed == [Placed(" ", 3, None, 1.0)]
