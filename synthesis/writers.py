"""Ways of writing a digit that MNIST's writers (American census staff and students) did not
use, drawn stroke by stroke: the continental 1 (a long flag up to the top of the stem, read as a
7 by a network that only saw MNIST) and the crossed 7 (a bar through the stem). The images a
person who writes this way would send, for the corrections loop: corrected, learnt, read.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from synthesis.hands import SIZE, elastic, slant

Rng = np.random.Generator
Point = tuple[float, float]


def strokes_ink(strokes: list[list[Point]], rng: Rng) -> np.ndarray:
    """Polylines in unit coordinates drawn with a round pen of random width, as ink (0-255,
    light on dark) on a SIZE x SIZE field, then a hand's slant and wobble."""
    image = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(image)
    width = int(rng.integers(7, 16))
    for stroke in strokes:
        points = [(x * SIZE, y * SIZE) for x, y in stroke]
        draw.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            r = width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    ink = np.asarray(image, np.float32)
    return elastic(slant(ink, rng), rng, strength=2.0)


def jitter(rng: Rng, scale: float = 0.03) -> float:
    return float(rng.normal(0, scale))


def continental_one(rng: Rng) -> np.ndarray:
    """A stem with a long flag: from well down the left, up to the stem's top."""
    top = (0.55 + jitter(rng), 0.15 + jitter(rng))
    foot = (top[0] + rng.uniform(-0.06, 0.02), 0.85 + jitter(rng))
    drop = rng.uniform(0.3, 0.55)  # how far down the flag starts, in heights
    flag = (top[0] - rng.uniform(0.28, 0.4), top[1] + drop * (foot[1] - top[1]))
    strokes = [[flag, top, foot]]
    if rng.random() < 0.3:  # a foot serif
        strokes.append([(foot[0] - 0.12, foot[1]), (foot[0] + 0.12, foot[1])])
    return strokes_ink(strokes, rng)


def crossed_seven(rng: Rng) -> np.ndarray:
    """A 7 with a bar across the middle of its stem."""
    left, right = (0.25 + jitter(rng), 0.18 + jitter(rng)), (0.75 + jitter(rng), 0.18 + jitter(rng))
    foot = (0.42 + jitter(rng, 0.06), 0.85 + jitter(rng))
    mid = ((right[0] + foot[0]) / 2, (right[1] + foot[1]) / 2)
    half = rng.uniform(0.12, 0.2)
    bar = [(mid[0] - half, mid[1] + jitter(rng, 0.02)), (mid[0] + half, mid[1] + jitter(rng, 0.02))]
    return strokes_ink([[left, right, foot], bar], rng)


WRITERS: dict[str, tuple[Callable[[Rng], np.ndarray], int]] = {
    "continental-1": (continental_one, 1),
    "crossed-7": (crossed_seven, 7),
}


def written(style: str, count: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """`count` ink maps in one way of writing, and their label."""
    draw, label = WRITERS[style]
    rng = np.random.default_rng(seed)
    return [draw(rng) for _ in range(count)], np.full(count, label)
