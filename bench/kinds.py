"""Digits beyond MNIST through the app: typed, in other hands, at low resolution.

Makes uploads of each kind in every upload style (`training.kinds.upload`: validation fonts and
MNIST's validation split by default, which no network trained on), posts each to `/predict` of
the app in-process (the committed model), and prints per kind and style the share whose answer
or best guess is right, the share refused (any 4xx: `not_a_digit`, `no_digit_found`), and the
accuracy among the answered. MNIST's own digits in the same styles are the first rows.

    .venv/bin/python -m bench.kinds [--count 400] [--split validation]
"""

from __future__ import annotations

import argparse
import logging

import numpy as np

from synthesis.kinds import FONT_KINDS, KINDS, upload
from synthesis.styles import STYLES
from synthesis.uploads import STYLES as MNIST_STYLES
from training.data import mnist_digits

SEED = 90_000  # a seed none of the training sets used


def uploads(kind: str, split: str, count: int, digits) -> list[tuple[str, int, bytes]]:
    """(style, label, bytes), `count` per style of the kind."""
    rng = np.random.default_rng([SEED, len(kind)])
    made = []
    for style in STYLES:
        for i in range(count):
            if kind in FONT_KINDS:
                label, source = int(rng.integers(10)), None
            else:
                pick = int(rng.integers(len(digits)))
                label, source = int(digits.labels[pick]), digits.images[pick]
            made.append((style, label, upload(kind, style, label, source, split, SEED + i)))
    return made


def mnist_uploads(count: int, digits) -> list[tuple[str, int, bytes]]:
    return [
        (style, int(digits.labels[i]), make(digits.images[i]))
        for style, make in MNIST_STYLES.items()
        for i in range(count)
    ]


def tally(client, made: list[tuple[str, int, bytes]]) -> dict[str, tuple[int, int, int]]:
    """Per style: (guesses right, refused, answered right, uploads)."""
    counts: dict[str, list[int]] = {}
    for style, label, data in made:
        response = client.post("/predict", content=data, headers={"Content-Type": "image/png"})
        body = response.json()
        answer = body if response.status_code == 200 else body.get("prediction") or {}
        right = answer.get("digit") == label
        row = counts.setdefault(style, [0, 0, 0, 0])
        row[0] += right
        row[1] += response.status_code != 200
        row[2] += right and response.status_code == 200
        row[3] += 1
    return {style: tuple(row) for style, row in counts.items()}


def row(kind: str, style: str, counts: tuple[int, int, int, int], bold: str = "") -> str:
    right, refused, answered_right, total = counts
    answered = total - refused
    cells = [right / total, refused / total, answered_right / answered if answered else 0]
    return f"| {kind} | {style} | " + " | ".join(f"{bold}{c:.1%}{bold}" for c in cells) + " |"


def rows(kind: str, counts: dict[str, tuple[int, int, int, int]]) -> list[str]:
    """A row per style, and one for all of them."""
    total = tuple(sum(column) for column in zip(*counts.values(), strict=True))
    return [row(kind, s, c) for s, c in counts.items()] + [row(kind, "**all**", total, "**")]


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from tests.harness import make_client  # the app in-process, on the committed model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="uploads per kind and style")
    parser.add_argument("--split", choices=("validation",), default="validation")
    args = parser.parse_args()
    digits = mnist_digits(args.split)
    print(f"{args.count} uploads per kind and style ({args.split} fonts and digits), /predict\n")
    print("| kind | style | right | refused | right among answered |\n|---|---|---|---|---|")
    with make_client() as client:
        print("\n".join(rows("mnist", tally(client, mnist_uploads(args.count, digits)))))
        for kind in KINDS:
            made = uploads(kind, args.split, args.count, digits)
            print("\n".join(rows(kind, tally(client, made))))


if __name__ == "__main__":
    main()
