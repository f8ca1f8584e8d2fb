"""Typed digits: a digit set in a font, at a random size, weight, slant and turn.

Drawn as an ink map (light on dark, SIZE x SIZE), the same form as every other generated image, so
any upload style (`synthesis.styles`) can put it on paper, a photo, a canvas or a screen.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from synthesis.styles import SCREEN_COLOURS, encode, sheared

SIZE = 128
Rng = np.random.Generator


@cache
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def typed_ink(
    text: str, path: Path, rng: Rng, size: int = SIZE, stroke: int | None = None
) -> np.ndarray:
    """`text` (a digit, or a few) in the font at `path`: 50-100 px tall glyphs, sometimes
    emboldened by a stroke (`stroke` px where given), slanted up to +-0.25 and turned up to +-4
    degrees."""
    points = int(rng.integers(56, 104))
    width = max(size, int(points * 0.75 * len(text)) + 24)
    image = Image.new("L", (width, size), 0)
    draw = ImageDraw.Draw(image)
    stroke = int(rng.choice([0, 0, 0, 1, 2, 3])) if stroke is None else stroke
    draw.text(
        (width / 2, size / 2),
        text,
        fill=255,
        font=font(path, points),
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=255,
    )
    shear = rng.uniform(-0.25, 0.25) if rng.random() < 0.5 else 0.0
    image = sheared(image, shear, Image.Resampling.BILINEAR)
    turn = rng.uniform(-4, 4)
    return np.asarray(image.rotate(turn, Image.Resampling.BILINEAR), np.float32)


def heavy_ink(text: str, path: Path, rng: Rng) -> np.ndarray:
    """`text` in heavy print: as `typed_ink` draws it, emboldened 2-3 px (points and commas run
    into their digits)."""
    return typed_ink(text, path, rng, size=160, stroke=int(rng.integers(2, 4)))


def typed_on_screen(
    text: str, path: Path, rng: Rng, height: int | None = None, colours: int | None = None
) -> bytes:
    """A screenshot of typed text: set by FreeType at its final size (14-40 px digits, hinted
    1-2 px stems, as screens draw them), in a screen's colours, cropped with a margin, now and
    then at twice the size (a high-density display). `height` and `colours` (an index into
    SCREEN_COLOURS) fix what is otherwise drawn at random."""
    drawn = int(rng.integers(14, 41))
    height = height or drawn
    points = max(6, round(height / 0.72))
    face = font(path, points)
    left, top, right, bottom = face.getbbox(text, anchor="ls")
    margin = rng.integers(2, 16, size=4)
    size = (right - left + margin[0] + margin[1], bottom - top + margin[2] + margin[3])
    drawn = int(rng.integers(len(SCREEN_COLOURS)))
    text_colour, paper = SCREEN_COLOURS[drawn if colours is None else colours]
    image = Image.new("RGB", size, paper)
    origin = (margin[0] - left, margin[2] - top)
    ImageDraw.Draw(image).text(origin, text, fill=text_colour, font=face, anchor="ls")
    if rng.random() < 0.2:
        image = image.resize((image.width * 2, image.height * 2), Image.Resampling.NEAREST)
    return encode(image)
