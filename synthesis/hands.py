"""Other hands: MNIST digits redrawn as people who are not MNIST's writers draw them.

Thinner and thicker strokes (a fine pen, a marker), slant, elastic distortion (a hand's own
wobble), and low resolution (a digit scanned small: reduced to 8-16 px, enlarged again, blurred
or blocky). Every transform keeps the label, so a transformed MNIST digit is still its digit.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from synthesis.styles import ink_box, resized, sheared

SIZE = 128
Rng = np.random.Generator


def enlarged(digit: np.ndarray, size: int = SIZE) -> np.ndarray:
    """A 28x28 MNIST digit as a SIZE x SIZE ink map."""
    return resized(digit.astype(np.float32), size, size, Image.Resampling.BICUBIC).clip(0, 255)


def stroke_width(ink: np.ndarray, rng: Rng) -> np.ndarray:
    """Thicker (a marker: dilated) or thinner (a fine pen: eroded) strokes."""
    image = Image.fromarray(ink.clip(0, 255).astype(np.uint8), "L")
    if rng.random() < 0.6:
        image = image.filter(ImageFilter.MaxFilter(int(rng.choice([3, 5, 7, 9, 11]))))
    else:
        thinned = image.filter(ImageFilter.MinFilter(int(rng.choice([3, 5]))))
        if np.asarray(thinned).max() > 128:  # never erode a thin digit away
            image = thinned
    return np.asarray(image.filter(ImageFilter.GaussianBlur(1.5)), np.float32)


def slant(ink: np.ndarray, rng: Rng) -> np.ndarray:
    image = Image.fromarray(ink.astype(np.float32), "F")
    return np.asarray(sheared(image, rng.uniform(-0.4, 0.4), Image.Resampling.BILINEAR), np.float32)


def elastic(ink: np.ndarray, rng: Rng, strength: float = 6.0, grid: int = 5) -> np.ndarray:
    """A smooth random displacement field (a coarse grid of offsets, enlarged bicubically),
    sampled bilinearly: strokes bend without breaking."""
    height, width = ink.shape
    cells = (grid, max(grid, round(grid * width / height)))  # as fine across a wide image
    fields = [
        resized(rng.normal(0, strength, cells), width, height, Image.Resampling.BICUBIC)
        for _ in range(2)
    ]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sy = np.clip(y + fields[0], 0, height - 1.001)
    sx = np.clip(x + fields[1], 0, width - 1.001)
    y0, x0 = sy.astype(int), sx.astype(int)
    fy, fx = sy - y0, sx - x0
    return (
        ink[y0, x0] * (1 - fy) * (1 - fx)
        + ink[y0 + 1, x0] * fy * (1 - fx)
        + ink[y0, x0 + 1] * (1 - fy) * fx
        + ink[y0 + 1, x0 + 1] * fy * fx
    ).astype(np.float32)


def low_resolution(ink: np.ndarray, rng: Rng) -> np.ndarray:
    """The digit reduced to 8-16 px (filling the frame, as small scans are cut, sometimes widened
    as size-normalised collections are), maybe quantised
    to 16 grey levels, then enlarged to 28-64 px blocky (nearest) or smooth, maybe blurred."""
    top, bottom, left, right = ink_box(ink)
    crop = ink[top:bottom, left:right]
    small_side = int(rng.integers(8, 17))
    scale = small_side / max(crop.shape)
    widen = rng.uniform(1.0, 1.6) if rng.random() < 0.4 else 1.0  # size-normalised collections
    height = round(crop.shape[0] * scale)
    width = min(small_side, round(crop.shape[1] * scale * widen))
    pad = int(rng.integers(0, 2))
    small = np.pad(resized(crop, width, height, Image.Resampling.BOX), pad)
    if rng.random() < 0.5:
        small = np.round(small / 255 * 16) * (255 / 16)
    side = int(rng.integers(28, 65))
    scale = side / max(small.shape)
    resample = Image.Resampling.NEAREST if rng.random() < 0.5 else Image.Resampling.BILINEAR
    big = resized(small, round(small.shape[1] * scale), round(small.shape[0] * scale), resample)
    if rng.random() < 0.4:
        big = np.asarray(
            Image.fromarray(big.clip(0, 255).astype(np.uint8), "L").filter(
                ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5))
            ),
            np.float32,
        )
    return big.clip(0, 255)


def other_hand(digit: np.ndarray, rng: Rng) -> np.ndarray:
    """A 28x28 MNIST digit, redrawn: each of stroke width, slant and elastic distortion with
    even odds (at least one)."""
    ink = enlarged(digit)
    chosen = rng.random(3) < 0.5
    if not chosen.any():
        chosen[rng.integers(3)] = True
    for transform, on in zip((stroke_width, slant, elastic), chosen, strict=True):
        if on:
            ink = transform(ink, rng)
    return ink.clip(0, 255)


def redrawn_digit(digit: np.ndarray, rng: Rng) -> np.ndarray:
    """A 28x28 MNIST digit redrawn by another hand (`other_hand`), back at MNIST's 28x28: a
    digit that can be composed into numbers as MNIST's own are."""
    return resized(other_hand(digit, rng), 28, 28).clip(0, 255).astype(np.uint8)
