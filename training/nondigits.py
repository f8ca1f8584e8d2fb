"""Images that hold no digit, made by this project's own code, in the styles people upload.

The not-a-digit detector learns from them and is measured on them: letters rendered from the
fonts Debian ships (many sizes, weights, rotations, stroke widths), shapes, scribbles, textures,
and crops of the photos that ship inside matplotlib. Characters that people write as digits
(l, I, O, o, S, Z, B, g, q and their look-alikes) are never among them: refusing those would
refuse real digits. Each image is drawn as an ink map (light on dark, like MNIST) and then put
on paper, on a transparent canvas or in a phone photo, as real uploads are; digits are put in
the same styles (`styled_digit`), so that style alone never tells the two apart.

Seeds and fonts separate the sets: training uses TRAIN_FONTS, the held-out measuring set
HELD_OUT_FONTS and seeds of its own.
"""

from __future__ import annotations

import io
import math
import string
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from digits.errors import ImageRejected
from digits.preprocess import fit_digit, open_image, to_model_input

FONT_ROOT = Path("/usr/share/fonts/truetype")
TRAIN_FONTS = "dejavu"  # fonts-dejavu-core: on every Debian machine
HELD_OUT_FONTS = "liberation"  # fonts-liberation: scripts/test.sh installs it with Chromium
# characters people write as digits, or that look like one: never "not a digit"
DIGIT_LIKE = set("lIiJjOoQDSsZzBbGgqT|!/\\()[]{}-_.,:;'`\"$?")
CHARACTERS = [c for c in string.ascii_letters + "#&@%*+=<>~^" if c not in DIGIT_LIKE]
SIZE = 128  # the ink map's side, before styling
MAX_PIXELS = 16_000_000

Ink = np.ndarray  # (SIZE, SIZE) float32 0-255, light ink on dark
Rng = np.random.Generator


@cache
def fonts(family: str) -> list[Path]:
    found = sorted((FONT_ROOT / family).glob("*.ttf"))
    return [path for path in found if "Math" not in path.name]


def canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (SIZE, SIZE), 0)
    return image, ImageDraw.Draw(image)


def letter(rng: Rng, family: str) -> Ink:
    """A letter or symbol from a font, at a random size, weight, rotation and shear."""
    families = fonts(family)
    if not families:
        raise FileNotFoundError(f"no fonts in {FONT_ROOT / family} (apt-get install fonts-...)")
    font = ImageFont.truetype(
        str(families[rng.integers(len(families))]), int(rng.integers(50, 100))
    )
    image, draw = canvas()
    char = CHARACTERS[rng.integers(len(CHARACTERS))]
    stroke = int(rng.integers(0, 4))
    draw.text(
        (SIZE / 2, SIZE / 2),
        char,
        fill=255,
        font=font,
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=255,
    )
    shear = rng.uniform(-0.3, 0.3)
    image = image.transform(
        image.size, Image.Transform.AFFINE, (1, shear, -shear * SIZE / 2, 0, 1, 0)
    )
    return np.asarray(image.rotate(rng.uniform(-25, 25)), np.float32)


def polygon_points(rng: Rng, corners: int, inner: float | None) -> list[tuple[float, float]]:
    """A regular polygon (or a star, with `inner` radius) around the centre, turned at random."""
    turn, radius = rng.uniform(0, 2 * math.pi), rng.uniform(30, 55)
    steps = corners * (2 if inner else 1)
    points = []
    for k in range(steps):
        r = radius * (inner if inner and k % 2 else 1)
        angle = turn + 2 * math.pi * k / steps
        points.append((SIZE / 2 + r * math.cos(angle), SIZE / 2 + r * math.sin(angle)))
    return points


