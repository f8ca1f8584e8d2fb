"""Finding the digits of a written number, left to right, each prepared as `/predict` prepares one.

Ink is measured exactly as for a lone digit (`digits.preprocess`: polarity, transparency, paper
colour, photos), then split into connected strokes. Separators (a point, a comma, a minus, a
colon) are told apart by their shape and place (`digits.separators`) and kept as marks (a minus
typed against the first digit is split off it). Strokes of one digit that do not touch (the
floating bar of a 5, a broken 4 or 0) join the stroke they overlap or nearly touch; other specks
are dropped by their size against the number's height, and ink as large as a digit but too faint
to read beside the rest is an unread mark; a stroke that may hold several digits (neighbours
that touch) gets candidate cuts where its ink thins and at regular steps.
How a part is read (which of its pieces are its digits) is `digits.reading`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from digits.contract import PIXEL_MAX
from digits.errors import ImageRejected
from digits.preprocess import (
    INK_THRESHOLD,
    decode,
    fit_digit,
    flattened,
    ink_of,
    normalise_contrast,
    reduce,
)
from digits.separators import OWNS, UNREAD, Mark, find_marks, fit, leading_bar

READING_SIZE = 1024  # long side numbers are read at: room for several digits, bounded work
SPECK = 0.2  # strokes shorter and narrower than this share of the number's height are specks
OVERLAP = 0.5  # strokes sharing this share of the narrower one's width belong to one digit,
SHORT = 0.75  # ... where one of them is shorter than this share of the number's height
SMALL = 0.75  # a stroke whose height and width are below this share of the number's height ...
NEAR = 0.25  # ... is part of the stroke within this share of the height, if any,
TINY = 0.4  # ... and is dropped below this share where none is that near
THINNEST = 0.12  # a digit's width over its height, at least (a "1" drawn as a plain stroke)
WIDEST = 1.1  # ... and at most: anything wider is neighbours that touch
MAYBE_TWO = 0.7  # from this many heights wide, a stroke with a joint may be two digits
SLIVER = 0.15  # a cut piece's strokes with less of its ink than this are a neighbour's
STEP = 0.1  # candidate cuts at least this often (in digit heights) along a wide stroke
MAX_DIGITS = 32
TALL_DIGIT = 0.8  # a stroke this share of a digit's height tall holds one
FAINT = 0.05  # ink this share of the peak and up shows a stroke, where INK_THRESHOLD reads one,
FAINT_PEAK = 0.15  # ... where some of it is this dark (a photo's grain is not)
FAINT_ROWS = 20  # rows per digit height that faint ink is looked for at
# What the piece judge sees: a window around a candidate piece, CONTEXT_HEIGHTS digit heights
# tall, holding the number's ink (its neighbours too) and the piece's own ink
CONTEXT_SHAPE = (32, 48, 2)  # rows, columns, channels
CONTEXT_HEIGHTS = 1.5
# log(width / height) of each digit's ink in MNIST's training set, mean and standard deviation
# (tests/digits/test_segment.py recomputes them): how wide a piece may be for the digit it is
# read as
LOG_ASPECT = {
    0: (-0.10, 0.20),
    1: (-0.93, 0.46),
    2: (-0.07, 0.22),
    3: (-0.23, 0.21),
    4: (-0.24, 0.21),
    5: (-0.07, 0.26),
    6: (-0.33, 0.22),
    7: (-0.26, 0.21),
    8: (-0.28, 0.22),
    9: (-0.39, 0.21),
}


@dataclass(eq=False)
class Segment:
    """Ink that is read as one digit: its pixels' mask and bounding box in the working image."""

    mask: np.ndarray  # bool, the working image's shape
    box: tuple[int, int, int, int]  # x, y, width, height

    @property
    def left(self) -> int:
        return self.box[0]

    @property
    def right(self) -> int:
        return self.box[0] + self.box[2]


