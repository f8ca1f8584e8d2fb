"""`python -m training slash [MODEL_DIR]`: teach /read a slash from a digit.

By its shape alone a handwritten "/" is a slanted "1" (MNIST's 1s lean as much), and a typed one
is a 1 without its flag: no rule on one stroke's box tells them apart, so the classifier reads a
date's slashes as 1s (`01/12` as `01112`). Seen in its place, as the piece judge sees a piece
(`context_input`: the number's ink around it at a fixed digit height), a slash differs: it leans
against its neighbours' slant, reaches past the digits' band, stands where a date's or a
fraction's groups part. This small network answers two classes for a piece the piece judge
chose as one of a number's digits: a digit, or a slash.

It learns from numbers written with slashes and without (dates, fractions, plain numbers rich in
1s and 7s), in MNIST digits of the classifier's training split with pen-drawn marks (plain ones
spaced or touching) and typed in the training fonts, in every upload style, segmented by
`find_digits` as /read segments uploads. The pieces the judge chose are labelled by the number's
text, left to right, where they match it one to one (one piece per character, the other marks
where the text has them); numbers that do not match are left out. Validated on the validation
split's digits and the validation fonts, its threshold chosen there (`choose`). Written to
MODEL_DIR/slash/ with its card, compiled for LiteRT, checked against Keras, and named in the
model's card with its checksum.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from digits.contract import MAX_PIXELS
from digits.errors import ImageRejected
from digits.preprocess import open_image
from digits.reading import judge_chose, slash_candidates
from digits.segment import CONTEXT_SHAPE, Reading, context_input, find_digits
from digits.served import Judge, load_model
from synthesis.numbers import NUMBER_STYLES, compose, compose_text, separated_text

SLASH_DIR = "slash"
TEMPLATES = ("dd/dd/dddd", "d/dd/dd", "d/d", "dd/dd", "d/dd", "ddd/d", "dd.dd", "-dd", "dd:dd")
ONES = 0.35  # the share of 1s among the digits of a plain number: the slash's likeness
BY_HAND = 1 / 3  # the share of typed numbers lettered by hand after their font
NUMBERS = {"train": 12000, "validation": 1500}
SEEDS = {"train": 21, "validation": 22}
EPOCHS, BATCH = 14, 128


def number_text(rng: np.random.Generator) -> str:
    """A number to write: with slashes (or another separator) half the time, else 2-6 digits
    with many 1s and 7s."""
    if rng.random() < 0.5:
        return separated_text(rng, TEMPLATES[rng.integers(len(TEMPLATES))])
    length = int(rng.integers(2, 7))
    return "".join("1" if rng.random() < ONES else str(rng.integers(10)) for _ in range(length))


def written(
    text: str, source, fonts, rng: np.random.Generator, typed: float = 0.5, by_hand: float = 0.0
) -> bytes:
    """`text` as an upload: MNIST digits with pen marks (a plain number's touching, a third of
    the time: the judge cuts them, and a cut piece of a 1 is no slash either), or typed (on
    paper, a canvas, a photo, a screen), `typed` of the time, lettered by hand after the font
    (`synthesis.lettered`: a handwriting-like font's slash is a pen's line) `by_hand` of that."""
    from synthesis.numbers import lettered_upload
    from synthesis.styles import STYLES
    from synthesis.typed import typed_ink, typed_on_screen

    if rng.random() < 1 - typed:
        style = list(NUMBER_STYLES)[rng.integers(len(NUMBER_STYLES))]
        if text.isdigit() and rng.random() < 1 / 3:
            return NUMBER_STYLES[style](compose(digits_of(text, source, rng), True, rng), rng)
        return NUMBER_STYLES[style](compose_text(text, source, rng), rng)
    font = fonts[rng.integers(len(fonts))]
    style = list(STYLES)[rng.integers(len(STYLES))]
    if by_hand and rng.random() < by_hand:
        return lettered_upload(text, fonts, style, rng)
    if style == "screen":
        return typed_on_screen(text, font, rng)
    return STYLES[style](typed_ink(text, font, rng, size=160), rng)


def digits_of(text: str, source, rng: np.random.Generator) -> np.ndarray:
    """An image of each of the text's digits, drawn from `source`."""
    picks = [rng.choice(np.flatnonzero(source.labels == int(c))) for c in text]
    return source.images[picks]


