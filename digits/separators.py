"""The marks between a number's digits: the point, the comma, the minus sign, the colon, and
the space between groups of digits.

They are told apart by their shape and place against the digits around them (the digit band:
the median top and bottom of the strokes as tall as a digit), never by a network: a point is a
small round mark on the baseline, a comma one that hangs below it, a minus a flat bar at half
height, a colon two points one above the other (leaning with an italic's slant); none of them
shares its columns with a digit (a 5's bar or a 7's crossbar does). A mark the size of one that
fits no rule (a point that might be a comma, a dot high up alone) and stands apart from every
digit is an unread mark (`UNREAD`): /read refuses the number rather than drop it or read it as a
digit, since a wrong separator makes a wrong number. The slash is a digit's height and a digit's
shape; it is read by a network (`digits.reading.slashes`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TALL = 0.7  # a stroke this share of the first guess at a digit's height is a digit's
MARK = 0.45  # a point, a colon's dot or a comma is at most this many digit heights wide ...
TAIL = 0.8  # ... and a comma at most this many tall
SPECK = 0.08  # ... and at least this both ways (thinner is noise, or a sliver of a digit)
LOW = 0.65  # a point's centre is below this share of the digit band
RESTS = 0.15  # a point's bottom is within this many digit heights above the baseline
HANGS = 0.12  # a comma reaches this far below the baseline (in digit heights), a point not
DEEP = 0.2  # ... and a pen's point never this far; in type, a comma always TYPE_HANGS
TYPE_HANGS = 0.08
ROUND = 1.3  # a colon's dot is at most this much taller than wide, a point POINT ...
POINT = 1.35
COMMA = 1.4  # ... and a comma at least COMMA, or hanging DEEP
BAR = (0.2, 1.2)  # a minus is this many digit heights wide ...
FLAT = 0.7  # ... at most this share of its width tall, and THIN digit heights ...
THIN = 0.3
LEVEL = 0.08  # a minus's rows vary by at most this many digit heights across it
JOINED = 0.3  # a minus joined to its digit is at least this many digit heights wide (a 4's
JOINT = 0.1  # bar sticks out less), and within LEAN of its end (an italic 0's side leans away
LEAN = 0.2  # from it) the digit's ink runs JOINT above and below it, or above where it is at
LONG_BAR = 0.4  # least LONG_BAR digit heights long (chosen on validation: bench/results.md)
# a minus after the first digit (a hyphen) is centred at least this far down the band: a 5's bar
# come apart from its body sits higher (chosen on validation numbers: bench/results.md)
HYPHEN_LOW = 0.33
SLANT = 0.5  # a colon's dots lean at most this many columns per row (an italic's)
MIDDLE = (0.25, 0.8)  # ... and its centre is within this part of the band
SHARED = 0.5  # a mark sharing this share of its columns with a stroke at least PART of a
PART = 0.4  # digit's height tall is part of that digit (a 5's bar, a broken 2's foot)
OWNS = 0.15  # a stroke whose ink is within this many digit heights of a mark may own it
SPACE = 0.8  # a gap wider than this many digit heights ...
SPACE_RATIO = 2.0  # ... and this many times the number's median gap is a space; in type,
TYPE_SPACE = 1.25  # a step from one digit's centre to the next this many times the median,
TYPE_GAP = 0.1  # over a gap this many digit heights wide (bold and condensed faces space less)
BASELINE_DIGITS = 4
ALIGNED = 0.03  # type stands on a baseline: its digits' bottoms within this many digit
# heights of one straight line (a hand's, and MNIST's, wander more), or of a pixel, where that is
# more (a box's bottom is a whole pixel: a screenshot's 19-pixel digits stand a pixel apart)
# in type, two digits' centres stand at least this share of the median step apart: closer,
# they are the strokes of one letter cut apart (chosen on validation numbers and letters:
# bench/results.md)
CROWDED = 0.6
GAP_CLASSES = ("", ".", ",", ":", "/")  # what the gap reader says stands between two digits
GAP_NAMED = ".,:"  # the marks it may put in a number's text (a slash it finds is unread)
UNREAD = "?"  # a mark that is no digit and no separator it can be told for sure


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


def enclosing(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The box around boxes (a colon's around its two dots)."""
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top


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