@dataclass
class Part:
    """A connected stroke group and the ways to read it: candidate cut columns (`bounds`,
    relative to its left edge, from 0 to its width) and the pieces between two of them that
    are as wide as a digit can be. Reading it is choosing a path of pieces from 0 to the width
    (`best`)."""

    bounds: list[int]
    pieces: dict[tuple[int, int], Segment]  # (from, to) indexes into bounds -> the piece

    def best(self, sureness: Callable[[Segment], float]) -> list[Segment]:
        """The pieces whose product of sureness is highest (the chance that all are right). A
        span between two neighbouring cuts that no piece covers (only slivers of ink there)
        may be stepped over, at the cost of a piece judged impossible: a way through always
        exists."""
        last = len(self.bounds) - 1
        score = [0.0] + [-np.inf] * last
        back = [0] * (last + 1)
        for end in range(1, last + 1):
            for start in range(end):
                piece = self.pieces.get((start, end))
                if score[start] == -np.inf or (piece is None and start != end - 1):
                    continue
                sure = sureness(piece) if piece is not None else 0.0
                total = score[start] + float(np.log(max(sure, 1e-9)))
                if total > score[end]:
                    score[end], back[end] = total, start
        path, end = [], last
        while end:
            piece = self.pieces.get((back[end], end))
            if piece is not None:
                path.append(piece)
            end = back[end]
        return path[::-1]


@dataclass
class Reading:
    """The number's ink and its parts, left to right."""

    parts: list[Part]
    ink: np.ndarray  # the working image's ink, 0-255
    scale: float  # uploaded pixels per working pixel
    height: float  # one digit's height in this number, in working pixels
    marks: list[Mark] = field(default_factory=list)  # the separators between the digits

    def candidates(self) -> list[Segment]:
        """Every piece any reading could use: all are classified in one model call."""
        return [piece for part in self.parts for piece in part.pieces.values()]


def components(binary: np.ndarray) -> list[np.ndarray]:
    """8-connected components of a boolean image, as masks, in the order of their first pixel."""
    labels, count = labelled(binary)
    return [labels == label for label in range(1, count + 1)]