def shape(rng: Rng) -> Ink:
    """A star, a polygon, a heart, a cross, an arrow or a smiley, outlined or filled."""
    image, draw = canvas()
    width = int(rng.integers(3, 12))
    kind = rng.integers(6)
    filled = rng.random() < 0.3
    if kind == 0:
        points = polygon_points(rng, int(rng.integers(5, 8)), rng.uniform(0.35, 0.55))
    elif kind == 1:
        points = polygon_points(rng, int(rng.integers(3, 7)), None)
    elif kind == 2:
        t = np.linspace(0, 2 * np.pi, 60)
        scale = rng.uniform(2.2, 3.2)
        xs, ys = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t))
        points = list(zip(SIZE / 2 + scale * xs, SIZE / 2 + scale * ys, strict=True))
    elif kind == 3:  # a cross or plus: two bars
        c, r = SIZE / 2, rng.uniform(30, 55)
        angle = rng.choice([0, math.pi / 4]) + rng.uniform(-0.2, 0.2)
        for a in (angle, angle + math.pi / 2):
            dx, dy = r * math.cos(a), r * math.sin(a)
            draw.line([(c - dx, c - dy), (c + dx, c + dy)], fill=255, width=width)
        return np.asarray(image, np.float32)
    elif kind == 4:  # an arrow
        c, r = SIZE / 2, rng.uniform(35, 55)
        draw.line([(c - r, c), (c + r, c)], fill=255, width=width)
        draw.line([(c + r, c), (c + r - 20, c - 18)], fill=255, width=width)
        draw.line([(c + r, c), (c + r - 20, c + 18)], fill=255, width=width)
        return np.asarray(image.rotate(rng.uniform(0, 360)), np.float32)
    else:  # a smiley: a face with eyes and a mouth
        c, r = SIZE / 2, rng.uniform(40, 55)
        draw.ellipse([c - r, c - r, c + r, c + r], outline=255, width=width)
        for dx in (-r / 2.5, r / 2.5):
            draw.ellipse([c + dx - 6, c - r / 3 - 6, c + dx + 6, c - r / 3 + 6], fill=255)
        draw.arc([c - r / 2, c - r / 4, c + r / 2, c + r / 1.6], 20, 160, fill=255, width=width)
        return np.asarray(image, np.float32)
    if filled:
        draw.polygon(points, fill=255)
    else:
        draw.line([*points, points[0]], fill=255, width=width, joint="curve")
    return np.asarray(image, np.float32)


def scribble(rng: Rng) -> Ink:
    """Random pen strokes: curves, zig-zags and hatching, as a child or a test would draw."""
    image, draw = canvas()
    width = int(rng.integers(3, 12))
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.3:  # hatching: parallel strokes
            angle, gap = rng.uniform(0, math.pi), rng.uniform(8, 18)
            dx, dy = math.cos(angle) * 45, math.sin(angle) * 45
            for k in range(int(rng.integers(3, 7))):
                ox, oy = -math.sin(angle) * gap * (k - 2), math.cos(angle) * gap * (k - 2)
                centre = (SIZE / 2 + ox, SIZE / 2 + oy)
                draw.line(
                    [(centre[0] - dx, centre[1] - dy), (centre[0] + dx, centre[1] + dy)],
                    fill=255,
                    width=width,
                )
            continue
        points = rng.uniform(15, SIZE - 15, size=(int(rng.integers(4, 10)), 2))
        curve = smooth(points, int(rng.integers(1, 4)))
        draw.line([tuple(p) for p in curve], fill=255, width=width, joint="curve")
    return np.asarray(image, np.float32)


def smooth(points: np.ndarray, rounds: int) -> np.ndarray:
    """Chaikin's corner cutting: a polyline becomes a pen's curve."""
    for _ in range(rounds):
        q = 0.75 * points[:-1] + 0.25 * points[1:]
        r = 0.25 * points[:-1] + 0.75 * points[1:]
        points = np.stack([q, r], axis=1).reshape(-1, 2)
    return points


