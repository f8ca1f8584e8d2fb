"""Images that hold no digit, drawn by this project's own code, in the styles people upload.

The not-a-digit detector learns from them and is measured on them: letters rendered from the
fonts Debian ships (many sizes, weights, rotations, stroke widths), shapes, scribbles, textures,
and crops of the photos that ship inside matplotlib. Characters that people write as digits
(l, I, O, o, S, Z, B, g, q and their look-alikes) are never among them: refusing those would
refuse real digits. Each image is drawn as an ink map (light on dark, like MNIST) and then put
in an upload style (`synthesis.styles`), as digits are (`styled_digit`), so that style alone never
tells the two apart.

Seeds and fonts separate the sets: training uses TRAIN_FONTS, the held-out measuring set
HELD_OUT_FONTS and seeds of its own.
"""

from __future__ import annotations

import math
import string
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from synthesis.styles import STYLES, sheared

FONT_ROOT = Path("/usr/share/fonts/truetype")
TRAIN_FONTS = "dejavu"  # fonts-dejavu-core: on every Debian machine
HELD_OUT_FONTS = "liberation"  # fonts-liberation: scripts/test.sh installs it with Chromium
# characters people write as digits, or that look like one: never "not a digit"
DIGIT_LIKE = set("lIiJjOoQDSsZzBbGgqT|!/\\()[]{}-_.,:;'`\"$?")
CHARACTERS = [c for c in string.ascii_letters + "#&@%*+=<>~^" if c not in DIGIT_LIKE]
SIZE = 128  # the ink map's side, before styling

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
    image = sheared(image, rng.uniform(-0.3, 0.3))
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