def labelled(binary: np.ndarray) -> tuple[np.ndarray, int]:
    """The 8-connected components of a boolean image as labels 1..count (0: no ink), in the
    order of their first pixel: the runs of ink in every row found at once (numpy), then joined
    row to row by a union-find over runs (a few per row), not over pixels."""
    height, width = binary.shape
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = binary
    rows, cols = np.nonzero(np.diff(padded, axis=1))  # per row: start, end, start, end, ...
    row_of, start, end = rows[::2].tolist(), cols[::2].tolist(), cols[1::2].tolist()
    parent = list(range(len(row_of)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    previous, current, row = range(0), 0, -1  # the runs of the row above, where this row's start
    for index, run_row in enumerate(row_of):
        if run_row != row:
            previous = range(current, index) if run_row == row + 1 else range(0)
            row, current = run_row, index
        for other in previous:  # 8-connected: runs touching diagonally join too
            if start[other] <= end[index] and start[index] <= end[other]:
                parent[find(index)] = find(other)
    labels = np.zeros((height, width), np.int32)
    order: dict[int, int] = {}  # root -> label, in the order components first appear
    for index, run_row in enumerate(row_of):
        label = order.setdefault(find(index), len(order) + 1)
        labels[run_row, start[index] : end[index]] = label
    return labels, len(order)


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def segment(mask: np.ndarray) -> Segment:
    return Segment(mask, bounding_box(mask))


def merge_overlapping(segments: list[Segment]) -> list[Segment]:
    """A short stroke that shares most of its horizontal extent with a neighbour is part of the
    same digit (a 5's bar, a broken 4's half): merged, left to right. A full-height stroke (a
    "1" leaning into its neighbour) stays a digit of its own."""
    height = float(np.median([s.box[3] for s in segments]))
    merged: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.left):
        if merged:
            last = merged[-1]
            shared = min(last.right, seg.right) - max(last.left, seg.left)
            short = min(last.box[3], seg.box[3]) < SHORT * height
            if short and shared >= OVERLAP * min(last.box[2], seg.box[2]):
                merged[-1] = segment(last.mask | seg.mask)
                continue
        merged.append(seg)
    return merged


def drop_specks(segments: list[Segment]) -> list[Segment]:
    """Dots, specks and noise: small against the number's tallest stroke."""
    tallest = max(s.box[3] for s in segments)
    return [s for s in segments if max(s.box[2], s.box[3]) >= SPECK * tallest]


def gap(a: Segment, b: Segment) -> int:
    """Horizontal distance between two strokes; 0 where they overlap."""
    return max(0, max(a.left, b.left) - min(a.right, b.right))


def absorb_fragments(segments: list[Segment]) -> list[Segment]:
    """A stroke much smaller than a digit (a 5's bar, a piece of a broken 0 or 9) belongs to the
    stroke it is next to: merged into the nearest one within NEAR heights, largest first;
    dropped where nothing is that near and it is too small to be a digit."""
    height = float(np.median([s.box[3] for s in segments]))
    kept = sorted(segments, key=lambda s: -max(s.box[2], s.box[3]))
    merged: list[Segment] = []
    for seg in kept:
        small = max(seg.box[2], seg.box[3]) < SMALL * height
        near = min(range(len(merged)), key=lambda i: gap(seg, merged[i]), default=None)
        if small and near is not None and gap(seg, merged[near]) <= NEAR * height:
            merged[near] = segment(merged[near].mask | seg.mask)
        elif not small or max(seg.box[2], seg.box[3]) >= TINY * height:
            merged.append(seg)
    return sorted(merged, key=lambda s: s.left)


def piece(seg: Segment, start: int, end: int) -> Segment | None:
    """The part of a stroke between two columns (relative to its left edge), if it has ink,
    without the slivers of neighbours that the cut leaves in it."""
    x, y, _, height = seg.box
    window = seg.mask[y : y + height, x + start : x + end]
    if not window.any():
        return None
    strokes = components(window)
    total = window.sum()
    kept = [s for s in strokes if s.sum() >= SLIVER * total]
    if not kept:  # only slivers between the two columns
        return None
    mask = np.zeros_like(seg.mask)
    mask[y : y + height, x + start : x + end] = np.logical_or.reduce(kept)
    return segment(mask)


def cut_columns(seg: Segment, height: float) -> list[int]:
    """Where neighbours that touch may be cut: columns where the ink is thinner than on either
    side (a joint), and, since digits that lean into each other share columns, a column every
    STEP heights too; none nearer either end than the thinnest digit."""
    x, _, width, _ = seg.box
    reach = max(1, round(height / 12))
    kernel = np.ones(reach) / reach
    profile = np.convolve(seg.mask[:, x : x + width].sum(axis=0), kernel, mode="same")
    margin = max(1, int(THINNEST * height))
    joints = [
        column
        for column in range(margin, width - margin)
        if profile[column] <= profile[max(0, column - reach) : column + reach + 1].min()
    ]
    grid = range(margin, width - margin, max(1, round(STEP * height)))
    found: list[int] = []
    for column in sorted({*joints, *grid}):
        if not found or column - found[-1] > reach:
            found.append(column)
    return found


def part_of(seg: Segment, height: float) -> Part:
    """One stroke group: whole where a digit can be that wide and it has no joint, else every
    way of cutting it at its joints into pieces each as wide as a digit can be."""
    width = seg.box[2]
    ratio = width / height
    columns = cut_columns(seg, height) if ratio >= MAYBE_TWO else []
    if not columns:
        return Part([0, width], {(0, 1): seg})
    bounds = [0, *columns, width]
    pieces: dict[tuple[int, int], Segment] = {}
    for a in range(len(bounds)):
        for b in range(a + 1, len(bounds)):
            span = (bounds[b] - bounds[a]) / height
            whole = (a, b) == (0, len(bounds) - 1)  # always a way through, however wide
            if span > WIDEST * 1.25 and not whole:
                break
            cut = seg if whole else piece(seg, bounds[a], bounds[b])
            if cut is not None and span >= THINNEST:
                pieces[(a, b)] = cut
    return Part(bounds, pieces)


def stroke_height(strokes: list[Segment]) -> float:
    """A first guess at a digit's height, before separators and specks are told apart: the
    median height of the strokes at least half as tall as the tallest."""
    tallest = max(s.box[3] for s in strokes)
    return float(np.median([s.box[3] for s in strokes if s.box[3] >= 0.5 * tallest]))


def digit_height(segments: list[Segment]) -> float:
    """One digit's height in this number: the median of the strokes no wider than a digit
    (touching neighbours, offset vertically, would make it taller)."""
    single = [s.box[3] for s in segments if s.box[2] <= WIDEST * s.box[3]]
    return float(np.median(single or [s.box[3] for s in segments]))


def find_digits(image: Image.Image) -> Reading:
    """The number's ink, split into its parts and their options; ImageRejected when blank."""
    picture = reduce(decode(image, draft=READING_SIZE), READING_SIZE, slack=1.0)
    scale = image.width / picture.width
    ink = normalise_contrast(ink_of(flattened(picture)))
    found = components(ink >= INK_THRESHOLD * PIXEL_MAX)
    if not found:
        raise ImageRejected(422, "no_digit_found", "No digit found: the image looks blank.")
    strokes = [segment(m) for m in found]
    first_height = stroke_height(strokes)

    def near(i: int, j: int) -> bool:
        x, y, width, height = strokes[i].box
        reach = round(OWNS * first_height)
        rows = slice(max(0, y - reach), y + height + reach)
        return bool(strokes[j].mask[rows, max(0, x - reach) : x + width + reach].any())

    marks, used = find_marks([s.box for s in strokes], first_height, near)
    digits = [s for i, s in enumerate(strokes) if i not in set(used)]
    if not digits:
        raise ImageRejected(422, "no_digit_found", "No digit found: only separators.")
    segments = merge_overlapping(absorb_fragments(drop_specks(digits)))
    height = digit_height(segments)
    minus = split_minus(segments[0], height)
    if minus is not None:
        marks, segments[0] = sorted([*marks, minus[0]], key=lambda m: m.left), minus[1]
    kept = np.logical_or.reduce([s.mask for s in segments] + [strokes[i].mask for i in used])
    unread = faint_marks(ink, kept, height)
    if unread:
        marks = sorted([*marks, *unread], key=lambda m: m.left)
    parts = [part_of(seg, height) for seg in segments]
    fewest = sum(max(1, round(s.box[2] / (WIDEST * height))) for s in segments)
    if fewest > MAX_DIGITS:
        raise ImageRejected(
            422, "too_many_digits", f"More than {MAX_DIGITS} digits: read at most {MAX_DIGITS}."
        )
    return Reading(parts, ink, scale, height, marks)


def faint_marks(ink: np.ndarray, kept: np.ndarray, height: float) -> list[Mark]:
    """Ink as large as a digit that nothing read holds: a digit drawn so much fainter than its
    neighbours (a fine pen's beside a marker's) that none of it, or only specks, reaches
    INK_THRESHOLD of the number's peak. Each is an unread mark where it stands, so that the
    number is refused rather than answered without a digit. Not one: ink that reaches an edge
    of the image or is far larger than a digit (uneven light), ink next to what was read (its
    own faint edge), ink that never rises above the paper's grain (a photo's noise). Looked for
    on the image pooled to FAINT_ROWS rows a digit (its brightest pixel per block), each piece
    of faint ink measured from its labels, never a mask of its own: bounded work and memory
    however many pieces a halo breaks into, and a faint thin stroke stays whole."""
    block = max(1, int(height / FAINT_ROWS))
    ink, kept, height = pooled(ink, block), pooled(kept, block), height / block
    labels, count = labelled((ink >= FAINT * PIXEL_MAX) & ~kept)
    if not count:
        return []
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols] - 1
    top, left = np.full(count, labels.shape[0]), np.full(count, labels.shape[1])
    bottom, right, peak = np.zeros(count, int), np.zeros(count, int), np.zeros(count)
    np.minimum.at(top, which, rows)
    np.minimum.at(left, which, cols)
    np.maximum.at(bottom, which, rows + 1)
    np.maximum.at(right, which, cols + 1)
    np.maximum.at(peak, which, ink[rows, cols])
    pixels = np.bincount(which, minlength=count)
    tall, width = bottom - top, right - left
    inside = (top > 0) & (left > 0) & (bottom < labels.shape[0]) & (right < labels.shape[1])
    sized = (tall >= 0.4 * height) & (tall <= 2 * height) & (width <= 2 * height)
    near = round(NEAR * height)
    found = []
    for k in np.flatnonzero(inside & sized & (peak >= FAINT_PEAK * PIXEL_MAX)).tolist():
        y, x = int(top[k]), int(left[k])
        around = kept[max(0, y - near) : bottom[k] + near, max(0, x - near) : right[k] + near]
        if around.sum() <= 0.25 * pixels[k]:  # else a read digit's own faint edge
            box = (x * block, y * block, int(width[k]) * block, int(tall[k]) * block)
            found.append(Mark(UNREAD, box, 0.0))
    return found


