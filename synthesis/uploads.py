"""MNIST digits as the fixed uploads the service must read: one deterministic style each.

Used by the accuracy tests and the benchmarks; every style starts from a real MNIST digit, so its
true label is known. (Training draws its styles at random: `synthesis.styles`.)
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from synthesis.styles import encode


def mnist_png(digit: np.ndarray) -> bytes:
    """The MNIST digit itself, as a 28x28 grayscale PNG."""
    return encode(Image.fromarray(digit, mode="L"))


def inverted(digit: np.ndarray) -> bytes:
    """Dark ink on white paper, enlarged as a scan would be."""
    image = Image.fromarray(255 - digit, mode="L").resize((140, 140), Image.Resampling.BICUBIC)
    return encode(image)


def enlarged_off_centre(digit: np.ndarray) -> bytes:
    """Big, on a much larger dark page, far from the centre."""
    page = Image.new("L", (600, 400), 0)
    page.paste(
        Image.fromarray(digit, mode="L").resize((168, 168), Image.Resampling.BILINEAR), (40, 200)
    )
    return encode(page)


def rgba_canvas(digit: np.ndarray) -> bytes:
    """An HTML canvas export: black strokes whose alpha is the ink, on a transparent background."""
    big = np.asarray(Image.fromarray(digit, mode="L").resize((280, 280), Image.Resampling.BILINEAR))
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = big
    return encode(Image.fromarray(rgba, mode="RGBA"))


def coloured_pen_jpeg(digit: np.ndarray) -> bytes:
    """Blue ballpoint on cream paper, as a phone JPEG."""
    ink = np.asarray(Image.fromarray(digit, mode="L").resize((224, 224), Image.Resampling.BICUBIC))
    alpha = (ink.astype(np.float32) / 255)[..., None]
    paper, pen = np.array([245, 240, 220], np.float32), np.array([30, 60, 170], np.float32)
    rgb = (paper * (1 - alpha) + pen * alpha).astype(np.uint8)
    return encode(Image.fromarray(rgb, mode="RGB"), "JPEG", quality=80)


def grey_levels(digit: np.ndarray) -> bytes:
    """Low contrast: mid-grey pencil on light-grey paper, with a little sensor noise."""
    rng = np.random.default_rng(int(digit.sum()))
    big = np.asarray(Image.fromarray(digit, mode="L").resize((112, 112), Image.Resampling.BILINEAR))
    values = 200 - big.astype(np.float32) * (90 / 255) + rng.normal(0, 3, big.shape)
    return encode(Image.fromarray(values.clip(0, 255).astype(np.uint8), mode="L"))


def transparent_palette(digit: np.ndarray) -> bytes:
    """Dark on white, the white made transparent, as "remove background" tools write a palette
    PNG: the anti-aliased light edges stay opaque."""
    image = Image.fromarray(255 - digit, mode="L").resize((112, 112), Image.Resampling.BICUBIC)
    palette = image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    colours = palette.getpalette()[: 3 * 16]
    white = max(range(16), key=lambda i: colours[3 * i])
    return encode(palette, transparency=white)


STYLES: dict[str, Callable[[np.ndarray], bytes]] = {
    "mnist_png": mnist_png,
    "inverted": inverted,
    "enlarged_off_centre": enlarged_off_centre,
    "rgba_canvas": rgba_canvas,
    "coloured_pen_jpeg": coloured_pen_jpeg,
    "grey_levels": grey_levels,
    "transparent_palette": transparent_palette,
}


def phone_photo(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """A phone photo of a digit on paper: big, noisy, JPEG."""
    small = Image.open(io.BytesIO(coloured_pen_jpeg(digit))).convert("RGB")
    page = Image.new("RGB", (1600, 1200), (236, 230, 212))
    page.paste(small.resize((640, 640), Image.Resampling.BICUBIC), (480, 280))
    noisy = np.asarray(page, np.float32) + rng.normal(0, 6, (1200, 1600, 1))
    return encode(Image.fromarray(noisy.clip(0, 255).astype(np.uint8)), "JPEG", quality=88)


def scanned_page(digit: np.ndarray) -> bytes:
    """A digit on a scanned A-format page: small on a large white sheet."""
    page = Image.new("L", (600, 600), 250)
    ink = Image.fromarray(255 - digit, mode="L").resize((200, 200), Image.Resampling.BICUBIC)
    page.paste(ink, (150, 220))
    return encode(page)
