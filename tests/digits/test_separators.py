"""Separators told apart by their shape and place against the digits around them."""

from __future__ import annotations

import numpy as np
from PIL import Image

from digits.segment import find_digits, split_minus
from digits.segment import segment as stroke
from digits.separators import (
    UNREAD,
    crowded,
    find_marks,
    leading_bar,
    on_a_baseline,
    spaces,
)
from synthesis.numbers import compose_text

DIGIT = 100  # a digit's height in these boxes: the band is rows 100-200
ONE, TWO = (0, 100, 40, 100), (160, 100, 60, 100)


def marks(*extra: tuple[int, int, int, int], apart: bool = False) -> list[str]:
    """The marks among the two digits and `extra`; `apart`: no stroke near another's ink."""
    near = (lambda i, j: False) if apart else (lambda i, j: True)
    found, _ = find_marks([ONE, TWO, *extra], DIGIT, near)
    return [m.char for m in found]


def test_each_separator_by_its_shape_and_place() -> None:
    assert marks((100, 188, 12, 12)) == ["."]  # small, round, on the baseline
    assert marks((100, 180, 10, 40)) == [","]  # hangs below it
    assert marks((90, 145, 40, 8)) == ["-"]  # a flat bar at half height
    assert marks((100, 130, 12, 12), (100, 188, 12, 12)) == [":"]  # a dot above a point
    assert marks((20, 188, 12, 12)) == []  # under a digit: part of it (a broken stroke)
    assert marks((100, 100, 12, 12)) == []  # a dot high up, near a digit: a fragment of it


def test_a_bar_high_between_digits_is_unread_not_a_hyphen() -> None:
    """A bar between two digits centred high in the band is more often a 5's bar come apart
    from its body than a hyphen: unread, so the number is refused. The same bar before the
    first digit is a minus (drawn high), and between digits at half height a hyphen."""
    assert marks((90, 145, 40, 8)) == ["-"]  # a hyphen at half height (`2026-12-07`)
    assert marks((90, 126, 40, 8)) == [UNREAD]  # centred 0.30 down the band
    assert marks((-60, 126, 40, 8)) == ["-"]  # a minus before the number, drawn high


def test_typed_separators_by_their_shape_and_place() -> None:
    assert marks((100, 190, 12, 22)) == [","]  # a typed comma: taller than wide, hanging
    assert marks((90, 145, 36, 18)) == ["-"]  # a hyphen: a fat bar
    assert marks((116, 130, 12, 12), (100, 188, 12, 12)) == [":"]  # an italic's colon, slanted
    leaning_too_far = marks((100, 130, 12, 12), (132, 188, 12, 12), apart=True)
    assert leaning_too_far == [UNREAD, UNREAD]  # no colon: a dot and a point side by side


def test_in_type_a_comma_is_what_hangs_below_the_baseline() -> None:
    """Three digits or more on one baseline are type: there a round mark hanging a little is a
    comma (a pen's point may hang as much, a typed one never does)."""
    digits = [(x, 100, 60, 100) for x in (0, 160, 240, 320)]
    found, _ = find_marks([*digits, (100, 198, 14, 17)], DIGIT, lambda i, j: False)
    assert [m.char for m in found] == [","]
    found, _ = find_marks([*digits, (100, 188, 12, 12)], DIGIT, lambda i, j: False)
    assert [m.char for m in found] == ["."]


def test_in_type_a_mark_under_a_digits_overhang_is_no_part_of_it() -> None:
    """A typed digit is one stroke: a comma or point sharing a digit's columns near its ink
    (under an italic 5's curve) is a mark, read where it must be a comma, else unread (it may
    be a colon's lower dot whose upper one touches the digit)."""
    digits = [(x, 100, 60, 100) for x in (0, 80, 160, 240)]
    comma = (50, 196, 14, 24)  # in the first digit's columns, under its curve
    found, _ = find_marks([*digits, comma], DIGIT, lambda i, j: j == 0)
    assert [m.char for m in found] == [","]
    point = (50, 188, 12, 12)
    found, _ = find_marks([*digits, point], DIGIT, lambda i, j: j == 0)
    assert [m.char for m in found] == [UNREAD]
    written = [(x, 100 + dy, 60, 100) for x, dy in ((0, 0), (80, 12), (160, -6), (240, 9))]
    found, _ = find_marks([*written, point], DIGIT, lambda i, j: j == 0)
    assert found == []  # by hand, a stroke under a digit is a piece of it
    colon = [(62, 130, 12, 12), point]  # ... unless a dot stands above it: a colon
    found, _ = find_marks([*written, *colon], DIGIT, lambda i, j: j == 0)
    assert [m.char for m in found] == [":"]