def pooled(image: np.ndarray, block: int) -> np.ndarray:
    """The image's largest value in each block x block square (a partial edge block dropped)."""
    rows, cols = image.shape[0] // block * block, image.shape[1] // block * block
    squares = image[:rows, :cols].reshape(rows // block, block, cols // block, block)
    return squares.max(axis=(1, 3))


def split_minus(seg: Segment, height: float) -> tuple[Mark, Segment] | None:
    """A number's first stroke that begins with a minus typed against its first digit (one
    stroke in a bold face or a blurred photo): the minus, and the digit without it."""
    x, y, width, tall = seg.box
    if tall < TALL_DIGIT * height:
        return None
    run = leading_bar(seg.mask[y : y + tall, x : x + width], height)
    if not run:
        return None
    bar = seg.mask[y : y + tall, x : x + run]
    rows = np.flatnonzero(bar.any(axis=1))
    box = (x, y + int(rows[0]), run, int(rows[-1] - rows[0] + 1))
    rest = seg.mask.copy()
    rest[:, x : x + run] = False
    return Mark("-", box, fit(box, "-")), segment(rest)


def model_input(reading: Reading, seg: Segment) -> np.ndarray:
    """One digit prepared exactly as /predict prepares one: its own ink, cropped, fitted in
    20x20 and centred by mass."""
    x, y, width, height = seg.box
    crop = np.where(seg.mask, reading.ink, 0)[y : y + height, x : x + width]
    return fit_digit(crop)


def context_input(reading: Reading, seg: Segment) -> np.ndarray:
    """What the piece judge sees of a candidate piece: (32, 48, 2) float32, 0-255, the number's
    ink around the piece and the piece's own ink, centred on the piece at a scale where the
    number's digit height is fixed. A piece alone cannot say whether it is a whole digit (a
    cut-off stroke of an 8 looks like a 1): with its neighbours and its size in view, it can."""
    x, y, width, height = seg.box
    return context_at(reading, x + width / 2, y + height / 2, seg.mask)


def gap_input(reading: Reading, left: Segment, right: Segment) -> np.ndarray:
    """What the gap reader sees between two neighbouring digits: as `context_input` sees a
    piece, centred between the two, their own ink in the second channel. A point or a comma
    fused to a digit (a heavy face's) is ink the digit's piece holds below the others' band."""
    return context_at(reading, *gap_centre(left, right), left.mask, right.mask)


def gap_centre(left: Segment, right: Segment) -> tuple[float, float]:
    """Midway between the two pieces' facing edges, and their band's middle."""
    top, bottom = band(left, right)
    return (left.right + right.left) / 2, (top + bottom) / 2


def gap_box(left: Segment, right: Segment) -> tuple[int, int, int, int]:
    """A fused mark's box: the gap between its neighbours (a column where they touch), their
    band's height."""
    top, bottom = band(left, right)
    return min(left.right, right.left), top, max(1, right.left - left.right), bottom - top


def band(left: Segment, right: Segment) -> tuple[int, int]:
    """The rows two pieces span together: top, bottom."""
    bottoms = left.box[1] + left.box[3], right.box[1] + right.box[3]
    return min(left.box[1], right.box[1]), max(bottoms)


def context_at(reading: Reading, x: float, y: float, *owns: np.ndarray) -> np.ndarray:
    """The CONTEXT_SHAPE window of the number's ink centred on (x, y) at a fixed digit height,
    and in the second channel the ink that any of `owns` (masks of the working image) holds."""
    rows, cols, _ = CONTEXT_SHAPE
    step = CONTEXT_HEIGHTS * reading.height / rows  # working pixels per context pixel
    left, top = round(x - cols * step / 2), round(y - rows * step / 2)
    span = (round(cols * step), round(rows * step))
    ink = window(reading.ink, left, top, *span)
    # the masks' windows only, never a whole image's
    mine = ink * np.max([window(own, left, top, *span) for own in owns], axis=0)
    return np.stack([resized(ink, (cols, rows)), resized(mine, (cols, rows))], axis=-1)


def window(image: np.ndarray, left: int, top: int, width: int, height: int) -> np.ndarray:
    """A width x height region of an image from (left, top), zero beyond its edges."""
    out = np.zeros((height, width), np.float32)
    rows = slice(max(0, top), min(image.shape[0], top + height))
    cols = slice(max(0, left), min(image.shape[1], left + width))
    if rows.start < rows.stop and cols.start < cols.stop:
        out[rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = image[
            rows, cols
        ]
    return out


def resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(image, "F").resize(size, Image.Resampling.BILINEAR))


def upload_box(reading: Reading, seg: Segment) -> list[int]:
    """The segment's box in the uploaded image's pixels."""
    return [round(v * reading.scale) for v in seg.box]


def aspect_fit(seg: Segment, digit: int) -> float:
    """How plausible the piece's width is for the digit it is read as: 1 up to MNIST's mean
    width for that digit, falling off as a normal density beyond (a "3" with a "1" stuck to it
    is too wide); narrow pieces are left to the detector."""
    mean, deviation = LOG_ASPECT[digit]
    z = (np.log(seg.box[2] / seg.box[3]) - mean) / deviation
    return float(np.exp(-0.5 * max(0.0, z) ** 2))
