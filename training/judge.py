"""`python -m training.judge [MODEL_DIR]`: teach /read which candidate pieces are whole digits.

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

import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from digits.card import ModelCard, ModelSection, ReadingRecord
from digits.contract import NUM_CLASSES, PIXEL_MAX, SERVING_FILENAME
from digits.errors import ImageRejected
from digits.preprocess import INK_THRESHOLD, open_image
from digits.runtime import sha256
from digits.segment import CONTEXT_SHAPE, Reading, context_input, find_digits
from training.data import VENDORED_MNIST, load_idx_dir, split_holdout
from training.nondigits import compose_number, on_paper

JUDGE_DIR = "judge"
NOT_WHOLE = NUM_CLASSES  # the eleventh class: not one whole digit
# A piece is that digit where it holds at least WHOLE of one digit's own ink and at most STRAY of
# any other's; not one whole digit where it holds less than PART of any, or BOTH of two
WHOLE, STRAY, PART, BOTH = 0.9, 0.15, 0.6, 0.35
NUMBERS = {"train": 9000, "validation": 1500}
KEEP_WRONG = 0.2  # share of the "not one whole digit" pieces kept: they outnumber digits ten to one
SEEDS = {"train": 11, "validation": 12}
EPOCHS, BATCH = 10, 128
MAX_PIXELS = 16_000_000


def render(strip: np.ndarray, rng: np.random.Generator) -> tuple[bytes, float, int, int]:
    """A composed number (light ink on dark) as an upload in one of the styles, at a random
    scale: its bytes, and the strip-to-upload scale and offset (left, top), to label pieces by."""
    factor = float(rng.uniform(2.5, 6))
    size = (round(strip.shape[1] * factor), round(strip.shape[0] * factor))
    ink = np.asarray(Image.fromarray(strip).resize(size, Image.Resampling.BILINEAR), np.float32)
    alpha = ink / 255
    style = int(rng.integers(3))
    buffer = io.BytesIO()
    if style == 0:  # dark pen on grey paper, scanned
        return on_paper(ink, rng), factor, 0, 0
    if style == 1:  # strokes in the alpha channel of a wider transparent canvas
        left, top = int(rng.integers(0, 200)), int(rng.integers(0, 80))
        rgba = np.zeros((size[1] + 80, size[0] + 200, 4), np.uint8)
        rgba[top : top + size[1], left : left + size[0], 3] = ink.astype(np.uint8)
        Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
        return buffer.getvalue(), factor, left, top
    paper, pen = rng.uniform(170, 255, 3), rng.uniform(0, 120, 3)  # a phone photo, JPEG
    light = np.linspace(rng.uniform(0.75, 1), 1, size[0])[None, :, None]
    rgb = (paper * (1 - alpha[..., None]) + pen * alpha[..., None]) * light
    rgb += rng.normal(0, 4, rgb.shape)
    image = Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB")
    image.save(buffer, "JPEG", quality=int(rng.integers(60, 95)))
    return buffer.getvalue(), factor, 0, 0


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


def pieces(images: np.ndarray, labels: np.ndarray, count: int, seed: int):
    """The candidate pieces of `count` numbers of 1-6 digits, half of them touching: context
    inputs (N, 32, 48, 2), 0-255 as uint8 (a quarter of the memory), and their labels."""
    rng = np.random.default_rng(seed)
    inputs, targets = [], []
    for k in range(count):
        picks = rng.integers(len(images), size=int(rng.integers(1, 7)))
        strip, _, layers = compose_number(images[picks], bool(k % 2), rng)
        data, *placed = render(strip, rng)
        try:
            reading = find_digits(open_image(data, MAX_PIXELS))
        except ImageRejected:
            continue
        points = own_ink(layers, reading, tuple(placed))
        for piece in reading.candidates():
            held = grown(piece.mask)
            covers = [float(held[r, c].mean()) if len(r) else 0.0 for r, c in points]
            target = label(covers, [int(labels[p]) for p in picks])
            if target == NOT_WHOLE and rng.random() > KEEP_WRONG:
                continue
            if target >= 0:
                inputs.append(context_input(reading, piece).astype(np.uint8))
                targets.append(target)
    return np.stack(inputs), np.array(targets, np.int64)


def build_judge():
    """A small CNN: a piece in its context -> ten digits and "not one whole digit"."""
    import keras
    from keras import layers

    from training.models import conv_block

    return keras.Sequential(
        [
            keras.Input(CONTEXT_SHAPE),
            layers.Rescaling(1 / 255),
            *conv_block(32),
            *conv_block(32),
            layers.MaxPooling2D(2),
            *conv_block(64),
            *conv_block(64),
            layers.MaxPooling2D(2),
            *conv_block(128),
            layers.GlobalAveragePooling2D(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES + 1, activation="softmax"),
        ],
        name="judge",
    )


def train(model_dir: Path) -> ModelCard:
    import keras

    from training.litert import agreement, export_litert
    from training.train import library_versions, seed_everything

    classifier_card = ModelCard.read(model_dir)
    data = load_idx_dir(VENDORED_MNIST, "train")
    train_part, validation = split_holdout(
        data, classifier_card.training["validation_size"], classifier_card.training["seed"]
    )
    started = time.perf_counter()
    x, y = pieces(train_part.images, train_part.labels, NUMBERS["train"], SEEDS["train"])
    val_x, val_y = pieces(
        validation.images, validation.labels, NUMBERS["validation"], SEEDS["validation"]
    )
    made = time.perf_counter() - started
    print(f"{len(x)} training pieces, {len(val_x)} validation pieces in {made:.0f} s", flush=True)
    seed_everything(SEEDS["train"])
    judge = build_judge()
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, EPOCHS * int(np.ceil(len(x) / BATCH)))
    judge.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = judge.fit(
        x, y, batch_size=BATCH, epochs=EPOCHS, verbose=2, validation_data=(val_x, val_y)
    )
    out = model_dir / JUDGE_DIR
    out.mkdir(parents=True, exist_ok=True)
    judge.save(out / "model.keras")
    check = agreement(judge, export_litert(judge, out), val_x[:2000].astype(np.float32))
    card = ModelCard(
        model=ModelSection(
            name="piece-judge",
            architecture="judge",
            description="a small CNN that says which candidate piece of a number is one whole "
            "digit, seeing it among its neighbours",
            parameters=judge.count_params(),
            file="model.keras",
            input={"shape": list(CONTEXT_SHAPE), "dtype": "float32", "pixel_range": [0, 255]},
        ),
        training={
            "seed": SEEDS["train"],
            "numbers": NUMBERS,
            "pieces": len(x),
            "not_whole": int((y == NOT_WHOLE).sum()),
            "epochs": EPOCHS,
            "data_seconds": round(made),
            "history": {k: [round(float(v), 6) for v in vs] for k, vs in history.history.items()},
        },
        validation={
            "accuracy": round(float(history.history["val_accuracy"][-1]), 6),
            "size": len(val_x),
        },
        serving=check,
        versions=library_versions(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    card.write(out)
    record(model_dir, judge.count_params())
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
    args = sys.argv[1:] if argv is None else argv
    model_dir = Path(args[0]) if args else Path("model")
    card = train(model_dir)
    print(
        f"judge: validation accuracy {card.validation.accuracy:.2%}; written to {model_dir}/judge"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