def test_a_screenshots_colon_of_a_few_pixels() -> None:
    """Dots of 3 by 4 pixels are round to within a pixel: a colon, not a lone point."""
    digits = [(x, 8, 10, 18) for x in (0, 14, 34, 48)]
    found, _ = find_marks([*digits, (28, 13, 3, 4), (28, 23, 3, 3)], 18, lambda i, j: True)
    assert [m.char for m in found] == [":"]


def test_a_mark_that_fits_no_rule_is_unread_not_dropped() -> None:
    """A mark a point or a comma could be (round, hanging a little), or one at half height,
    is never read as a separator or left to be dropped: it makes the number refused."""
    assert marks((100, 198, 14, 17)) == [UNREAD]  # round, hanging a little: point or comma?
    assert marks((100, 150, 30, 30)) == [UNREAD]  # round, at half height
    assert marks((100, 100, 12, 12), apart=True) == [UNREAD]  # a dot high up, alone
    assert marks((250, 188, 12, 12), apart=True) == []  # a speck after the last digit: no mark
    assert marks((250, 150, 12, 50), apart=True) == [UNREAD]  # ... but a tall one may be a 1
    assert marks((-40, 188, 12, 12), apart=True) == [UNREAD]  # a point before the first


def test_a_minus_typed_against_its_digit_is_split_off() -> None:
    """A bar at half height joined to the digit after it (a bold face, a blurred photo) is a
    minus; a 4's slanted stroke reaching as low is not."""
    mask = np.zeros((120, 140), bool)
    mask[10:110, 40:50] = mask[10:110, 90:100] = True  # a 0's sides ...
    mask[10:20, 40:100] = mask[100:110, 40:100] = True  # ... top and bottom
    mask[55:65, 5:45] = True  # the minus, touching it
    minus, digit = split_minus(stroke(mask), 100)
    assert minus.char == "-" and minus.box == (5, 55, 35, 10)
    assert digit.box == (40, 10, 60, 100)
    four = np.zeros((100, 60), bool)
    for column in range(30):  # a stroke climbing from half height to the top
        four[60 - 2 * column : 70 - 2 * column, column] = True
    four[:, 30:40] = True
    assert leading_bar(four, 100) == 0
    apart = np.zeros((100, 90), bool)  # a bar, a gap, then a digit: strokes merged, not joined
    apart[45:55, 0:40] = apart[:, 60:70] = True
    assert leading_bar(apart, 100) == 0
    # a minus typed against a 4 in a heavy face runs into its bar: only the 4's slanted stroke
    # rises from it, nothing below; the bar is longer than a 4's own ever sticks out
    minus_four = np.zeros((100, 120), bool)
    minus_four[55:65, 0:95] = True  # the minus, then the 4's bar
    for column in range(30):  # the 4's slanted stroke, climbing from the minus's end
        minus_four[55 - 2 * column : 65 - 2 * column, 45 + column] = True
    minus_four[:, 75:85] = True  # its upright
    assert 45 <= leading_bar(minus_four, 100) <= 55
    short = minus_four[:, 20:]  # a 4's bar sticking out a quarter of its height: no minus
    assert leading_bar(short, 100) == 0
    seven = np.zeros((100, 80), bool)  # a 7 lower than its neighbours: a long bar at half
    seven[40:50, 0:70] = seven[50:100, 60:70] = True  # height, its stem falling from its end
    assert leading_bar(seven, 100) == 0
    # a heavy italic 0 leans away from a minus joined to it: its ink runs above and below the
    # bar a fifth of a height on, not at once (`-09` was read `09`)
    rows, columns = np.mgrid[0:120, 0:160]
    leaning = columns - (60 - rows) * 0.25
    outer = ((rows - 60) / 50) ** 2 + ((leaning - 90) / 30) ** 2 <= 1
    inner = ((rows - 60) / 36) ** 2 + ((leaning - 90) / 16) ** 2 <= 1
    italic = outer & ~inner
    italic[50:62, 10 : np.flatnonzero(italic[50:62].any(axis=0))[0] + 2] = True
    window = italic[10:111, 10:]
    assert leading_bar(window, 100) > 0


