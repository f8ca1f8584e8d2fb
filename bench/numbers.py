"""Reading whole numbers: numbers of 2 to 6 MNIST digits, spaced or touching, in upload styles.

Composes numbers from MNIST digits (the test set for the figures; `--split validation` for the
images segmentation was tuned on), sends each to `/read` of the app in-process, and prints the
whole-number exact-match and per-digit accuracy per style and spacing, then the cost of `/read`
per digit against `/predict` of one digit, in alternating rounds (median and range).

    .venv/bin/python -m bench.numbers [--count 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from bench.styles import encode
from training.data import VENDORED_MNIST, Digits, load_idx_dir, split_holdout
from training.nondigits import compose_number


def compose(digits: np.ndarray, touching: bool, rng: np.random.Generator) -> np.ndarray:
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


STYLES: dict[str, Callable[[np.ndarray, np.random.Generator], bytes]] = {
    "paper": paper,
    "canvas": canvas,
    "photo": photo,
}


def numbers(source: Digits, count: int, touching: bool, seed: int) -> list[tuple[str, str, bytes]]:
    """`count` numbers of 2-6 digits: (style, true text, upload bytes), every style in turn."""
    rng = np.random.default_rng(seed)
    made = []
    for k in range(count):
        picks = rng.choice(len(source), int(rng.integers(2, 7)), replace=False)
        style = list(STYLES)[k % len(STYLES)]
        ink = compose(source.images[picks], touching, rng)
        text = "".join(str(int(label)) for label in source.labels[picks])
        made.append((style, text, STYLES[style](ink, rng)))
    return made


def digits_for(split: str) -> Digits:
    if split == "test":
        return load_idx_dir(VENDORED_MNIST, "test")
    return split_holdout(load_idx_dir(VENDORED_MNIST, "train"), 5000, 42)[1]


def accuracy(client, made: list[tuple[str, str, bytes]]) -> dict[str, tuple[int, int, int, int]]:
    """Per style: (numbers read exactly, numbers, digits right, digits)."""
    tally: dict[str, list[int]] = {}
    for style, text, data in made:
        response = client.post(
            "/read?always_guess=true", content=data, headers={"Content-Type": "image/png"}
        )
        read = response.json().get("text", "") if response.status_code == 200 else ""
        counts = tally.setdefault(style, [0, 0, 0, 0])
        counts[0] += read == text
        counts[1] += 1
        if len(read) == len(text):
            counts[2] += sum(a == b for a, b in zip(read, text, strict=True))
        counts[3] += len(text)
    return {style: tuple(c) for style, c in tally.items()}


def cost_per_digit(client, made: list[tuple[str, str, bytes]], rounds: int) -> list[float]:
    """Per round: seconds per digit of /read over seconds per /predict of one digit in the same
    style (the first digit of each number, cut out as its own upload)."""
    singles = [
        (style, STYLES[style](compose_one(text), np.random.default_rng(0)))
        for style, text, _ in made
    ]
    ratios = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _, _, data in made:
            client.post("/read?always_guess=true", content=data)
        per_digit = (time.perf_counter() - started) / sum(len(t) for _, t, _ in made)
        started = time.perf_counter()
        for _, data in singles:
            client.post("/predict?always_guess=true", content=data)
        ratios.append(per_digit / ((time.perf_counter() - started) / len(singles)))
    return ratios


def compose_one(text: str) -> np.ndarray:
    """A stand-in single digit for the cost comparison: a test digit of the number's first."""
    test = load_idx_dir(VENDORED_MNIST, "test")
    digit = test.images[int(np.flatnonzero(test.labels == int(text[0]))[0])]
    return np.pad(digit, 4)


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bench.harness import make_client  # the app in-process, on the committed model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="numbers per spacing")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    args = parser.parse_args()
    source = digits_for(args.split)
    print(f"Numbers of 2-6 MNIST {args.split} digits, {args.count} per spacing, through /read\n")
    print("| spacing | style | numbers read exactly | digits right |")
    print("|---|---|---|---|")
    with make_client() as client:
        for touching, seed in ((False, 1), (True, 2)):
            made = numbers(source, args.count, touching, seed)
            spacing = "touching" if touching else "spaced"
            results = accuracy(client, made)
            for style, (exact, total, right, digits) in results.items():
                print(
                    f"| {spacing} | {style} | {exact / total:.1%} ({exact}/{total}) "
                    f"| {right / digits:.1%} |"
                )
            exact = sum(r[0] for r in results.values())
            total = sum(r[1] for r in results.values())
            print(f"| {spacing} | all | **{exact / total:.1%}** ({exact}/{total}) | |")
        ratios = cost_per_digit(client, numbers(source, 60, False, 3), args.rounds)
    print(
        f"\n/read per digit vs /predict of one digit: median {statistics.median(ratios):.2f}x "
        f"(range {min(ratios):.2f}x-{max(ratios):.2f}x over {args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
