"""Spaces in type: how the step rule's two thresholds miss spaces and put spaces where none is.

Types numbers in the validation fonts, in every upload style (`synthesis.numbers.typed_numbers`),
finds their digits as /read does (the committed model's piece judge), and keeps those on a
baseline whose pieces match the text's digits one to one. For every pair of neighbouring digits
with nothing or a space between them it takes the step between the digits' centres over the
number's median step and the gap between them in digit heights, and prints, for each pair of
thresholds (`digits.separators.TYPE_SPACE`, `TYPE_GAP`), the spaces missed and the false ones.

    .venv/bin/python -m bench.spaces [--count 400] [--seeds 77 78]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from digits.contract import MAX_PIXELS
from digits.errors import ImageRejected
from digits.preprocess import open_image
from digits.reading import pieces_to_read
from digits.segment import upload_box
from digits.separators import TYPE_GAP, TYPE_SPACE, on_a_baseline
from digits.served import load_model
from synthesis.numbers import typed_numbers

RULES = ((1.3, 0.25), (1.25, 0.15), (TYPE_SPACE, TYPE_GAP), (1.2, 0.1))


def pairs(
    text: str, spans: list[tuple[int, int]], height: float
) -> list[tuple[bool, float, float]]:
    """(a space between them, step over the median step, gap in digit heights) for each pair of
    neighbouring digits with nothing or a space between them in `text`."""
    between, current = [], ""
    for char in text:
        if char.isdigit():
            between.append(current)
            current = ""
        else:
            current += char
    plain = [i for i, chars in enumerate(between[1:]) if chars in ("", " ")]
    if len(plain) < 2:
        return []
    centres = [(left + right) / 2 for left, right in spans]
    steps = {i: centres[i + 1] - centres[i] for i in plain}
    typical = float(np.median(list(steps.values())))
    return [
        (between[i + 1] == " ", steps[i] / typical, (spans[i + 1][0] - spans[i][1]) / height)
        for i in plain
    ]


def measured(count: int, seed: int, model) -> list[tuple[bool, float, float]]:
    rows = []
    for _, _, text, data in typed_numbers("validation", count, seed):
        try:
            found, pieces, _ = pieces_to_read(
                open_image(data, MAX_PIXELS), model.judge, model.slash
            )
        except ImageRejected:
            continue
        boxes = [upload_box(found, piece) for piece in pieces]
        height = found.height * found.scale
        if len(boxes) != sum(c.isdigit() for c in text) or not on_a_baseline(boxes, height):
            continue
        rows += pairs(text, sorted((b[0], b[0] + b[2]) for b in boxes), height)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="numbers per upload style")
    parser.add_argument("--seeds", type=int, nargs="+", default=[77, 78])
    args = parser.parse_args()
    model = load_model(Path("model"))
    rows = [row for seed in args.seeds for row in measured(args.count, seed, model)]
    spaces = sum(space for space, _, _ in rows)
    print(f"{len(rows)} neighbouring typed digits on a baseline, {spaces} of them spaced apart\n")
    print("| step over median | gap (digit heights) | spaces missed | false spaces |")
    print("|---|---|---|---|")
    for step, gap in RULES:
        found = [(space, ratio > step and width > gap) for space, ratio, width in rows]
        missed = sum(space and not said for space, said in found)
        false = sum(said and not space for space, said in found)
        shipped = " (shipped)" if (step, gap) == (TYPE_SPACE, TYPE_GAP) else ""
        print(
            f"| {step}{shipped} | {gap} | {missed} of {spaces} | {false} of {len(rows) - spaces} |"
        )


if __name__ == "__main__":
    main()
