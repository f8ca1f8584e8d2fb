"""`python -m training judge [MODEL_DIR]`: teach /read which candidate pieces are whole digits.

Reading a number whose digits touch means choosing among candidate cuts (`digits.segment`).
The classifier cannot choose: it sees one piece scaled to 20x20, and a stroke cut off an 8 is a
fine 1 there. The judge sees each piece in its place (`context_input`: the number's ink around
it and its own ink, at a fixed digit height) and answers eleven classes: the ten digits, or "not
one whole digit" (a cut through a digit, two digits, a fragment). /read then takes, for each
stroke group, the path of pieces the judge is surest are whole digits, and the served classifier
reads the chosen pieces.

It learns from numbers composed of the classifier's own training digits (its validation split
held out), spaced and touching, put on paper, on a transparent canvas and in phone photos at
many scales, segmented by `find_digits` as /read segments uploads; each candidate piece is
labelled by how much of each digit's own ink it holds. Written to MODEL_DIR/judge/ with its card,
compiled for LiteRT and checked against Keras.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from digits.card import ModelCard, ReadingRecord
from digits.contract import NUM_CLASSES, SERVING_FILENAME
from digits.runtime import sha256
from digits.segment import context_input
from training.data import card_split
from training.pieces import NOT_WHOLE, number_pieces
from training.small import fit_and_write

JUDGE_DIR = "judge"
NUMBERS = {"train": 9000, "validation": 1500}
KEEP_WRONG = 0.2  # share of the "not one whole digit" pieces kept: they outnumber digits ten to one
SEEDS = {"train": 11, "validation": 12}
EPOCHS, BATCH = 10, 128


def pieces(images: np.ndarray, labels: np.ndarray, count: int, seed: int):
    """The candidate pieces of `count` numbers of 1-6 digits, half of them touching: context
    inputs (N, 32, 48, 2), 0-255 as uint8 (a quarter of the memory), and their labels."""
    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    for k in range(count):
        picks = rng.integers(len(images), size=int(rng.integers(1, 7)))
        number = number_pieces(images, labels, picks, bool(k % 2), rng)
        if number is None:
            continue
        reading, labelled = number
        for piece, target in labelled:
            if target == NOT_WHOLE and rng.random() > KEEP_WRONG:
                continue
            if target >= 0:
                inputs.append(context_input(reading, piece).astype(np.uint8))
                targets.append(target)
    return np.stack(inputs), np.array(targets, np.int64)


def build_judge():
    """A small CNN: a piece in its context -> ten digits and "not one whole digit"."""
    from training.models import context_network

    return context_network([[32, 32], [64, 64], [128]], 128, 0.3, NUM_CLASSES + 1, "judge")


def train(model_dir: Path) -> ModelCard:
    from training.models import context_section

    train_part, validation = card_split(model_dir)
    started = time.perf_counter()
    x, y = pieces(train_part.images, train_part.labels, NUMBERS["train"], SEEDS["train"])
    val_x, val_y = pieces(
        validation.images, validation.labels, NUMBERS["validation"], SEEDS["validation"]
    )
    made = time.perf_counter() - started
    print(f"{len(x)} training pieces, {len(val_x)} validation pieces in {made:.0f} s", flush=True)
    card = fit_and_write(
        build_judge(),
        (x, y),
        (val_x, val_y),
        model_dir / JUDGE_DIR,
        seed=SEEDS["train"],
        epochs=EPOCHS,
        batch=BATCH,
        loss="sparse_categorical_crossentropy",
        model=context_section(
            "piece-judge",
            "judge",
            "a small CNN that says which candidate piece of a number is one whole digit, seeing "
            "it among its neighbours",
        ),
        training={
            "numbers": NUMBERS,
            "pieces": len(x),
            "not_whole": int((y == NOT_WHOLE).sum()),
            "data_seconds": round(made),
        },
    )
    record(model_dir, card.model.parameters)
    return card


def record(model_dir: Path, parameters: int) -> None:
    """Name the judge in the model's card, with the checksum of the file the service opens."""
    served = f"{JUDGE_DIR}/{SERVING_FILENAME}"
    card = ModelCard.read(model_dir)
    card.reading = ReadingRecord(
        judge=served, judge_parameters=parameters, sha256={served: sha256(model_dir / served)}
    )
    card.write(model_dir)


def main(argv: list[str] | None = None) -> int:
    from training.cli import model_dir_arg

    model_dir = model_dir_arg("judge", __doc__, argv)
    card = train(model_dir)
    print(
        f"judge: validation accuracy {card.validation.accuracy:.2%}; written to {model_dir}/judge"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
