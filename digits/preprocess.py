"""Turn an uploaded image, as people really make them, into the model's 28x28 MNIST-style input.

MNIST digits are light ink on a dark background, cropped to the ink, fitted into a 20x20 box with
their aspect ratio kept and placed in a 28x28 frame by their centre of mass. Phone photos, scans,
paint programs and HTML canvases are none of that, so every upload is rebuilt the same way:

decode (bounded size) -> orientation -> composite transparency -> ink map relative to the
background (which also fixes polarity) -> crop -> fit 20x20 -> centre by mass.

An upload that is already MNIST-like passes through unchanged.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from digits.contract import DIGIT_BOX, IMAGE_SIZE, PIXEL_MAX
from digits.errors import ImageRejected

try:  # libspng's PNG decoder, where it has a wheel (pyproject.toml)
    import pyspng
except ImportError:  # there Pillow decodes every PNG
    pyspng = None

WORKING_SIZE = 256  # large uploads are reduced to this before analysis: bounded work per request
# a JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that keeps this many pixels a side:
# the decoder's own area averaging, far cheaper than decoding in full and resizing after
JPEG_DRAFT_SIZE = WORKING_SIZE // 2
REDUCE_ABOVE = 1.5
INK_THRESHOLD = 0.25  # fraction of the peak ink level that counts as the digit when cropping
MIN_SIDE = 8  # pixels: anything narrower cannot show a digit
MIN_CONTRAST = 24  # ink levels (0-255) below which an image is taken as blank
HIGH_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)
# the PNG signature and the length and type of the header chunk that must follow it
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"
PLAIN_COLOURS = {0, 2}  # the PNG colour types grey and RGB: Pillow opens them as "L" and "RGB"
# libspng holds the GIL while it decodes, Pillow does not: only PNGs this small (which the service
# prepares on its event loop anyway: `app.preparing`) are decoded by libspng
SMALL_PNG_PIXELS = 128 * 128


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only (cheap), refusing bombs before any pixel is decoded."""
    if not data:
        raise ImageRejected(400, "empty_upload", "The upload is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if min(width, height) < MIN_SIDE:
                raise ImageRejected(
                    422,
                    "image_too_small",
                    f"The image is {width}x{height} pixels: too small to hold a digit "
                    f"(at least {MIN_SIDE} pixels a side).",
                )
            if width * height > max_pixels:
                raise ImageRejected(
                    413,
                    "image_too_large",
                    f"The image is {width}x{height} pixels; the limit is {max_pixels:,} pixels.",
                )
            return image
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise ImageRejected(
            415,
            "unsupported_image",
            "The upload is not an image this service can read (PNG, JPEG, GIF, BMP, WebP, "
            "TIFF), or is damaged beyond recognition.",
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRejected(
            413, "image_too_large", "The image's dimensions are too large."
        ) from None
    except DECODE_ERRORS as exc:
        raise corrupt(exc) from None


@dataclass(frozen=True)
class PlainPng:
    """A small PNG that needs none of Pillow's work beyond decoding: 8-bit grey or RGB pixels,
    one frame, no EXIF orientation (what API clients, scripts and small screenshots send). Its
    header is read here, its pixels decoded by libspng in one C call, several times cheaper
    than Pillow's decoder, whose chunk handling runs in Python (`bench/results.md`). The pixels
    are the same: PNG is lossless, and neither applies the file's gamma."""

    data: bytes
    width: int
    height: int

    @classmethod
    def read(cls, data: bytes, max_pixels: int) -> PlainPng | None:
        """The upload as a plain PNG within the limits and SMALL_PNG_PIXELS; None for any
        other, which `open_image` opens (and refuses where it must)."""
        if pyspng is None or not data.startswith(PNG_HEADER) or len(data) < 33:
            return None
        width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
        if depth != 8 or colour not in PLAIN_COLOURS:
            return None
        if min(width, height) < MIN_SIDE or width * height > min(max_pixels, SMALL_PNG_PIXELS):
            return None
        return None if b"eXIf" in data or b"acTL" in data else cls(data, width, height)

    def pixels(self) -> np.ndarray:
        """(H, W) grey or (H, W, 3) RGB uint8, as Pillow would give them. A file libspng cannot
        decode (it is stricter than Pillow on a few) goes to Pillow, which decodes it or says
        why not."""
        try:
            return pyspng.load(self.data)
        except RuntimeError:
            return np.asarray(decode(open_image(self.data, self.width * self.height)))


Opened = Image.Image | PlainPng  # an upload opened, its pixels not yet decoded


def open_upload(data: bytes, max_pixels: int) -> Opened:
    """An upload opened for `to_model_input`: a plain PNG read to its header, any other image
    opened by Pillow (`open_image`)."""
    return PlainPng.read(data, max_pixels) or open_image(data, max_pixels)


def decode(image: Image.Image, draft: int = JPEG_DRAFT_SIZE) -> Image.Image:
    """Decode the first frame's pixels, upright; the costly step, sized by `pixel_count`. A JPEG
    is decoded at a reduced scale that keeps at least `draft` pixels a side."""
    try:
        if image.format == "JPEG":
            image.draft("RGB" if image.mode != "L" else "L", (draft, draft))
        if image.tell() != 0:  # a fresh image is at its first frame; seek(0) re-reads a PNG
            image.seek(0)
        image.load()
        return upright(image)
    except DECODE_ERRORS as exc:
        raise corrupt(exc) from None


def upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a PNG without an eXIf chunk (nearly all) has none, and
    looking for it costs more than decoding a small PNG."""
    if image.format == "PNG" and "exif" not in image.info:
        return image
    return ImageOps.exif_transpose(image)


def corrupt(exc: Exception) -> ImageRejected:
    return ImageRejected(
        422, "corrupt_image", f"The image could not be decoded (truncated or corrupt): {exc}"
    )


def pixel_count(image: Opened) -> int:
    return image.width * image.height


def reduce(
    image: Image.Image, size: int = WORKING_SIZE, slack: float = REDUCE_ABOVE
) -> Image.Image:
    """Shrink big uploads early: everything after works on at most `size` pixels a side, or
    up to `slack` times that as uploaded, where resizing would cost more than it saves."""
    width, height = image.size
    if max(width, height) <= size * slack:
        return image
    scale = size / max(width, height)
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(shape, Image.Resampling.BOX, reducing_gap=2.0)


def high_bit_pixels(image: Image.Image) -> np.ndarray:
    """A 16-bit or float image -> float32 (H, W), its own range stretched to 0-255."""
    values = np.asarray(image, dtype=np.float32)
    low, high = float(values.min()), float(values.max())
    return (values - low) * (PIXEL_MAX / (high - low)) if high > low else values * 0


def background(pixels: np.ndarray) -> np.ndarray:
    """The median of the image's border, per channel: the colour of the paper or screen."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    uniform = (border == border[0]).all()  # the common case, and much cheaper than a median
    return border[0] if uniform else np.median(border, axis=0)


def flattened(image: Image.Image) -> Image.Image:
    """An 8-bit image in grey ("L") or colour ("RGB"), in Pillow's C; a high-bit image (16-bit
    grey, float) as it is.

    Transparency is composited onto a background that contrasts with the opaque content: a
    canvas export (dark strokes on transparent) lands on white, light strokes land on black. A
    palette image whose one transparent colour was the paper ("remove background" tools) lands
    on that very colour, so its light anti-aliased edges stay paper, not ink.
    """
    if image.mode in ("L", "RGB") or image.mode in HIGH_BIT_MODES:
        return image
    if image.mode == "P":
        # one transparent palette entry: RGB gives those pixels that entry's own colour
        one_entry = isinstance(image.info.get("transparency"), int)
        image = image.convert("RGBA" if "transparency" in image.info and not one_entry else "RGB")
    if image.mode == "1":
        return image.convert("L")
    if "A" not in image.getbands() and "a" not in image.getbands():
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    pixels = np.asarray(rgba)
    alpha = pixels[..., 3].astype(np.float32)
    shown = float(alpha.sum())
    grey = pixels[..., 0].astype(np.float32) + pixels[..., 1] + pixels[..., 2]
    content_luminance = float((grey * alpha).sum()) / (3 * shown) if shown else 0.0
    paper = 255 if content_luminance < PIXEL_MAX / 2 else 0
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (paper,) * 3 + (255,)), rgba).convert(
        "RGB"
    )


