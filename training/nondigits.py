"""What the not-a-digit detector learns and is measured on, as model inputs: generated
non-digits and MNIST digits in the upload styles (`synthesis.nondigits`), and what a reader of
numbers must not take for one digit (touching pairs, fragments, wrong cuts of touching numbers),
each prepared exactly as the service prepares an upload.
"""

from __future__ import annotations

import numpy as np

from digits.contract import MAX_PIXELS
from digits.errors import ImageRejected
from digits.preprocess import fit_digit, open_image, to_model_input
from digits.segment import find_digits
from synthesis.nondigits import CHARACTERS, KINDS, TRAIN_FONTS, styled_digit, upload
from synthesis.numbers import fragment, pair, typed_upload
from synthesis.styles import STYLES
from training.data import Digits
from training.pieces import NOT_WHOLE, number_pieces


def model_input(data: bytes) -> np.ndarray | None:
    """The 28x28 input the service would give the model for these bytes; None where the service
    would refuse the upload outright (blank after preprocessing, say)."""
    try:
        return to_model_input(open_image(data, MAX_PIXELS))
    except ImageRejected:
        return None


def nondigit_inputs(
    count: int, seed: int, family: str = TRAIN_FONTS, kinds: tuple[str, ...] = KINDS
) -> np.ndarray:
    """`count` preprocessed non-digits, (count, 28, 28) float32, each kind in every style."""
    images, index = [], 0
    while len(images) < count:
        kind, style = kinds[index % len(kinds)], list(STYLES)[(index // len(kinds)) % len(STYLES)]
        prepared = model_input(upload(kind, style, seed * 1_000_003 + index, family))
        if prepared is not None:
            images.append(prepared)
        index += 1
    return np.stack(images)


def styled_digit_inputs(digits: np.ndarray, seed: int) -> np.ndarray:
    """The same digits, each in one of the styles and preprocessed as the service would."""
    prepared = []
    for i, digit in enumerate(digits):
        style = list(STYLES)[i % len(STYLES)]
        image = model_input(styled_digit(digit, style, seed * 1_000_003 + i))
        prepared.append(image if image is not None else digit.astype(np.float32))
    return np.stack(prepared)


def stroke_like(ink: np.ndarray) -> bool:
    """A fragment as narrow as a "1" may well be one: never a negative."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 64), np.flatnonzero(ink.max(axis=0) > 64)
    return len(rows) == 0 or (cols[-1] - cols[0] + 1) < 0.5 * (rows[-1] - rows[0] + 1)


def not_one_digit_inputs(digits: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` model inputs that hold more or less than one digit: touching pairs and
    fragments of MNIST digits, prepared as a reader of numbers prepares each piece."""
    rng = np.random.default_rng(seed)
    made = []
    while len(made) < count:
        first, second = digits[rng.integers(len(digits), size=2)]
        ink = pair(first, second, rng) if len(made) % 2 else fragment(first, rng)
        if ink.max() > 0 and not stroke_like(ink):
            made.append(fit_digit(ink.astype(np.float32)))
    return np.stack(made)


def cut_pieces(digits: Digits, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """What a reader of numbers weighs: candidate pieces of touching numbers composed from
    `digits`, uploaded and segmented as /read does and prepared as it prepares each piece:
    `count` whole digits and `count` wrong cuts (spanning two, or cutting one), labelled by the
    one rule of `training.pieces`; pieces in between are left out."""
    from digits.segment import model_input

    rng = np.random.default_rng(seed)
    found: dict[bool, list[np.ndarray]] = {True: [], False: []}
    while min(len(v) for v in found.values()) < count:
        picks = rng.integers(len(digits), size=int(rng.integers(2, 5)))
        number = number_pieces(digits.images, digits.labels, picks, True, rng)
        if number is None:
            continue
        reading, labelled = number
        for piece, target in labelled:
            whole = target != NOT_WHOLE
            if target >= 0 and len(found[whole]) < count:
                found[whole].append(model_input(reading, piece))
    return np.stack(found[True]), np.stack(found[False])


def letter_pieces(count: int, seed: int) -> np.ndarray:
    """What a reader of numbers cuts a typed word into: every candidate piece of words of 2-5
    letters nobody writes for a digit, typed in the training fonts of the non-digits' family
    (the held-out family stays unseen) in every upload style, prepared as /read prepares each
    piece; `count` of them, none as narrow as a "1" (`stroke_like`). A letter's strokes, cut
    apart, are what /read must not answer as digits."""
    from digits.segment import model_input
    from synthesis.fonts import require

    paths = [path for path in require("train") if path.parent.name == TRAIN_FONTS]
    letters = [c for c in CHARACTERS if c.isalpha()]
    rng = np.random.default_rng(seed)
    made: list[np.ndarray] = []
    words = 0
    while len(made) < count:
        word = "".join(rng.choice(letters, int(rng.integers(2, 6))))
        style = list(STYLES)[words % len(STYLES)]
        words += 1
        try:
            reading = find_digits(open_image(typed_upload(word, paths, style, rng), MAX_PIXELS))
        except ImageRejected:
            continue
        pieces = (model_input(reading, piece) for piece in reading.candidates())
        made += [piece for piece in pieces if not stroke_like(piece)]
    return np.stack(made[:count])