def test_a_space_is_a_gap_much_wider_than_the_others() -> None:
    spans = [(0, 50), (60, 110), (120, 170), (300, 350), (360, 410)]
    assert spaces(spans, 100) == [2]
    assert spaces([(0, 50), (60, 110), (120, 170)], 100) == []
    # in type (on a baseline), a space is a longer step from one digit's centre to the next,
    # where a narrow 1's wide gaps are none
    typed = [(0, 40), (48, 88), (96, 136), (160, 200), (208, 248)]
    assert spaces(typed, 60, typeset=True) == [2]
    assert spaces(typed, 60) == []  # written by hand, so narrow a gap is no space
    condensed = [(0, 37), (37, 79), (79, 112), (126, 169), (169, 205), (205, 238)]  # bold
    assert spaces(condensed, 60, typeset=True) == [2]  # its space is a fifth of a digit's height
    ones = [(0, 50), (75, 85), (110, 160), (168, 218)]  # 2 1 3 4, tabular
    assert spaces(ones, 60, typeset=True) == []
    handwritten = [(0, 50), (80, 130), (160, 210), (262, 312), (342, 392)]  # wide gaps
    assert spaces(handwritten, 100) == []
    # a marker's strokes spread into the gaps: a space wider than a digit is only 2.6 times them
    marker = [(0, 50), (90, 140), (185, 235), (350, 400), (440, 490), (530, 580)]
    assert spaces(marker, 100) == [2]


def test_type_stands_on_a_baseline_and_a_hand_wanders() -> None:
    typed = [[x, 100 + x // 10, 50, 100] for x in (0, 60, 120, 180)]  # turned a little
    assert on_a_baseline(typed, 100)
    written = [[x, 100 + dy, 50, 100] for x, dy in ((0, 0), (60, 12), (120, -5), (180, 8))]
    assert not on_a_baseline(written, 100)
    assert not on_a_baseline(typed[:2], 100)  # two digits always fit a line
    # a screenshot's digits, 19 pixels tall, a whole pixel off the line: type still
    offsets = ((9, 0), (21, 1), (35, 1), (56, 0), (70, 1))
    assert on_a_baseline([[x, 11, 12, 19 + dy] for x, dy in offsets], 19)
    assert not on_a_baseline([[x, 11, 12, 19 + 3 * dy] for x, dy in offsets], 19)  # a hand's


def test_in_type_two_digits_set_closer_than_type_sets_them_are_crowded() -> None:
    """A letter's strokes read as 1s stand closer than any two typed digits; a typed 1, narrow
    as it is, keeps its advance; a hand's digits, off any baseline, are never judged so."""
    typed = [[x, 100, 30, 100] for x in (0, 60, 120, 180, 240)]
    assert crowded(typed, 100) == []
    assert crowded([*typed[:4], [204, 100, 8, 100], [224, 100, 8, 100]], 100) == [5, 6]
    ones = [[x + 26, 100, 8, 100] for x in (0, 60, 120, 180)]  # 1111: narrow, a full step apart
    assert crowded(ones, 100) == []
    written = [[x, 100 + dy, 30, 100] for x, dy in ((0, 0), (60, 12), (120, -5), (150, 8))]
    assert crowded(written, 100) == []


def test_marks_are_found_in_a_written_number(sample_digits) -> None:
    rng = np.random.default_rng(4)
    for text in ("12.5", "3,141", "-7", "12:30", "4 096"):
        strip = compose_text(text, sample_digits, rng)
        page = Image.fromarray(255 - strip).resize((strip.shape[1] * 4, strip.shape[0] * 4))
        reading = find_digits(page)
        assert "".join(m.char for m in reading.marks) == "".join(c for c in text if c in ".,-:")

        assert len(reading.parts) == sum(c.isdigit() for c in text)