def ink_of(image: Image.Image) -> np.ndarray:
    """How far each pixel of a flattened image (`flattened`) is from the background colour,
    0-255, float32 (H, W): dark-on-light and light-on-dark both come out as light ink on dark
    (MNIST's polarity), in any colour of pen or paper. Computed in Pillow's C on the 8-bit
    channels; a high-bit image on its stretched values."""
    if image.mode not in ("L", "RGB"):
        values = high_bit_pixels(image)
        return np.abs(values - background(values))
    paper = np.round(background(np.asarray(image))).astype(np.uint8)
    fill = int(paper) if image.mode == "L" else tuple(paper.tolist())
    ink = ImageChops.difference(image, Image.new(image.mode, image.size, fill))
    if image.mode == "RGB":
        red, green, blue = ink.split()
        ink = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return np.asarray(ink, dtype=np.float32)


def as_mnist(grey: np.ndarray) -> np.ndarray | None:
    """An upload's pixels already in MNIST's own form (28x28 grey, black background, the digit
    within the 20x20 box and centred by mass), as the model input unchanged; None for any other,
    which the general path rebuilds. The common case for API clients, so it is checked first,
    and on 28 row and 28 column sums in plain Python, cheaper than a dozen numpy calls on so few
    values."""
    if grey.shape != (IMAGE_SIZE, IMAGE_SIZE):
        return None
    if grey.max() < MIN_CONTRAST:
        return None  # blank: the general path says so
    rows, cols = grey.sum(axis=1).tolist(), grey.sum(axis=0).tolist()  # ink per row, column
    if (rows[0] or rows[-1] or cols[0] or cols[-1]) and np.any(background(grey)):
        return None  # not on black
    for profile in (rows, cols):
        inked = [i for i, ink in enumerate(profile) if ink]
        if inked[-1] - inked[0] + 1 > DIGIT_BOX or abs(mean_index(profile) - IMAGE_SIZE / 2) > 1:
            return None
    return grey.astype(np.float32)