def texture(rng: Rng) -> Ink:
    """Stripes, a checkerboard, a grid, dots or noise over the whole picture."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    kind = rng.integers(5)
    period = rng.uniform(6, 24)
    if kind == 0:
        angle = rng.uniform(0, math.pi)
        values = np.sin((x * math.cos(angle) + y * math.sin(angle)) * 2 * math.pi / period)
        return ((values > 0) * 255).astype(np.float32)
    if kind == 1:
        return ((((x // period) + (y // period)) % 2) * 255).astype(np.float32)
    if kind == 2:
        lines = (x % period < 3) | (y % period < 3)
        return (lines * 255).astype(np.float32)
    if kind == 3:
        dots = ((x % period - period / 2) ** 2 + (y % period - period / 2) ** 2) < (period / 4) ** 2
        return (dots * 255).astype(np.float32)
    noise = rng.random((SIZE // 8, SIZE // 8)) * 255
    return np.asarray(Image.fromarray(noise.astype(np.float32), "F").resize((SIZE, SIZE)))


@cache
def photos() -> list[np.ndarray]:
    """The photos matplotlib ships (grey): real pictures nobody took for this project."""
    import matplotlib.cbook

    names = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png")
    loaded = []
    for name in names:
        with matplotlib.cbook.get_sample_data(name) as file:
            loaded.append(np.asarray(Image.open(file).convert("L"), np.float32))
    return loaded


def photo_crop(rng: Rng) -> Ink:
    """A crop of a real photo, at a random place and scale."""
    photo = photos()[rng.integers(len(photos()))]
    side = int(rng.integers(48, min(photo.shape)))
    top = int(rng.integers(0, photo.shape[0] - side + 1))
    left = int(rng.integers(0, photo.shape[1] - side + 1))
    crop = photo[top : top + side, left : left + side]
    return np.asarray(Image.fromarray(crop, "F").resize((SIZE, SIZE)), np.float32)


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


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
    width, height = int(rng.integers(SIZE, 3 * SIZE)), int(rng.integers(SIZE, 2 * SIZE))
    rgba = np.zeros((height, width, 4), np.uint8)
    top, left = int(rng.integers(0, height - SIZE + 1)), int(rng.integers(0, width - SIZE + 1))
    rgba[top : top + SIZE, left : left + SIZE, 3] = ink.astype(np.uint8)
    return encode(Image.fromarray(rgba, "RGBA"))


def in_photo(ink: Ink, rng: Rng) -> bytes:
    """A phone photo: coloured pen on coloured paper, uneven light, noise, JPEG."""
    paper = rng.uniform(170, 255, 3)
    pen = rng.uniform(0, 120, 3)
    alpha = (ink / 255)[..., None]
    light = np.linspace(rng.uniform(0.75, 1), 1, SIZE)[None, :, None]
    rgb = (paper * (1 - alpha) + pen * alpha) * light + rng.normal(0, 4, (SIZE, SIZE, 3))
    side = int(rng.integers(SIZE, 2 * SIZE))
    image = Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB").resize((side, side))
    return encode(image, "JPEG", quality=int(rng.integers(60, 95)))


STYLES: dict[str, Callable[[Ink, Rng], bytes]] = {
    "paper": on_paper,
    "canvas": on_canvas,
    "photo": in_photo,
}
KINDS = ("letter", "shape", "scribble", "texture", "photo_crop")


def draw(kind: str, rng: Rng, family: str) -> Ink:
    if kind == "letter":
        return letter(rng, family)
    return {"shape": shape, "scribble": scribble, "texture": texture, "photo_crop": photo_crop}[
        kind
    ](rng)


def upload(kind: str, style: str, seed: int, family: str = TRAIN_FONTS) -> bytes:
    """One non-digit upload, the same bytes for the same arguments."""
    rng = np.random.default_rng(seed)
    return STYLES[style](draw(kind, rng, family), rng)


def styled_digit(digit: np.ndarray, style: str, seed: int) -> bytes:
    """An MNIST digit put in one of the same styles: the other side of the contrast."""
    ink = np.asarray(Image.fromarray(digit, "L").resize((SIZE, SIZE), Image.Resampling.BILINEAR))
    return STYLES[style](ink.astype(np.float32), np.random.default_rng(seed))


def model_input(data: bytes) -> np.ndarray | None:
    """The 28x28 input the service would give the model for these bytes; None where the service
    would refuse the upload outright (blank after preprocessing, say)."""
    try:
        return to_model_input(open_image(data, MAX_PIXELS))
    except ImageRejected:
        return None


def nondigit_inputs(
    count: int, seed: int, family: str = TRAIN_FONTS, kinds: tuple[str, ...] = KINDS
) -> np.ndarray:
    """`count` preprocessed non-digits, (count, 28, 28) float32, each kind in every style."""
    images, index = [], 0
    while len(images) < count:
        kind, style = kinds[index % len(kinds)], list(STYLES)[(index // len(kinds)) % len(STYLES)]
        prepared = model_input(upload(kind, style, seed * 1_000_003 + index, family))
        if prepared is not None:
            images.append(prepared)
        index += 1
    return np.stack(images)


def styled_digit_inputs(digits: np.ndarray, seed: int) -> np.ndarray:
    """The same digits, each in one of the styles and preprocessed as the service would."""
    prepared = []
    for i, digit in enumerate(digits):
        style = list(STYLES)[i % len(STYLES)]
        image = model_input(styled_digit(digit, style, seed * 1_000_003 + i))
        prepared.append(image if image is not None else digit.astype(np.float32))
    return np.stack(prepared)


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


def stroke_like(ink: np.ndarray) -> bool:
    """A fragment as narrow as a "1" may well be one: never a negative."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 64), np.flatnonzero(ink.max(axis=0) > 64)
    return len(rows) == 0 or (cols[-1] - cols[0] + 1) < 0.5 * (rows[-1] - rows[0] + 1)


