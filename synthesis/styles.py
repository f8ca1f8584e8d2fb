"""Put an ink map (float32, light ink on dark, 0-255, any size) in front of a camera, a scanner,
a canvas or a screen, and encode it as people upload it.

Digits and non-digits go through the same styles, so that style alone never tells them apart.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

Ink = np.ndarray
Rng = np.random.Generator

# (text, background) colours of screens: dark on light, light on dark, coloured
SCREEN_COLOURS = (
    ((0, 0, 0), (255, 255, 255)),
    ((33, 33, 33), (250, 250, 250)),
    ((60, 64, 67), (241, 243, 244)),
    ((255, 255, 255), (0, 0, 0)),
    ((230, 230, 230), (30, 30, 30)),
    ((212, 212, 212), (37, 37, 38)),
    ((255, 255, 255), (25, 118, 210)),
    ((255, 255, 255), (46, 125, 50)),
    ((255, 255, 255), (198, 40, 40)),
    ((0, 0, 0), (255, 235, 59)),
    ((26, 115, 232), (255, 255, 255)),
    ((211, 47, 47), (255, 255, 255)),
    ((0, 255, 0), (0, 0, 0)),
    ((255, 193, 7), (33, 33, 33)),
)


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def ink_box(ink: Ink, level: float = 32) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the ink above `level`, exclusive ends."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > level), np.flatnonzero(ink.max(axis=0) > level)
    if len(rows) == 0:
        return 0, ink.shape[0], 0, ink.shape[1]
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def resized(ink: Ink, width: int, height: int, resample=Image.Resampling.BILINEAR) -> Ink:
    image = Image.fromarray(ink.astype(np.float32), "F")
    return np.asarray(image.resize((max(1, width), max(1, height)), resample), np.float32)


def sheared(image: Image.Image, shear: float, resample=Image.Resampling.NEAREST) -> Image.Image:
    """Slanted by `shear` (x moves by shear * y), about the image's middle row."""
    return image.transform(
        image.size, Image.Transform.AFFINE, (1, shear, -shear * image.height / 2, 0, 1, 0), resample
    )


def on_paper(ink: Ink, rng: Rng) -> bytes:
    """Dark pen on light paper, scanned: grey, blurred a little, with sensor noise."""
    paper, pen = rng.uniform(190, 255), rng.uniform(0, 90)
    alpha = ink / 255
    values = paper * (1 - alpha) + pen * alpha + rng.normal(0, rng.uniform(0, 6), ink.shape)
    image = Image.fromarray(values.clip(0, 255).astype(np.uint8), "L")
    return encode(image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2))))


def on_canvas(ink: Ink, rng: Rng) -> bytes:
    """An HTML canvas export: the strokes in the alpha channel of a transparent image,
    anywhere on a wider canvas."""
    h, w = ink.shape
    width, height = int(rng.integers(w, 3 * w)), int(rng.integers(h, 2 * h))
    rgba = np.zeros((height, width, 4), np.uint8)
    top, left = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
    rgba[top : top + h, left : left + w, 3] = ink.clip(0, 255).astype(np.uint8)
    return encode(Image.fromarray(rgba, "RGBA"))


def in_photo(ink: Ink, rng: Rng) -> bytes:
    """A phone photo: coloured pen on coloured paper, uneven light, noise, JPEG."""
    h, w = ink.shape
    paper = rng.uniform(170, 255, 3)
    pen = rng.uniform(0, 120, 3)
    alpha = (ink / 255)[..., None]
    light = np.linspace(rng.uniform(0.75, 1), 1, w)[None, :, None]
    rgb = (paper * (1 - alpha) + pen * alpha) * light + rng.normal(0, 4, (h, w, 3))
    scale = rng.uniform(1, 2)
    image = Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB")
    image = image.resize((round(w * scale), round(h * scale)))
    return encode(image, "JPEG", quality=int(rng.integers(60, 95)))


def on_screen(ink: Ink, rng: Rng) -> bytes:
    """A screenshot: the ink rendered small (14-40 px tall) and crisp, in a screen's colours
    (dark on light, light on dark, coloured), with a margin as a person crops it; now and then
    at twice the size, as a high-density display captures it."""
    top, bottom, left, right = ink_box(ink)
    crop = ink[top:bottom, left:right]
    height = int(rng.integers(14, 41))
    scale = height / crop.shape[0]
    small = resized(crop, round(crop.shape[1] * scale), height, Image.Resampling.BOX)
    top, bottom, left, right = (int(m) for m in rng.integers(2, 16, size=4))
    frame = np.pad(small.astype(np.float64), ((top, bottom), (left, right)))
    colours = SCREEN_COLOURS[rng.integers(len(SCREEN_COLOURS))]
    text, paper = (np.array(colour, np.float32) for colour in colours)
    alpha = (frame / 255).clip(0, 1)[..., None]
    rgb = paper * (1 - alpha) + text * alpha
    image = Image.fromarray(rgb.round().astype(np.uint8), "RGB")
    if rng.random() < 0.2:
        image = image.resize((image.width * 2, image.height * 2), Image.Resampling.NEAREST)
    return encode(image)


STYLES: dict[str, Callable[[Ink, Rng], bytes]] = {
    "paper": on_paper,
    "canvas": on_canvas,
    "photo": in_photo,
    "screen": on_screen,
}
