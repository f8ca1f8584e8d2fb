"""`python -m training gaps [MODEL_DIR]`: teach /read what stands between two digits.

The separators' rules (`digits.separators`) find a point, a comma or a colon that stands free of
the digits. In a heavy face (or a bold photo of one) the mark runs into its neighbour: `8.21`
is one stroke `8.` beside `21`, the judge cuts it where a digit ends, and the point, held by the
8's piece, is dropped (`821`: a wrong number at high confidence). Seen between the two digits
(`gap_input`: the number's ink centred on the gap at a fixed digit height, the two digits' own
ink in the second channel), the mark is plain: ink low between two digits, below the band.

This small network answers, for two neighbouring digits the judge chose, what stands between
them: nothing (or a space), a point, a comma, a colon or a slash (`GAP_CLASSES`). It learns
from numbers with separators and without, most typed in the training fonts (two in five in
heavy print, emboldened 2-3 px: where marks fuse; a third of the other typed ones lettered by
hand, whose round dots touch their digits), the rest in MNIST digits of the
classifier's training split with pen-drawn marks, in every upload style, segmented as /read
segments uploads. The gaps are labelled by the number's text where the judge chose one piece
per digit. Validated on the validation split's digits and fonts, where its thresholds are
chosen (`choose`) on the gaps where the rules found no mark; /read asks it about those and the
gaps where the rules found only marks they could not read. Written to
MODEL_DIR/gaps/ with its card, compiled for LiteRT, checked against Keras, and named in the
model's card with its checksum.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from digits.contract import MAX_PIXELS
from digits.errors import ImageRejected
from digits.preprocess import open_image
from digits.reading import gap_marks, pieces_to_read
from digits.segment import Reading, Segment, context_at, gap_centre
from digits.separators import GAP_CLASSES, GAP_NAMED
from digits.served import load_model
from synthesis.numbers import separated_text

GAPS_DIR = "gaps"
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "gaps"
NUMBERS = {"train": 20000, "validation": 2500}
SEEDS = {"train": 31, "validation": 32}
TYPED = 2 / 3  # the share of numbers typed (the rest MNIST digits with pen marks) ...
HEAVY = 0.4  # ... and of all, this share typed in heavy print (emboldened 2-3 px): marks fuse
BY_HAND = 1 / 3  # of the typed numbers not in heavy print, the share lettered by hand
EPOCHS, BATCH = 12, 128
FALSE_MARKS = 0.002  # at most this share of the validation gaps that hold nothing may be marked
WRONG_MARKS = 0.002  # ... and of the marks it names, at most this share may be the wrong one


def number_text(rng: np.random.Generator) -> str:
    """A number to write: with separators two times in three (`SEPARATED`'s templates), else
    2-6 digits."""
    if rng.random() < 2 / 3:
        return separated_text(rng)
    return "".join(str(d) for d in rng.integers(10, size=int(rng.integers(2, 7))))


def written(text: str, source, fonts, rng: np.random.Generator) -> bytes:
    """`text` as an upload: in heavy print (on paper, a canvas or a photo) HEAVY of the time,
    else as the slash reader's numbers are written, typed TYPED of the time and lettered by hand
    BY_HAND of that (a pen's point is a round blot, its colon two)."""
    from synthesis.styles import STYLES
    from synthesis.typed import heavy_ink
    from training.slash import written as as_slashes_are

    if rng.random() >= HEAVY:
        return as_slashes_are(text, source, fonts, rng, typed=TYPED, by_hand=BY_HAND)
    font = fonts[rng.integers(len(fonts))]
    style = ("paper", "canvas", "photo")[rng.integers(3)]
    return STYLES[style](heavy_ink(text, font, rng), rng)


def labelled(
    found: Reading, pieces: list[Segment], text: str, rng: np.random.Generator
) -> list[tuple] | None:
    """Each gap between neighbouring digits: its context, what the text has there (an index into
    GAP_CLASSES) and whether the rules found a mark there; None where the judge did not choose
    one piece per digit of the text. A mark the rules found standing free is, half the time,
    shown as the neighbours' own ink (its box's), as a fused one is: free marks teach the fused
    ones, which are few."""
    digits = [i for i, char in enumerate(text) if char.isdigit()]
    if len(pieces) != len(digits):
        return None
    made = []
    for k, marks in enumerate(gap_marks(found, pieces)):
        between = text[digits[k] + 1 : digits[k + 1]].strip()
        if between not in GAP_CLASSES:
            return None
        owns = [pieces[k].mask, pieces[k + 1].mask]
        if marks and rng.random() < 0.5:
            shown = np.zeros_like(owns[0])
            for x, y, width, height in (mark.box for mark in marks):
                shown[y : y + height, x : x + width] = True
            owns.append(shown)
        context = context_at(found, *gap_centre(pieces[k], pieces[k + 1]), *owns)
        made.append((context.astype(np.uint8), GAP_CLASSES.index(between), bool(marks)))
    return made


def gaps(model_dir: Path, split: str, count: int, seed: int) -> dict[str, np.ndarray]:
    """The gaps of `count` written numbers: contexts (N, 32, 48, 2) uint8, labels, whether the
    rules marked each, and how many numbers matched their text."""
    from synthesis.fonts import require
    from training.data import mnist_digits

    source, fonts = mnist_digits(split), require(split)
    model = load_model(model_dir)
    rng = np.random.default_rng(seed)
    contexts, labels, marked, matched = [], [], [], 0
    for _ in range(count):
        text = number_text(rng)
        try:
            image = open_image(written(text, source, fonts, rng), MAX_PIXELS)
            found, pieces, _ = pieces_to_read(image, model.judge, model.slash)
        except ImageRejected:
            continue
        made = labelled(found, pieces, text, rng)
        if made is None:
            continue
        matched += 1
        for context, label, was_marked in made:
            contexts.append(context)
            labels.append(label)
            marked.append(was_marked)
    return {
        "x": np.stack(contexts),
        "y": np.array(labels, np.int64),
        "marked": np.array(marked, bool),
        "matched": np.array(matched),
    }


def cached_gaps(model_dir: Path, split: str) -> dict[str, np.ndarray]:
    """`gaps` for a split, kept in .cache/gaps/ so that a rerun trains at once (the data is
    minutes of CPU); the key names the judge and the slash reader that chose the pieces."""
    from digits.card import ModelCard

    card = ModelCard.read(model_dir)
    readers = [card.reading.sha256 if card.reading else {}, card.slash.sha256 if card.slash else {}]
    key = hashlib.sha256(json.dumps(readers, sort_keys=True).encode()).hexdigest()[:12]
    mix = f"heavy{HEAVY}-hand{BY_HAND:.2f}"
    cache = CACHE / f"{split}-{NUMBERS[split]}-{SEEDS[split]}-{mix}-{key}.npz"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, **gaps(model_dir, split, NUMBERS[split], SEEDS[split]))
    with np.load(cache) as data:
        return dict(data)


def build_gaps():
    """A small CNN: the gap between two digits -> what stands there (GAP_CLASSES)."""
    from training.models import context_network

    return context_network([[32, 32], [64], [96]], 96, 0.2, len(GAP_CLASSES), "gaps")


NAMED = [GAP_CLASSES.index(char) for char in GAP_NAMED]  # the marks it may put in the text


def choose(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """On the validation gaps the rules left unmarked: the threshold on the chance that a mark
    stands there at which the marks found most outnumber the empty gaps marked (each a number
    refused, or misread, for nothing), the lowest of those where at most FALSE_MARKS of the empty
    gaps are; and the lowest sureness at which the mark is named (a point, a comma or a colon
    put in the text) with at most WRONG_MARKS of those named wrong. Below it the mark is unread
    and the number refused, never answered without it."""
    marked = 1.0 - probabilities[:, 0]
    holds, empty = labels > 0, labels == 0
    levels = np.round(np.arange(0.5, 1.0, 0.01), 2).tolist()
    allowed = [t for t in levels if (marked[empty] >= t).mean() <= FALSE_MARKS] or [levels[-1]]
    gain = [int((marked[holds] >= t).sum()) - int((marked[empty] >= t).sum()) for t in allowed]
    threshold = allowed[gain.index(max(gain))]
    flagged = marked >= threshold
    named = probabilities[:, 1:].argmax(axis=1) + 1
    sure = probabilities[np.arange(len(named)), named]
    sure_at = 1.0
    for level in levels:
        naming = flagged & (sure >= level) & np.isin(named, NAMED)
        if naming.any() and (named[naming] != labels[naming]).mean() <= WRONG_MARKS:
            sure_at = float(level)
            break
    naming = flagged & (sure >= sure_at) & np.isin(named, NAMED)
    return {
        "threshold": threshold,
        "sure": sure_at,
        "empty_gaps": int(empty.sum()),
        "false_marks": round(float(flagged[empty].mean()), 6),
        "marks": int(holds.sum()),
        "found": round(float(flagged[holds].mean()), 6) if holds.any() else None,
        "named": round(float(naming[holds].mean()), 6) if holds.any() else None,
        "named_wrong": int((named[naming] != labels[naming]).sum()),
    }


def train(model_dir: Path) -> dict:
    from training.models import context_section
    from training.small import fit_and_write

    started = time.perf_counter()
    data, val = cached_gaps(model_dir, "train"), cached_gaps(model_dir, "validation")
    made = time.perf_counter() - started
    print(
        f"{len(data['x'])} training gaps ({int((data['y'] > 0).sum())} marks, "
        f"{int((data['y'][~data['marked']] > 0).sum())} unmarked by the rules), "
        f"{len(val['x'])} validation gaps in {made:.0f} s",
        flush=True,
    )
    fit_and_write(
        build_gaps(),
        (data["x"], data["y"]),
        (val["x"], val["y"]),
        model_dir / GAPS_DIR,
        seed=SEEDS["train"],
        epochs=EPOCHS,
        batch=BATCH,
        loss="sparse_categorical_crossentropy",
        model=context_section(
            "gaps",
            "gaps",
            "a small CNN that says what stands between two digits: nothing, a point, a comma, a "
            "colon or a slash, seeing the gap and its neighbours",
        ),
        training={
            "numbers": NUMBERS,
            "typed": round(TYPED, 3),
            "heavy": HEAVY,
            "typed_by_hand": round(BY_HAND, 3),
            "matched": {"train": int(data["matched"]), "validation": int(val["matched"])},
            "gaps": len(data["x"]),
            "marks": int((data["y"] > 0).sum()),
            "data_seconds": round(made),
        },
    )
    return record(model_dir, val)


def record(model_dir: Path, validation: dict[str, np.ndarray] | None = None) -> dict:
    """Choose the thresholds on the validation gaps the rules left unmarked and name the gap
    reader in the model's card, with the checksum of the file the service opens."""
    from digits.card import GapRecord, ModelCard
    from digits.contract import SERVING_FILENAME
    from digits.runtime import LiteRTModel, sha256
    from digits.segment import CONTEXT_SHAPE

    val = validation or cached_gaps(model_dir, "validation")
    served = f"{GAPS_DIR}/{SERVING_FILENAME}"
    outputs = len(GAP_CLASSES)
    network = LiteRTModel.open(model_dir / served, 1, outputs=outputs, inputs=CONTEXT_SHAPE)
    unmarked = ~val["marked"]
    chosen = choose(network.predict_all(val["x"][unmarked].astype(np.float32)), val["y"][unmarked])
    card = ModelCard.read(model_dir)
    card.gaps = GapRecord(
        network=served,
        parameters=ModelCard.read(model_dir / GAPS_DIR).model.parameters,
        threshold=chosen.pop("threshold"),
        sure=chosen.pop("sure"),
        validation=chosen,
        sha256={served: sha256(model_dir / served)},
    )
    card.write(model_dir)
    return card.gaps.model_dump()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training gaps", description=__doc__)
    parser.add_argument("model_dir", nargs="?", type=Path, default=Path("model"))
    parser.add_argument(
        "--choose", action="store_true", help="only choose the trained reader's thresholds again"
    )
    args = parser.parse_args(argv)
    chosen = record(args.model_dir) if args.choose else train(args.model_dir)
    print(f"gaps: {chosen}; written to {args.model_dir}/{GAPS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