def not_one_digit_inputs(digits: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` model inputs that hold more or less than one digit: touching pairs and
    fragments of MNIST digits, prepared as a reader of numbers prepares each piece."""
    rng = np.random.default_rng(seed)
    made = []
    while len(made) < count:
        first, second = digits[rng.integers(len(digits), size=2)]
        ink = pair(first, second, rng) if len(made) % 2 else fragment(first, rng)
        if ink.max() > 0 and not stroke_like(ink):
            made.append(fit_digit(ink.astype(np.float32)))
    return np.stack(made)


class Composed(NamedTuple):
    """A number composed of MNIST digits: the strip, each digit's columns in it, and each
    digit's own ink, strip-sized (where digits overlap, the strip holds the brighter)."""

    strip: np.ndarray
    spans: list[tuple[int, int]]
    layers: list[np.ndarray]


def compose_number(digits: np.ndarray, touching: bool, rng: Rng) -> Composed:
    """MNIST digits side by side, light ink on dark, spaced by a gap or overlapping by a pixel
    or two so that neighbouring strokes meet."""
    pieces = [digit[:, slice(*ink_columns(digit))] for digit in digits]
    strip = np.zeros((28 + 8, sum(p.shape[1] for p in pieces) + 12 * len(pieces) + 16), np.uint8)
    spans, layers, x = [], [], 8
    for k, piece in enumerate(pieces):
        if k:
            x += -int(rng.integers(1, 4)) if touching else int(rng.integers(4, 12))
        dy = int(rng.integers(0, 6))
        layer = np.zeros_like(strip)
        layer[dy : dy + 28, x : x + piece.shape[1]] = piece
        np.maximum(strip, layer, out=strip)
        spans.append((x, x + piece.shape[1]))
        layers.append(layer)
        x += piece.shape[1]
    return Composed(strip[:, : x + 8], spans, [layer[:, : x + 8] for layer in layers])


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two column ranges."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return max(0, shared) / (max(a[1], b[1]) - min(a[0], b[0]))


def cut_pieces(digits: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """What a reader of numbers weighs: candidate pieces of touching numbers composed from
    `digits`, prepared as /read prepares them: `count` whole digits (a piece whose columns
    match a digit's) and `count` wrong cuts (spanning two, or cutting one); ambiguous pieces
    are left out."""
    from digits.segment import find_digits, model_input

    rng = np.random.default_rng(seed)
    found: dict[bool, list[np.ndarray]] = {True: [], False: []}
    while min(len(v) for v in found.values()) < count:
        picks = rng.integers(len(digits), size=int(rng.integers(2, 5)))
        strip, spans, _ = compose_number(digits[picks], True, rng)
        scale = 4
        page = Image.fromarray(255 - strip).resize((strip.shape[1] * scale, strip.shape[0] * scale))
        reading = find_digits(page)
        for piece in reading.candidates():
            columns = (piece.left / scale, piece.right / scale)
            best = max(overlap(columns, span) for span in spans)
            whole = best >= 0.85
            if (whole or best < 0.6) and len(found[whole]) < count:
                found[whole].append(model_input(reading, piece))
    return np.stack(found[True]), np.stack(found[False])
