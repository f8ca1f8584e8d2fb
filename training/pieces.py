"""One rule for what a candidate piece of a number is: labelled by each digit's own ink.

A reader of numbers cuts touching digits into candidate pieces (`digits.segment`). A piece is a
digit where it holds nearly all of that digit's own ink (the pixels where that digit is the
brightest) and little of any other's; it is "not one whole digit" where it holds too little of
every digit, or much of two. Pieces in between are left out. The piece judge learns these labels,
and the not-a-digit detector learns the same pieces as digits and non-digits.
"""

from __future__ import annotations

import itertools

import numpy as np

from digits.contract import MAX_PIXELS, NUM_CLASSES, PIXEL_MAX
from digits.errors import ImageRejected
from digits.preprocess import INK_THRESHOLD, open_image
from digits.segment import Reading, Segment, find_digits, model_input
from synthesis.numbers import compose_number, placed_upload

NOT_WHOLE = NUM_CLASSES  # the eleventh class: not one whole digit
# A piece is that digit where it holds at least WHOLE of one digit's own ink and at most STRAY of
# any other's; not one whole digit where it holds less than PART of any, or BOTH of two
WHOLE, STRAY, PART, BOTH = 0.9, 0.15, 0.6, 0.35


def label(covers: list[float], digits: list[int]) -> int:
    """The digit whose own ink the piece holds, alone; NOT_WHOLE where it holds no digit whole
    or two at once; -1 where it is in between (left out of training)."""
    order = np.argsort(covers)[::-1]
    best = covers[order[0]]
    second = covers[order[1]] if len(covers) > 1 else 0.0
    if best >= WHOLE and second <= STRAY:
        return digits[order[0]]
    return NOT_WHOLE if best < PART or second >= BOTH else -1


def own_ink(layers: list[np.ndarray], reading: Reading, placed: tuple[float, int, int]):
    """Each digit's own ink (where it is the brightest) as working-image pixel indexes, those
    that land on the number's ink: what a piece must hold to be that digit."""
    factor, left, top = placed
    ink = grown(reading.ink >= INK_THRESHOLD * PIXEL_MAX)
    brightest = np.max(layers, axis=0)
    found = []
    for layer in layers:
        rows, cols = np.nonzero((layer >= PIXEL_MAX / 2) & (layer >= brightest))
        rows = np.clip(((rows + 0.5) * factor + top) / reading.scale, 0, ink.shape[0] - 1)
        cols = np.clip(((cols + 0.5) * factor + left) / reading.scale, 0, ink.shape[1] - 1)
        rows, cols = rows.astype(int), cols.astype(int)
        on = ink[rows, cols]
        found.append((rows[on], cols[on]))
    return found


def grown(mask: np.ndarray, by: int = 2) -> np.ndarray:
    """A mask grown by `by` pixels each way: points mapped from the strip land within a pixel
    or two of the thresholded ink they came from."""
    out = mask.copy()
    for axis in (0, 1):
        for shift in range(1, by + 1):
            out |= np.roll(mask, shift, axis) | np.roll(mask, -shift, axis)
    return out


def labelled_candidates(
    reading: Reading, layers: list[np.ndarray], placed: tuple[float, int, int], digits: list[int]
) -> list[tuple[Segment, int]]:
    """Every candidate piece of a composed number's reading with its label (`label`): `layers`
    are the digits' own ink in the strip, `placed` the strip-to-upload scale and offset."""
    points = own_ink(layers, reading, placed)
    labelled = []
    for piece in reading.candidates():
        held = grown(piece.mask)
        covers = [float(held[r, c].mean()) if len(r) else 0.0 for r, c in points]
        labelled.append((piece, label(covers, digits)))
    return labelled


def number_pieces(
    images: np.ndarray, labels: np.ndarray, picks: np.ndarray, touching: bool, rng
) -> tuple[Reading, list[tuple[Segment, int]]] | None:
    """The number of the digits at `picks`, composed, uploaded (`placed_upload`) and segmented
    as /read does: its reading and every candidate piece with its label; None where the upload
    is refused (blank after preprocessing, say)."""
    strip, layers = compose_number(images[picks], touching, rng)
    data, *placed = placed_upload(strip, rng)
    try:
        reading = find_digits(open_image(data, MAX_PIXELS))
    except ImageRejected:
        return None
    digits = [int(labels[p]) for p in picks]
    return reading, labelled_candidates(reading, layers, tuple(placed), digits)


def digit_crops(
    images: np.ndarray, labels: np.ndarray, count: int, redraw: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The whole digits /read hands the classifier, as it prepares them (`model_input`): the
    pieces labelled a digit among the candidates of numbers of 2-6 `images`, half of them
    touching, redrawn by other hands first where `redraw`; about `count` of them, labelled. A
    digit cut out of a number carries what a lone upload does not: a neighbour's stroke ends, a
    cut through touching ink, its size set by the number."""
    from synthesis.hands import redrawn_digit

    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    for number_index in itertools.count():
        if len(inputs) >= count:
            break
        picks = rng.choice(len(images), int(rng.integers(2, 7)), replace=False)
        digits = (
            np.stack([redrawn_digit(images[p], rng) for p in picks]) if redraw else images[picks]
        )
        number = number_pieces(
            digits, labels[picks], np.arange(len(picks)), number_index % 2 == 1, rng
        )
        for piece, target in number[1] if number else []:
            if 0 <= target < NUM_CLASSES:
                inputs.append(model_input(number[0], piece))
                targets.append(target)
    return np.stack(inputs[:count]).astype(np.float32), np.array(targets[:count], np.int64)
