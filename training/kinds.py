"""Digits beyond MNIST, as labelled model inputs: typed, in other hands, at low resolution.

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

from synthesis.kinds import KINDS, upload
from synthesis.styles import STYLES
from training.nondigits import model_input

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "kinds"
VERSION = 2  # bump when the synthesis changes: old caches are then ignored
COUNTS = {
    "train": {"typed": 30_000, "hands": 25_000, "low_resolution": 15_000},
    "validation": {"typed": 5_000, "hands": 5_000, "low_resolution": 5_000},
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
    if kind == "typed":
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
    path = CACHE / f"{kind}-{split}-{count}-{seed}-v{VERSION}.npz"
    if path.exists():
        with np.load(path) as stored:
            return stored["images"], stored["labels"], stored["styles"]
    images, labels, styles = make(kind, split, count, seed, digits)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=images, labels=labels, styles=styles)
    return images, labels, styles


def kinds_of(split: str, digits) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each kind's images and labels for one split (COUNTS of them), made from that split's
    fonts and MNIST digits (`digits`: the split's `Digits`)."""
    return {
        kind: cached(kind, split, COUNTS[split][kind], SEEDS[split], digits)[:2] for kind in KINDS
    }