def dot_kind(box: tuple[int, int, int, int], band: Band, typeset: bool = False) -> str | None:
    """'.' or ',' for a small mark low in the band, 'dot' for a round one higher up (half a
    colon), UNREAD for a mark of their size that fits none of them, None for a stroke too small
    or too big to be a mark. In type (`typeset`) a point sits on the baseline and a comma hangs
    below it, whatever its shape; a pen's point may hang a little."""
    _, y, width, height = box
    size = band.height
    if not (SPECK * size <= min(width, height) and width <= MARK * size and height <= TAIL * size):
        return None
    centre = band.place(y + height / 2)
    if centre < LOW:
        # a pixel's slack: a screenshot's dot may be 3 by 4 pixels
        dot = height <= ROUND * width + 1 and width <= ROUND * height + 1
        return "dot" if dot else UNREAD
    hangs = band.place(y + height) - 1
    round_ = height <= POINT * width and width <= 2 * height and height <= MARK * size
    if typeset:
        return "," if hangs >= TYPE_HANGS else "." if round_ and hangs > -RESTS else UNREAD
    if hangs >= DEEP or (hangs >= HANGS and height >= COMMA * width):
        return ","
    if round_ and -RESTS < hangs < HANGS:
        return "."  # round, on the baseline
    return UNREAD  # a round mark hanging a little: a blurred comma, or a pen's point


def fit(box: tuple[int, int, int, int], char: str) -> float:
    """How well a mark fits its shape: 1 for a round point or a flat bar, 0.5 at the rules' edge."""
    _, _, width, height = box
    if char == "-":
        return round(max(0.0, 1 - 0.5 * (height / width) / FLAT), 3)
    return round(0.5 + 0.5 * min(width, height) / max(width, height), 3)


def stacked(upper: tuple[int, int, int, int], lower: tuple[int, int, int, int]) -> bool:
    """Whether two dots stand one above the other (a colon's), upright or slanted."""
    across = (lower[0] + lower[2] / 2) - (upper[0] + upper[2] / 2)
    down = (lower[1] + lower[3] / 2) - (upper[1] + upper[3] / 2)
    return down > 0 and abs(across) <= SLANT * down


def is_minus(box: tuple[int, int, int, int], band: Band) -> bool:
    _, y, width, height = box
    wide = BAR[0] * band.height <= width <= BAR[1] * band.height
    centre = band.place(y + height / 2)
    flat = height <= FLAT * width and height <= THIN * band.height
    return wide and flat and MIDDLE[0] <= centre <= MIDDLE[1]


def leading_bar(window: np.ndarray, height: float) -> int:
    """How many columns at the left of a stroke (its mask cropped to its box) are a minus typed
    against the digit after it: a bar THIN digit heights thick, level (its rows the same in
    every column from the left, where a 4's slanted stroke climbs), at half height, at least
    JOINED wide; 0 where there is none."""
    filled = window.any(axis=0)
    top = window.argmax(axis=0)
    bottom = window.shape[0] - 1 - window[::-1].argmax(axis=0)
    thin = filled & (bottom - top + 1 <= THIN * height)
    run = int(np.argmin(thin)) if not thin.all() else len(thin)
    if run < BAR[0] * height or run == len(thin):
        return 0
    centres = (top[:run] + bottom[:run]) / 2
    middle = float(np.median(centres))
    off = np.abs(centres - middle) > LEVEL * height  # where it leaves the level: the digit
    level = int(np.argmax(off)) if off.any() else run
    place = middle / window.shape[0]
    if level < JOINED * height or not MIDDLE[0] <= place <= MIDDLE[1]:
        return 0
    # where it meets the digit, the digit's ink runs above and below it (a 0's side, a 7's
    # stroke; within LEAN of its end: a heavy italic 0's side leans away from a low bar); a 4's
    # bar sticking out to the left of its stroke has none below
    joint = window[:, level : level + max(1, round(JOINT * height))]
    if not joint.any():  # strokes merged into one digit, a gap after the bar: not joined
        return 0
    rows = np.flatnonzero(window[:, level : level + max(1, round(LEAN * height))].any(axis=1))
    bar_top, bar_bottom = top[:level].min(), bottom[:level].max()
    reach = JOINT * height
    above, below = rows[0] < bar_top - reach, rows[-1] > bar_bottom + reach
    # a bar longer than LONG_BAR is a minus where the digit's ink rises from its end (a 4's
    # slanted stroke; a 7's stem falls from its bar, which is never a minus)
    return level if (above and below) or (level >= LONG_BAR * height and above) else 0


