"""The digits /read cuts out of typed numbers, for the not-a-digit detector to learn as digits.

A typed number is drawn whole (a font's kerning sets its digits close, heavy print runs them
into one another), so no digit's own ink is known apart, by which `training.pieces` labels the
pieces of composed numbers. The served reader labels them instead: where it reads a typed
number's digits exactly, each piece it chose is that digit, cut and prepared as /read cuts and
prepares it. The detector never answers here: these are the digits it must not refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from digits.contract import MAX_PIXELS
from digits.errors import ImageRejected
from digits.preprocess import open_image
from digits.reading import pieces_to_read
from digits.served import ServedModel, load_model
from synthesis.numbers import heavy_numbers, typed_numbers

PER_ROUND = 50  # numbers per upload style and kind in each round of drawing


def typed_texts(split: str, seed: int) -> Iterator[tuple[str, bytes]]:
    """Typed numbers in the fonts of `split`, plain, with separators and in heavy print, in every
    upload style, drawn in rounds without end: (text, upload)."""
    for round_seed in range(seed * 1_000, (seed + 1) * 1_000):
        for _, _, text, data in typed_numbers(split, PER_ROUND, round_seed):
            yield text, data
        for _, text, data in heavy_numbers(split, PER_ROUND, round_seed):
            yield text, data


def read_digits(model: ServedModel, data: bytes) -> tuple[np.ndarray, str]:
    """The model inputs of the pieces /read chooses as a number's digits, and what it reads."""
    _, _, inputs = pieces_to_read(
        open_image(data, MAX_PIXELS), model.judge, model.slash, model.gaps
    )
    digits = model.predict(inputs[..., np.newaxis]).argmax(axis=1)
    return inputs, "".join(map(str, digits.tolist()))


def typed_number_digits(split: str, count: int, seed: int, model_dir: Path) -> np.ndarray:
    """`count` digits cut out of typed numbers of `split` (`typed_texts`) that the model in
    `model_dir` (its reader: the piece judge, the slash and gap readers, the classifier) reads
    exactly, its digits in order: (count, 28, 28) float32 model inputs."""
    model = load_model(model_dir, threads=2, not_a_digit=False)
    made: list[np.ndarray] = []
    for text, data in typed_texts(split, seed):
        if sum(len(inputs) for inputs in made) >= count:
            break
        try:
            inputs, read = read_digits(model, data)
        except ImageRejected:
            continue
        if read == "".join(c for c in text if c.isdigit()):
            made.append(inputs)
    return np.concatenate(made)[:count].astype(np.float32)