def mean_index(profile: list[float]) -> float:
    """The centre of mass along one axis, given the ink summed per row (or column)."""
    return sum(i * ink for i, ink in enumerate(profile)) / sum(profile)


def centre_of_mass(weights: np.ndarray) -> tuple[float, float]:
    """Centre of mass in index coordinates; MNIST puts it at index (14, 14)."""
    return mean_index(weights.sum(axis=1).tolist()), mean_index(weights.sum(axis=0).tolist())


def normalise_contrast(ink: np.ndarray) -> np.ndarray:
    """Stretch the ink to MNIST's full 0-255 range, dropping the faint noise of paper and JPEG."""
    # the peak of 2x2 means, not of pixels: a hot pixel of sensor noise is quartered, while a
    # stroke two pixels wide keeps its level however small a part of the page the digit is
    peak = float((ink[:-1, :-1] + ink[1:, :-1] + ink[:-1, 1:] + ink[1:, 1:]).max() / 4)
    if peak < MIN_CONTRAST:
        raise ImageRejected(422, "no_digit_found", "No digit found: the image looks blank.")
    floor = peak * 0.1
    return np.clip((ink - floor) / (peak - floor), 0.0, 1.0) * PIXEL_MAX


def fit_digit(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, fit into DIGIT_BOX keeping the aspect ratio, place by centre of mass."""
    rows, cols = np.nonzero(ink >= INK_THRESHOLD * PIXEL_MAX)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height, width = crop.shape
    scale = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    digit = np.asarray(
        Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    ).clip(0, PIXEL_MAX)
    if digit.sum() == 0:
        raise ImageRejected(422, "no_digit_found", "No digit found: the image looks blank.")
    centre_y, centre_x = centre_of_mass(digit)
    top = int(np.clip(round(IMAGE_SIZE / 2 - centre_y), 0, IMAGE_SIZE - digit.shape[0]))
    left = int(np.clip(round(IMAGE_SIZE / 2 - centre_x), 0, IMAGE_SIZE - digit.shape[1]))
    frame = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return frame


def to_model_input(opened: Opened) -> np.ndarray:
    """An opened (header-checked) upload -> float32 (28, 28) raw pixels, light digit on dark."""
    if isinstance(opened, PlainPng):
        pixels = opened.pixels()
        ready = as_mnist(pixels)
        return ready if ready is not None else rebuilt(Image.fromarray(pixels))
    image = decode(opened)
    mnist_sized = image.mode == "L" and image.size == (IMAGE_SIZE, IMAGE_SIZE)
    ready = as_mnist(np.asarray(image)) if mnist_sized else None
    return ready if ready is not None else rebuilt(image)


def rebuilt(image: Image.Image) -> np.ndarray:
    """Any decoded upload made into MNIST's form: the general path."""
    return fit_digit(normalise_contrast(ink_of(reduce(flattened(image)))))


def to_png(pixels: np.ndarray) -> bytes:
    """The 28x28 model input as a PNG, so people can see what the model saw."""
    buffer = io.BytesIO()
    Image.fromarray(pixels.clip(0, PIXEL_MAX).astype(np.uint8), mode="L").save(buffer, "PNG")
    return buffer.getvalue()