def find_marks(
    boxes: list[tuple[int, int, int, int]],
    height: float,
    near: Callable[[int, int], bool] = lambda i, j: True,
) -> tuple[list[Mark], list[int]]:
    """The separators among a number's strokes (given by their boxes) and the indexes of the
    strokes they are made of; the others are the digits'. `near(i, j)`: whether stroke j's ink
    comes within OWNS of stroke i (a typed point under a 7's overhang shares its columns, far
    from its ink; a 5's bar sits on its body). A mark that fits no rule is UNREAD where no
    digit's stroke is near it, else left to the digits (a fragment of one)."""
    band = band_of(boxes, height)
    typeset = on_a_baseline([list(b) for b in boxes if b[3] >= TALL * height], band.height)
    marks, used, dots, tucked = [], [], [], []
    for i, box in enumerate(boxes):
        owners = [j for j, b in enumerate(boxes) if j != i and b[3] >= PART * height and near(i, j)]
        if box[3] >= TALL * height:
            continue
        kind = dot_kind(box, band, typeset)
        if shares_columns(box, [boxes[j] for j in owners]):
            # under a digit's overhang: a colon's lower dot where a dot stands above it; in
            # type (a digit is one stroke) a comma, or an unread point (a colon's lower dot
            # whose upper one touches the digit); by hand, a piece of the digit
            if kind == ".":
                tucked.append((i, box, kind))
            if not typeset or kind != ",":
                continue
        if is_minus(box, band):
            marks.append(Mark("-", box, fit(box, "-")))
            used.append(i)
            continue
        if kind == UNREAD and owners and band.place(box[1] + box[3] / 2) < LOW:
            continue  # high up near a digit: a fragment of it, more likely than a mark
        if kind:
            dots.append((i, box, kind, bool(owners)))
    lows = [dot[:3] for dot in dots if dot[2] in ".,"]
    unread = [dot[:2] for dot in dots if dot[2] == UNREAD]
    found: list[tuple[Mark, list[int]]] = [(mark, [i]) for mark, i in zip(marks, used, strict=True)]
    for i, box, _, owned in (dot for dot in dots if dot[2] == "dot"):
        below = [low for low in lows + tucked if stacked(box, low[1])]  # a free point first
        if not below and not owned:  # a dot high up, alone
            unread.append((i, box))
        elif below:  # a colon: a dot above a point
            j, low_box, _ = below[0]
            (lows if below[0] in lows else tucked).remove(below[0])
            whole = enclosing([box, low_box])
            found.append((Mark(":", whole, min(fit(box, "."), fit(low_box, "."))), [i, j]))
    found += [(Mark(kind, box, fit(box, kind)), [i]) for i, box, kind in lows]
    unread += [(i, box) for i, box, _ in tucked] if typeset else []
    found += [(Mark(UNREAD, box, 0.0), [i]) for i, box in unread]
    found = placed([b for b in boxes if b[3] >= TALL * height], found, band)
    return sorted((m for m, _ in found), key=lambda m: m.left), [i for _, ii in found for i in ii]


