"""The marks between a number's digits: the point, the comma, the minus sign, the colon, and
the space between groups of digits.

They are told apart by their shape and place against the digits around them (the digit band:
the median top and bottom of the strokes as tall as a digit), never by a network: a point is a
small round mark on the baseline, a comma one that hangs below it, a minus a flat bar at half
height, a colon two points one above the other; none of them shares its columns with a digit
(a 5's bar or a 7's crossbar does). A mark that fits no rule well (a point that might be a
comma) is left to the digits, as a fragment of one or a speck: a wrong separator would make a
wrong number.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TALL = 0.7  # a stroke this share of the first guess at a digit's height is a digit's
MARK = 0.45  # a point, a colon's dot or a comma is at most this many digit heights wide ...
TAIL = 0.8  # ... and a comma at most this many tall
SPECK = 0.04  # ... and at least this (smaller is noise)
LOW = 0.65  # a point's centre is below this share of the digit band
RESTS = 0.15  # a point's bottom is within this many digit heights above the baseline
HANGS = 0.12  # a comma reaches this far below the baseline (in digit heights), a point does not
ROUND = 1.3  # a point is at most this much taller than wide; a comma at least COMMA
COMMA = 1.6
BAR = (0.2, 1.2)  # a minus is this many digit heights wide ...
FLAT = 0.45  # ... at most this share of its width tall, and THIN digit heights ...
THIN = 0.25
MIDDLE = (0.25, 0.8)  # ... and its centre is within this part of the band
SHARED = 0.5  # a mark sharing this share of its columns with a stroke at least PART of a
PART = 0.4  # digit's height tall is part of that digit (a 5's bar, a broken 2's foot)
OWNS = 0.15  # a stroke whose ink is within this many digit heights of a mark may own it
SPACE = 0.3  # a gap wider than this many digit heights ...
SPACE_RATIO = 3.0  # ... and this many times the number's median gap is a space


@dataclass(frozen=True)
class Mark:
    """A separator found: its character, its box (x, y, width, height in the working image) and
    how well it fits its shape (1 for an ideal one, 0.5 at the edge of the rules)."""

    char: str
    box: tuple[int, int, int, int]
    confidence: float

    @property
    def left(self) -> int:
        return self.box[0]


@dataclass(frozen=True)
class Band:
    """The digit band: where the number's digits stand, in working-image rows."""

    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def place(self, row: float) -> float:
        """A row as a share of the band: 0 at its top, 1 at the baseline."""
        return (row - self.top) / self.height


def band_of(boxes: list[tuple[int, int, int, int]], height: float) -> Band:
    """The median top and bottom of the boxes nearly a digit tall."""
    tall = [b for b in boxes if b[3] >= TALL * height] or boxes
    return Band(
        float(np.median([b[1] for b in tall])), float(np.median([b[1] + b[3] for b in tall]))
    )


def shares_columns(box: tuple[int, int, int, int], digits: list[tuple[int, int, int, int]]) -> bool:
    """Whether the box shares SHARED of its columns with one of the digits' boxes."""
    x, _, width, _ = box
    for dx, _, dwidth, _ in digits:
        if min(x + width, dx + dwidth) - max(x, dx) >= SHARED * width:
            return True
    return False


def dot_kind(box: tuple[int, int, int, int], band: Band) -> str | None:
    """'.' or ',' for a small mark low in the band, 'dot' for one higher up (half a colon),
    None for anything else."""
    _, y, width, height = box
    size = band.height
    if not (SPECK * size <= max(width, height) and width <= MARK * size and height <= TAIL * size):
        return None
    centre = band.place(y + height / 2)
    if centre < LOW:
        return "dot" if height <= ROUND * width and width <= ROUND * height else None
    hangs = band.place(y + height) - 1
    if hangs >= HANGS and height >= COMMA * width:
        return ","
    round_ = height <= ROUND * width and width <= 2 * height and height <= MARK * size
    if round_ and -RESTS < hangs < 2 * HANGS:  # a point rests on the baseline, or hangs a little
        return "."
    return None  # neither: left to the digits, as a fragment of one or a speck


def fit(box: tuple[int, int, int, int], char: str) -> float:
    """How well a mark fits its shape: 1 for a round point or a flat bar, 0.5 at the rules' edge."""
    _, _, width, height = box
    if char == "-":
        return round(1 - 0.5 * (height / width) / FLAT, 3)
    return round(0.5 + 0.5 * min(width, height) / max(width, height), 3)


def stacked(upper: tuple[int, int, int, int], lower: tuple[int, int, int, int]) -> bool:
    """Whether two dots stand one above the other (a colon's)."""
    return shares_columns(upper, [lower]) or shares_columns(lower, [upper])


def is_minus(box: tuple[int, int, int, int], band: Band) -> bool:
    _, y, width, height = box
    wide = BAR[0] * band.height <= width <= BAR[1] * band.height
    centre = band.place(y + height / 2)
    flat = height <= FLAT * width and height <= THIN * band.height
    return wide and flat and MIDDLE[0] <= centre <= MIDDLE[1]


def find_marks(
    boxes: list[tuple[int, int, int, int]],
    height: float,
    near: Callable[[int, int], bool] = lambda i, j: True,
) -> tuple[list[Mark], list[int]]:
    """The separators among a number's strokes (given by their boxes) and the indexes of the
    strokes they are made of; the others are the digits'. `near(i, j)`: whether stroke j's ink
    comes within OWNS of stroke i (a typed point under a 7's overhang shares its columns, far
    from its ink; a 5's bar sits on its body)."""
    band = band_of(boxes, height)
    marks, used, dots = [], [], []
    for i, box in enumerate(boxes):
        strokes = [
            b for j, b in enumerate(boxes) if j != i and b[3] >= PART * height and near(i, j)
        ]
        if box[3] >= TALL * height or shares_columns(box, strokes):
            continue
        if is_minus(box, band):
            marks.append(Mark("-", box, fit(box, "-")))
            used.append(i)
            continue
        kind = dot_kind(box, band)
        if kind:
            dots.append((i, box, kind))
    lows = [dot for dot in dots if dot[2] != "dot"]
    for i, box, _ in (dot for dot in dots if dot[2] == "dot"):
        below = [low for low in lows if stacked(box, low[1])]
        if below:  # a colon: a dot above a point
            j, low_box, _ = below[0]
            lows.remove(below[0])
            x = min(box[0], low_box[0])
            right = max(box[0] + box[2], low_box[0] + low_box[2])
            whole = (x, box[1], right - x, low_box[1] + low_box[3] - box[1])
            marks.append(Mark(":", whole, min(fit(box, "."), fit(low_box, "."))))
            used += [i, j]
    for i, box, kind in lows:
        marks.append(Mark(kind, box, fit(box, kind)))
        used.append(i)
    return sorted(marks, key=lambda m: m.left), used


def spaces(spans: list[tuple[int, int]], height: float) -> list[int]:
    """Where a space stands in a row of characters (their column spans, left to right): the
    indexes after which the gap is wider than SPACE digit heights and SPACE_RATIO times the
    median gap."""
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
    if len(gaps) < 2:
        return []
    typical = float(np.median(gaps))
    return [
        i
        for i, gap in enumerate(gaps)
        if gap > SPACE * height and gap > SPACE_RATIO * max(typical, 1.0)
    ]