def labelled(reading: Reading, text: str, judge: Judge) -> list[tuple[np.ndarray, int]] | None:
    """Each slash candidate's context and label (1 for a slash), where the pieces the judge
    chose as the number's digits and the marks found match the text's characters one to one,
    left to right; None where they do not."""
    chars = [c for c in text if c != " "]
    chosen = judge_chose(reading, judge)
    items = sorted(
        [(mark.left, mark.char) for mark in reading.marks] + [(seg.left, seg) for seg in chosen],
        key=lambda item: item[0],
    )
    if len(items) != len(chars):
        return None
    for (_, item), char in zip(items, chars, strict=True):
        if isinstance(item, str) and item != char:
            return None
    of = {id(item): char for (_, item), char in zip(items, chars, strict=True)}
    return [
        (context_input(reading, chosen[i]).astype(np.uint8), int(of[id(chosen[i])] == "/"))
        for i in slash_candidates(reading, chosen)
        if of[id(chosen[i])] == "/" or of[id(chosen[i])].isdigit()
    ]


def pieces(
    model_dir: Path, split: str, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The slash candidates of `count` written numbers, among the pieces the model's judge
    chose: contexts (N, 32, 48, 2) as uint8, labels, and how many numbers matched their text."""
    from synthesis.fonts import require
    from training.data import mnist_digits

    source, fonts = mnist_digits(split), require(split)
    judge = load_model(model_dir).judge
    rng = np.random.default_rng(seed)
    inputs, targets, matched = [], [], 0
    for _ in range(count):
        text = number_text(rng)
        try:
            upload = written(text, source, fonts, rng, by_hand=BY_HAND)
            reading = find_digits(open_image(upload, MAX_PIXELS))
        except ImageRejected:
            continue
        found = labelled(reading, text, judge)
        if found is None:
            continue
        matched += 1
        for context, target in found:
            inputs.append(context)
            targets.append(target)
    return np.stack(inputs), np.array(targets, np.int64), matched


def build_slash():
    """A small CNN: a stroke in its context -> a digit, or a slash."""
    from training.models import context_network

    return context_network([[32, 32], [64], [96]], 96, 0.2, 2, "slash")


FALSE_SLASHES = 0.001  # at most this share of validation digits may be taken for a slash


def choose(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """The lowest threshold at which at most FALSE_SLASHES of the validation digits score as a
    slash (a digit read as "/" makes a wrong number), and what it finds there."""
    digits = np.sort(probabilities[labels == 0])
    rank = min(len(digits) - 1, int(np.floor(len(digits) * (1 - FALSE_SLASHES))))
    threshold = float(max(0.5, digits[rank] + 1e-6))
    return {
        "threshold": round(threshold, 6),
        "digits": len(digits),
        "false_slashes": round(float((digits >= threshold).mean()), 6),
        "slashes": int((labels == 1).sum()),
        "found": round(float((probabilities[labels == 1] >= threshold).mean()), 6),
    }


def train(model_dir: Path) -> dict:
    from digits.card import ModelCard, SlashRecord
    from digits.contract import SERVING_FILENAME
    from digits.runtime import LiteRTModel, sha256
    from training.models import context_section
    from training.small import fit_and_write

    started = time.perf_counter()
    x, y, matched = pieces(model_dir, "train", NUMBERS["train"], SEEDS["train"])
    val_x, val_y, val_matched = pieces(
        model_dir, "validation", NUMBERS["validation"], SEEDS["validation"]
    )
    made = time.perf_counter() - started
    print(
        f"{len(x)} training strokes ({int(y.sum())} slashes), {len(val_x)} validation strokes "
        f"({int(val_y.sum())} slashes) in {made:.0f} s",
        flush=True,
    )
    out = model_dir / SLASH_DIR
    card = fit_and_write(
        build_slash(),
        (x, y),
        (val_x, val_y),
        out,
        seed=SEEDS["train"],
        epochs=EPOCHS,
        batch=BATCH,
        loss="sparse_categorical_crossentropy",
        model=context_section(
            "slash",
            "slash",
            "a small CNN that tells a slash from a digit, seeing the stroke among its neighbours",
        ),
        training={
            "numbers": NUMBERS,
            "typed_by_hand": round(BY_HAND, 3),
            "matched": {"train": matched, "validation": val_matched},
            "strokes": len(x),
            "slashes": int(y.sum()),
            "data_seconds": round(made),
        },
    )
    served = f"{SLASH_DIR}/{SERVING_FILENAME}"
    network = LiteRTModel.open(model_dir / served, 1, outputs=2, inputs=CONTEXT_SHAPE)
    chosen = choose(network.predict_all(val_x.astype(np.float32))[:, 1], val_y)
    model_card = ModelCard.read(model_dir)
    model_card.slash = SlashRecord(
        network=served,
        parameters=card.model.parameters,
        threshold=chosen.pop("threshold"),
        validation=chosen,
        sha256={served: sha256(model_dir / served)},
    )
    model_card.write(model_dir)
    return model_card.slash.model_dump()


def main(argv: list[str] | None = None) -> int:
    from training.cli import model_dir_arg

    model_dir = model_dir_arg("slash", __doc__, argv)
    print(f"slash: {train(model_dir)}; written to {model_dir}/{SLASH_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
