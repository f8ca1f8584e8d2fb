"""Numbers composed of MNIST digits: side by side, spaced or touching, and the pieces a wrong
cut leaves (pairs, fragments). Light ink on dark, at MNIST's scale; every digit's own ink is kept,
so a piece can be labelled by what it holds (`training.pieces`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from synthesis.styles import encode, on_paper

Rng = np.random.Generator


def ink_columns(digit: np.ndarray) -> tuple[int, int]:
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    return int(cols[0]), int(cols[-1]) + 1


def pair(first: np.ndarray, second: np.ndarray, rng: Rng) -> np.ndarray:
    """Two digits side by side, touching or nearly: what a reader of numbers must not take for
    one digit."""
    a, b = (d[:, slice(*ink_columns(d))] for d in (first, second))
    gap = int(rng.integers(-3, 3))
    strip = np.zeros((34, a.shape[1] + b.shape[1] + 8), np.uint8)
    strip[:28, : a.shape[1]] = a
    dy = int(rng.integers(0, 6))
    start = max(0, a.shape[1] + gap)
    region = strip[dy : dy + 28, start : start + b.shape[1]]
    np.maximum(region, b[:, : region.shape[1]], out=region)
    return strip


def fragment(digit: np.ndarray, rng: Rng) -> np.ndarray:
    """A digit cut through: its left or right part, as a wrong cut between digits leaves it."""
    left, right = ink_columns(digit)
    cut = left + int((right - left) * rng.uniform(0.35, 0.65))
    piece = digit.copy()
    if rng.random() < 0.5:
        piece[:, cut:] = 0
    else:
        piece[:, :cut] = 0
    return piece


class Composed(NamedTuple):
    """A number composed of MNIST digits: the strip, and each digit's own ink, strip-sized
    (where digits overlap, the strip holds the brighter)."""

    strip: np.ndarray
    layers: list[np.ndarray]


def compose_number(digits: np.ndarray, touching: bool, rng: Rng) -> Composed:
    """MNIST digits side by side, light ink on dark, spaced by a gap or overlapping by a pixel
    or two so that neighbouring strokes meet."""
    pieces = [digit[:, slice(*ink_columns(digit))] for digit in digits]
    strip = np.zeros((28 + 8, sum(p.shape[1] for p in pieces) + 12 * len(pieces) + 16), np.uint8)
    layers, x = [], 8
    for k, piece in enumerate(pieces):
        if k:
            x += -int(rng.integers(1, 4)) if touching else int(rng.integers(4, 12))
        dy = int(rng.integers(0, 6))
        layer = np.zeros_like(strip)
        layer[dy : dy + 28, x : x + piece.shape[1]] = piece
        np.maximum(strip, layer, out=strip)
        layers.append(layer)
        x += piece.shape[1]
    return Composed(strip[:, : x + 8], [layer[:, : x + 8] for layer in layers])


def placed_upload(strip: np.ndarray, rng: np.random.Generator) -> tuple[bytes, float, int, int]:
    """A composed number (light ink on dark) as an upload on paper, a canvas or in a photo, at a
    random scale: its bytes, and the strip-to-upload scale and offset (left, top), by which its
    pieces are labelled."""
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


def compose(digits: np.ndarray, touching: bool, rng: np.random.Generator) -> np.ndarray:
    """The strip alone of `compose_number`."""
    return compose_number(digits, touching, rng)[0]


SCALE = 4  # a number is drawn at MNIST's scale times this


def enlarged(ink: np.ndarray) -> np.ndarray:
    size = (ink.shape[1] * SCALE, ink.shape[0] * SCALE)
    return np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BILINEAR))


def paper(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Dark pen on white paper, scanned."""
    values = 245 - enlarged(ink).astype(np.float32) * 0.85 + rng.normal(0, 3, enlarged(ink).shape)
    return encode(Image.fromarray(values.clip(0, 255).astype(np.uint8), "L"))


