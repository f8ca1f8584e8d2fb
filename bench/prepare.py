"""Preparing uploads, the code of a git revision against the working tree's, side by side in one
process: microseconds per upload of each kind, `to_model_input(open_upload(...))` as every route
that answers images prepares one (`open_image` at revisions that had no `open_upload`). Rounds
alternate which goes first; median (range) and the ratio per round.

    .venv/bin/python -m bench.prepare [--before HEAD] [--rounds 7] [--seconds 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image

from bench.serve import spread
from digits import preprocess
from digits.contract import MAX_PIXELS
from synthesis.uploads import mnist_png, phone_photo, rgba_canvas, scanned_page
from tests.harness import REPO, rotated
from training.data import VENDORED_MNIST, load_idx_dir


def module_at(revision: str) -> ModuleType:
    """`digits/preprocess.py` as it was at a revision, imported beside today's."""
    source = subprocess.run(
        ["git", "show", f"{revision}:digits/preprocess.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "preprocess_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("preprocess_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def jpeg(image: Image.Image, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def uploads() -> dict[str, list[bytes]]:
    digits = load_idx_dir(VENDORED_MNIST, "test").images[:20]
    rng = np.random.default_rng(0)
    photos = [phone_photo(d, rng) for d in digits]
    return {
        "phone JPEG 320x320": [jpeg(Image.open(io.BytesIO(p)), (320, 320)) for p in photos],
        "phone JPEG 1600x1200": photos,
        "canvas PNG 280x280 RGBA": [rgba_canvas(d) for d in digits],
        "scanned page PNG 600x600": [scanned_page(d) for d in digits],
        "MNIST PNG 28x28": [mnist_png(d) for d in digits],
    }


def prepared(module: ModuleType, data: bytes) -> np.ndarray:
    opened = getattr(module, "open_upload", module.open_image)(data, MAX_PIXELS)
    return module.to_model_input(opened)


def rate(module: ModuleType, data: list[bytes], seconds: float) -> float:
    """Microseconds per upload."""
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        prepared(module, data[count % len(data)])
        count += 1
    return (time.perf_counter() - started) / count * 1e6


def largest_difference(before: ModuleType, now: ModuleType, data: list[bytes]) -> float:
    """The largest difference between the two's model inputs (0-255) over the uploads."""
    return max(float(np.abs(prepared(before, d) - prepared(now, d)).max()) for d in data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="HEAD", help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    args = parser.parse_args()
    sides: list[tuple[str, ModuleType]] = [("before", module_at(args.before)), ("now", preprocess)]
    print(f"Preparing one upload, {args.before} (before) and the working tree (now); us/upload\n")
    print(
        "| upload | before | now | now/before per round | largest input difference (0-255) |\n"
        "|---|---|---|---|---|"
    )
    for kind, data in uploads().items():
        for _, module in sides:
            rate(module, data, 0.1)  # warm-up
        cost: dict[str, list[float]] = {"before": [], "now": []}
        for round_ in range(args.rounds):
            for name, module in rotated(sides, round_):
                cost[name].append(rate(module, data, args.seconds))
        ratios = [n / b for n, b in zip(cost["now"], cost["before"], strict=True)]
        differs = largest_difference(sides[0][1], preprocess, data)
        print(
            f"| {kind} | {spread(cost['before'])} | {spread(cost['now'])} "
            f"| {spread(ratios, 2, 'x')} | {differs:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
