"""Digits beyond MNIST, as labelled model inputs: typed, in other hands, at low resolution,
lettered by hand, and whole digits as /read cuts them out of numbers (`crops_of`, below).

Each image is made by `synthesis.kinds.upload` (a font from the split's fixed list, or an MNIST
digit of the split redrawn, put in an upload style and encoded) and prepared exactly as the
service prepares an upload (`digits.preprocess`), so the networks learn from what they will be
given. Training uses
the training fonts and MNIST's training part; validation the validation fonts and MNIST's
validation split: validation never sees a font or a digit that trained anything.

Sets are cached under `.cache/kinds/` (never committed): the same arguments give the same bytes.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from synthesis.kinds import FONT_KINDS, KINDS, upload
from synthesis.styles import STYLES
from training.nondigits import model_input

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "kinds"
VERSION = 2  # bump when the synthesis changes: old caches are then ignored
COUNTS = {
    "train": {"typed": 30_000, "hands": 25_000, "low_resolution": 15_000, "lettered": 25_000},
    "validation": {"typed": 5_000, "hands": 5_000, "low_resolution": 5_000, "lettered": 5_000},
}
SEEDS = {"train": 11, "validation": 12}


def _chunk(args) -> list[tuple[np.ndarray | None, int, int]]:
    kind, split, seed, jobs = args
    made = []
    for index, label, source in jobs:
        style = list(STYLES)[index % len(STYLES)]
        made.append(
            (model_input(upload(kind, style, label, source, split, seed + index)), label, index)
        )
    return made


def make(
    kind: str, split: str, count: int, seed: int, digits=None, workers: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` images of one kind: (images (N, 28, 28) float32, labels, style index per image).
    `digits` (an MNIST `Digits` of the split) are the sources of the redrawn kinds."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    if kind in FONT_KINDS:
        jobs = [(i, int(rng.integers(10)), None) for i in range(count)]
    else:
        picks = rng.integers(len(digits), size=count)
        jobs = [(i, int(digits.labels[p]), digits.images[p]) for i, p in enumerate(picks)]
    chunks = [(kind, split, seed * 1_000_003, jobs[i : i + 500]) for i in range(0, count, 500)]
    with ProcessPoolExecutor(workers) as pool:
        results = [item for chunk in pool.map(_chunk, chunks) for item in chunk]
    kept = [(image, label, index) for image, label, index in results if image is not None]
    return (
        np.stack([k[0] for k in kept]).astype(np.float32),
        np.array([k[1] for k in kept], np.int64),
        np.array([k[2] % len(STYLES) for k in kept], np.int64),
    )


def cached(kind: str, split: str, count: int, seed: int, digits=None):
    """`make`, kept in CACHE so that every run of a training step reads the same images."""
    stored = kept(f"{kind}-{split}-{count}-{seed}", lambda: make(kind, split, count, seed, digits))
    return stored["images"], stored["labels"], stored["styles"]


def kept(name: str, build) -> dict[str, np.ndarray]:
    """The arrays `build()` makes (images, labels, styles), from CACHE where made before."""
    path = CACHE / f"{name}-v{VERSION}.npz"
    if path.exists():
        with np.load(path) as stored:
            return dict(stored)
    arrays = dict(zip(("images", "labels", "styles"), build(), strict=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays


def kinds_of(split: str, digits) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each kind's images and labels for one split (COUNTS of them), made from that split's
    fonts and MNIST digits (`digits`: the split's `Digits`)."""
    return {
        kind: cached(kind, split, COUNTS[split][kind], SEEDS[split], digits)[:2] for kind in KINDS
    }


# Whole digits as /read cuts them out of numbers (`training.pieces.digit_crops`): numbers of the
# split's MNIST digits, and of the same redrawn by other hands. A digit alone and the same digit
# cut out of a number are not the same input, and the second is what /read asks about.
CROPS = {"crops": False, "hand_crops": True}  # kind: redrawn by other hands
CROP_COUNTS = {"train": 25_000, "validation": 5_000}  # of each kind
CROP_CHUNK = 5_000  # crops per worker's job


def _crops_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    from training.pieces import digit_crops

    images, labels, count, redraw, seed = args
    return digit_crops(images, labels, count, redraw, seed)


def make_crops(
    kind: str, count: int, seed: int, digits, workers: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """`count` whole-digit crops of one kind: (images (N, 28, 28) float32, labels)."""
    index = list(CROPS).index(kind)
    jobs = [
        (
            digits.images,
            digits.labels,
            min(CROP_CHUNK, count - start),
            CROPS[kind],
            [seed, index, start],
        )
        for start in range(0, count, CROP_CHUNK)
    ]
    with ProcessPoolExecutor(workers) as pool:
        made = list(pool.map(_crops_chunk, jobs))
    return np.concatenate([x for x, _ in made]), np.concatenate([y for _, y in made])


def crops_of(split: str, digits) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each crop kind's images and labels for one split, from that split's MNIST `digits`."""
    count, seed = CROP_COUNTS[split], SEEDS[split]
    made = {
        kind: kept(
            f"{kind}-{split}-{count}-{seed}", lambda k=kind: make_crops(k, count, seed, digits)
        )
        for kind in CROPS
    }
    return {kind: (arrays["images"], arrays["labels"]) for kind, arrays in made.items()}
