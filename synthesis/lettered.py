"""Hand-lettered digits: a font's digit drawn as handwriting-like fonts draw it.

A handwriting-like font keeps a typeface's shapes (its 1 with a flag, its open 4) but draws them
with one pen line of even width that wobbles as a hand does. Such fonts are held out for judging,
so they are made here from each split's own typefaces (`synthesis.fonts`): the glyph is thinned to
its centre line (`centre_line`), drawn again with a round pen whose width is a share of the
digit's height, and bent by a hand's wobble and slant (`synthesis.hands`). MNIST's redrawn
digits (`other_hand`) keep MNIST's shapes; these keep a typeface's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from synthesis.hands import elastic, slant
from synthesis.styles import ink_box
from synthesis.typed import font

SIZE = 128
Rng = np.random.Generator
PEN = (0.05, 0.13)  # the pen's width, as a share of the glyph's height
WOBBLE = (1.5, 4.5)  # the hand's wobble (`elastic` strength, px of SIZE)
# a pen's dot is as wide as its line, but a dot blurred as a line is loses a pixel all round: the
# points, commas and colons are drawn with a pen this many pixels wider (even: the pen stays odd)
MARKS, DOT = ".,:", 2


def _neighbours(ink: np.ndarray) -> list[np.ndarray]:
    """The eight neighbours of every pixel, clockwise from north (outside the image: no ink)."""
    padded = np.pad(ink, 1)
    h, w = ink.shape
    steps = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
    return [padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy, dx in steps]


def _thinning_pass(ink: np.ndarray, first: bool) -> np.ndarray:
    """One half-pass of Zhang and Suen's thinning: the contour pixels whose removal keeps the
    shape connected, on the side the pass looks at."""
    n = _neighbours(ink)
    count = sum(x.astype(np.uint8) for x in n)
    turns = sum((~n[i] & n[(i + 1) % 8]).astype(np.uint8) for i in range(8))
    north, east, south, west = n[0], n[2], n[4], n[6]
    if first:
        side = ~(north & east & south) & ~(east & south & west)
    else:
        side = ~(north & east & west) & ~(north & south & west)
    return ink & (count >= 2) & (count <= 6) & (turns == 1) & side


def centre_line(mask: np.ndarray) -> np.ndarray:
    """A boolean glyph thinned to a line one pixel wide along the middle of its strokes. A dot
    (a point, a colon's) shrinks to a few pixels and is kept: thinning alone would take a
    block of 2x2 away whole."""
    ink = mask.copy()
    while True:
        removed = False
        for first in (True, False):
            drop = _thinning_pass(ink, first)
            drop &= sum(_neighbours(ink & ~drop)) > 0  # none whose whole dot would go
            if drop.any():
                ink &= ~drop
                removed = True
        if not removed:
            return ink


def set_glyphs(text: str, face: ImageFont.FreeTypeFont, width: int, height: int) -> list:
    """Each character of `text` (spaces aside) as a boolean glyph, a `width` x `height` image
    each, where the font sets it on a line centred in the image (a lone character as one)."""
    if len(text) == 1:
        return [_drawn(text, face, (width / 2, height / 2), "mm", width, height)]
    left = width / 2 - face.getlength(text) / 2
    return [
        _drawn(char, face, (left + face.getlength(text[:i]), height / 2), "lm", width, height)
        for i, char in enumerate(text)
        if char != " "
    ]


def _drawn(char: str, face, at: tuple[float, float], anchor: str, width: int, height: int):
    image = Image.new("L", (width, height), 0)
    ImageDraw.Draw(image).text(at, char, fill=255, font=face, anchor=anchor)
    return np.asarray(image) > 127


def lettered_ink(text: str, path: Path, rng: Rng, size: int = SIZE) -> np.ndarray:
    """`text` (a digit, or a few) in the typeface at `path`, lettered by hand: an ink map
    (light on dark), `size` tall, the glyphs 50-75 px tall. Each glyph wobbles its own way; in
    a number each is then set back on the font's baseline, as a font sets every glyph."""
    points = int(rng.integers(70, 104))
    width = max(size, int(points * 0.75 * len(text)) + 24)
    glyphs = set_glyphs(text, font(path, points), width, size)
    top, bottom, _, _ = ink_box(np.any(glyphs, axis=0), level=0)
    pen = max(3, round((bottom - 1 - top) * rng.uniform(*PEN)) | 1)  # odd: centred
    strength = rng.uniform(*WOBBLE)
    ink = np.zeros((size, width), np.float32)
    marks = [char in MARKS for char in text if char != " "]
    for glyph, mark in zip(glyphs, marks, strict=True):
        line = Image.fromarray(centre_line(glyph).astype(np.uint8) * 255, "L")
        nib = pen + DOT if mark else pen
        drawn = line.filter(ImageFilter.MaxFilter(nib)).filter(ImageFilter.GaussianBlur(1.2))
        wobbled = elastic(np.asarray(drawn, np.float32), rng, strength=strength)
        if len(glyphs) > 1:  # its ink's bottom back where the font set it
            shift = ink_box(glyph, level=0)[1] - ink_box(wobbled, level=127)[1]
            wobbled = np.roll(wobbled, shift, axis=0)
        np.maximum(ink, wobbled, out=ink)
    if rng.random() < 0.5:
        ink = slant(ink, rng)
    return ink.clip(0, 255)