def canvas(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """A canvas export: strokes in the alpha channel, off-centre on a wider transparent image."""
    big = enlarged(ink)
    height, width = big.shape
    rgba = np.zeros((height + 80, width + 200, 4), np.uint8)
    top, left = int(rng.integers(0, 80)), int(rng.integers(0, 200))
    rgba[top : top + height, left : left + width, 3] = big
    return encode(Image.fromarray(rgba, "RGBA"))


def photo(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """Blue pen on cream paper, a phone JPEG with uneven light."""
    alpha = (enlarged(ink).astype(np.float32) / 255)[..., None]
    paper_colour, pen = np.array([240, 235, 215.0]), np.array([30, 50, 160.0])
    light = np.linspace(0.8, 1, alpha.shape[1])[None, :, None]
    rgb = (paper_colour * (1 - alpha) + pen * alpha) * light
    return encode(Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB"), "JPEG", quality=85)


NUMBER_STYLES: dict[str, Callable[[np.ndarray, np.random.Generator], bytes]] = {
    "paper": paper,
    "canvas": canvas,
    "photo": photo,
}


def numbers(source, count: int, touching: bool, seed: int) -> list[tuple[str, str, bytes]]:
    """`count` numbers of 2-6 digits: (style, true text, upload bytes), every style in turn."""
    rng = np.random.default_rng(seed)
    made = []
    for k in range(count):
        picks = rng.choice(len(source), int(rng.integers(2, 7)), replace=False)
        style = list(NUMBER_STYLES)[k % len(NUMBER_STYLES)]
        ink = compose(source.images[picks], touching, rng)
        text = "".join(str(int(label)) for label in source.labels[picks])
        made.append((style, text, NUMBER_STYLES[style](ink, rng)))
    return made


# Numbers as people write them, with separators: (kind, a template where d is a random digit)
SEPARATED = (
    ("decimal", "d.dd"),
    ("decimal", "dd.dd"),
    ("thousands", "d,ddd"),
    ("negative", "-dd"),
    ("time", "dd:dd"),
    ("grouped", "ddd ddd"),
    ("date", "dd/dd/dddd"),
    ("fraction", "d/d"),
)


def separated_text(rng: Rng, template: str | None = None) -> str:
    """A number with separators, from `template` or one of the SEPARATED templates."""
    template = template or SEPARATED[rng.integers(len(SEPARATED))][1]
    return "".join(str(rng.integers(10)) if c == "d" else c for c in template)


def separated_numbers(source, count: int, seed: int) -> list[tuple[str, str, str, bytes]]:
    """`count` numbers of each SEPARATED kind written with `source`'s digits: (kind, style, true
    text, upload bytes), every style in turn."""
    rng = np.random.default_rng(seed)
    made = []
    for kind, template in SEPARATED:
        for k in range(count):
            text = separated_text(rng, template)
            style = list(NUMBER_STYLES)[k % len(NUMBER_STYLES)]
            made.append(
                (kind, style, text, NUMBER_STYLES[style](compose_text(text, source, rng), rng))
            )
    return made


def mark_ink(char: str, rng: Rng) -> np.ndarray:
    """A separator drawn as a pen draws it, on MNIST's scale: rows as a digit's frame (the
    digit band rows 4-24, its baseline at 24), a few columns wide."""
    ink = Image.new("L", (16, 34), 0)  # rows below 28: a comma's tail
    draw = ImageDraw.Draw(ink)
    r = float(rng.uniform(1.3, 2.4))
    x = 8 + float(rng.uniform(-1, 1))
    if char in ".,:":  # a point sits on the baseline
        draw.ellipse([x - r, 24 - 2 * r, x + r, 24], fill=255)
    if char == ",":  # a comma hangs below it
        draw.line([(x + r / 2, 24 - r), (x - 2, 30 + rng.uniform(0, 2))], fill=255, width=2)
    if char == ":":
        draw.ellipse([x - r, 12 - r, x + r, 12 + r], fill=255)
    if char == "-":
        half, y = float(rng.uniform(3.5, 6)), 14 + float(rng.uniform(-2, 2))
        draw.line([(x - half, y), (x + half, y)], fill=255, width=int(rng.integers(2, 4)))
    if char == "/":
        draw.line([(x + 4, 4), (x - 4, 25)], fill=255, width=2)
    columns = np.flatnonzero(np.asarray(ink).max(axis=0))
    return np.asarray(ink)[:, columns[0] : columns[-1] + 1]


def compose_text(text: str, source, rng: Rng) -> np.ndarray:
    """`text` written with MNIST digits of its labels (from `source`, a `Digits`) and pen-drawn
    separators, left to right on one strip, light ink on dark; a space is a wide gap."""
    pieces, gaps = [], []
    for char in text:
        if char == " ":
            gaps[-1:] = [int(rng.integers(22, 30))]
            continue
        if char.isdigit():
            choices = np.flatnonzero(source.labels == int(char))
            digit = source.images[choices[rng.integers(len(choices))]]
            pieces.append((digit[:, slice(*ink_columns(digit))], int(rng.integers(0, 4))))
        else:
            pieces.append((mark_ink(char, rng), 1))
        gaps.append(int(rng.integers(3, 8)))
    width = sum(p.shape[1] for p, _ in pieces) + sum(gaps) + 16
    strip = np.zeros((36, width), np.uint8)
    x = 8
    for (piece, dy), gap in zip(pieces, gaps, strict=True):
        region = strip[dy : dy + piece.shape[0], x : x + piece.shape[1]]
        np.maximum(region, piece, out=region)
        x += piece.shape[1] + gap
    return strip


def typed_numbers(
    split: str, count: int, seed: int, by_hand: bool = False
) -> list[tuple[str, str, str, bytes]]:
    """`count` typed numbers per upload style, in the fonts of `split` (lettered by hand where
    `by_hand`: `synthesis.lettered`, as handwriting-like fonts draw them): (kind, style, text,
    bytes), kind "plain" (2-6 digits) or "separators" (every other one, from SEPARATED)."""
    from synthesis.fonts import require
    from synthesis.styles import STYLES

    rng = np.random.default_rng(seed)
    paths = require(split)
    upload = lettered_upload if by_hand else typed_upload
    made = []
    for style in STYLES:
        for k in range(count):
            if k % 2:
                kind, text = "separators", separated_text(rng)
            else:
                kind = "plain"
                text = "".join(str(d) for d in rng.integers(10, size=int(rng.integers(2, 7))))
            made.append((kind, style, text, upload(text, paths, style, rng)))
    return made


def lettered_upload(text: str, paths, style: str, rng: Rng) -> bytes:
    """`text` lettered by hand after one of the fonts `paths`, as an upload of `style`."""
    from synthesis.lettered import lettered_ink
    from synthesis.styles import STYLES

    return STYLES[style](lettered_ink(text, paths[rng.integers(len(paths))], rng), rng)


def typed_upload(text: str, paths, style: str, rng: Rng) -> bytes:
    """`text` typed in one of the fonts `paths`, as an upload of `style`."""
    from synthesis.styles import STYLES
    from synthesis.typed import typed_ink, typed_on_screen

    path = paths[rng.integers(len(paths))]
    if style == "screen":
        return typed_on_screen(text, path, rng)
    return STYLES[style](typed_ink(text, path, rng, size=160), rng)


def lettered_texts(split: str, count: int, seed: int) -> list[tuple[str, str, str, bytes]]:
    """`count` texts per upload style that are no number, typed in the fonts of `split`:
    (kind, style, text, bytes), kind "words" (2-5 letters) or "digits with letters" (1-4
    digits with 1-2 letters before or after, a space between them one time in three: `12kg`,
    `A4`). Only letters nobody writes for a digit (`synthesis.nondigits.CHARACTERS`): an O read
    as a 0 is no mistake."""
    from synthesis.fonts import require
    from synthesis.nondigits import CHARACTERS
    from synthesis.styles import STYLES

    letters = [c for c in CHARACTERS if c.isalpha()]
    rng = np.random.default_rng(seed)
    paths = require(split)
    made = []
    for style in STYLES:
        for k in range(count):
            if k % 2:
                kind, text = "words", "".join(rng.choice(letters, int(rng.integers(2, 6))))
            else:
                digits = "".join(str(d) for d in rng.integers(10, size=int(rng.integers(1, 5))))
                tag = "".join(rng.choice(letters, int(rng.integers(1, 3))))
                space = " " if rng.random() < 1 / 3 else ""
                parts = (digits, tag) if rng.random() < 0.5 else (tag, digits)
                kind, text = "digits with letters", space.join(parts)
            made.append((kind, style, text, typed_upload(text, paths, style, rng)))
    return made


def heavy_numbers(split: str, count: int, seed: int) -> list[tuple[str, str, bytes]]:
    """`count` numbers with separators per printed style (paper, canvas, photo) in heavy print:
    the fonts of `split` emboldened 2-3 px, where points and commas run into the digits.
    (style, text, bytes)."""
    from synthesis.fonts import require
    from synthesis.styles import STYLES
    from synthesis.typed import heavy_ink

    rng = np.random.default_rng(seed)
    paths = require(split)
    made = []
    for style in ("paper", "canvas", "photo"):
        for _ in range(count):
            text, path = separated_text(rng), paths[rng.integers(len(paths))]
            made.append((style, text, STYLES[style](heavy_ink(text, path, rng), rng)))
    return made