def placed(
    digits: list[tuple[int, int, int, int]], found: list[tuple[Mark, list[int]]], band: Band
) -> list[tuple[Mark, list[int]]]:
    """The marks where a number can have them: a minus before a digit; the others between two,
    one at a time (before the first digit, a point is more often a speck than a number's; two
    marks side by side, a comma's tail come apart from its dot: unread; a hyphen high in the
    band, a 5's bar come apart: unread). After the last digit no mark changes the number: a
    small one is left to the digits (a speck, or a fragment of the last), a tall one is unread
    (perhaps a 1 itself)."""
    if not digits:
        return found
    first = min(b[0] for b in digits)
    last = max(b[0] + b[2] for b in digits)
    found = sorted(found, key=lambda item: item[0].left)
    kept = []
    for k, (mark, strokes) in enumerate(found):
        x, y, width, height = mark.box
        beside = [other.box for other, _ in found[k - 1 : k] + found[k + 1 : k + 2]]
        if x >= last and height <= MARK * band.height:
            continue
        leading = x + width <= first and mark.char not in "-" + UNREAD
        side_by_side = any(not digit_between(box, mark.box, digits) for box in beside)
        high = mark.char == "-" and x + width > first and band.place(y + height / 2) < HYPHEN_LOW
        if x >= last or leading or side_by_side or high:
            mark = Mark(UNREAD, mark.box, 0.0)
        kept.append((mark, strokes))
    return kept


def digit_between(
    a: tuple[int, int, int, int], b: tuple[int, int, int, int], digits: list[tuple[int, ...]]
) -> bool:
    """Whether a digit stands between two marks (their boxes)."""
    left, right = sorted((a, b))
    return any(left[0] + left[2] <= d[0] + d[2] / 2 <= right[0] for d in digits)


def on_a_baseline(boxes: list[list[int]], height: float) -> bool:
    """Whether four or more digits (their boxes) stand on one straight line, as type does (three
    handwritten ones do often enough by chance)."""
    if len(boxes) < BASELINE_DIGITS:
        return False
    centres = np.array([x + width / 2 for x, _, width, _ in boxes], float)
    bottoms = np.array([y + tall for _, y, _, tall in boxes], float)
    if np.ptp(centres) == 0:
        return False
    line = np.polyfit(centres, bottoms, 1)
    return float(np.abs(bottoms - np.polyval(line, centres)).max()) <= max(ALIGNED * height, 1.0)


def crowded(boxes: list[list[int]], height: float) -> list[int]:
    """In type (on a baseline, where every digit has the same advance), the digits (their
    boxes, left to right; counted from 1) whose centre stands less than CROWDED times the
    median step from the one before: no font sets two digits so close, but a letter cut into
    strokes reads as 1s that are (`9250K` read `925011`)."""
    if not on_a_baseline(boxes, height):
        return []
    steps = np.diff([x + width / 2 for x, _, width, _ in boxes])
    typical = float(np.median(steps))
    return [n for n, step in enumerate(steps.tolist(), 2) if step < CROWDED * typical]


def spaces(
    spans: list[tuple[int, int]],
    height: float,
    marks: frozenset[int] = frozenset(),
    typeset: bool = False,
) -> list[int]:
    """Where a space stands in a row of characters (their column spans, left to right; `marks`
    the indexes of the separators among them): the indexes after which, between two digits,
    the gap is wider than SPACE digit heights and SPACE_RATIO times the median gap between
    digits; in type (`typeset`: on a baseline, where every digit has the same advance), where
    the step from one digit's centre to the next is TYPE_SPACE times the median step over a gap
    TYPE_GAP digit heights wide (a narrow 1's wide gaps are no space, nor a cut between
    touching digits). Never beside a separator (a comma's gap is its own). Chosen on
    validation numbers (bench/results.md)."""
    between = [i for i in range(len(spans) - 1) if i not in marks and i + 1 not in marks]
    if len(spans) < 3 or not between:
        return []
    gaps = {i: spans[i + 1][0] - spans[i][1] for i in between}
    if typeset:
        centres = [(left + right) / 2 for left, right in spans]
        steps = {i: centres[i + 1] - centres[i] for i in between}
        typical = float(np.median(list(steps.values())))
        wide = [i for i in between if gaps[i] > TYPE_GAP * height]  # a cut between touching: none
        return [i for i in wide if steps[i] > TYPE_SPACE * typical]
    typical = max(float(np.median(list(gaps.values()))), 1.0)
    return [i for i in between if gaps[i] > SPACE * height and gaps[i] > SPACE_RATIO * typical]
