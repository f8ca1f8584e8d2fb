"""Spaces: how the space rules' thresholds miss spaces and put spaces where none is.

In type: numbers in the validation fonts, in every upload style
(`synthesis.numbers.typed_numbers`), their digits found as /read does (the committed model's
piece judge), those on a baseline whose pieces match the text's digits one to one. For every
pair of neighbouring digits with nothing or a space between them it takes the step between the
digits' centres over the number's median step and the gap between them in digit heights, and
prints, for each pair of thresholds (`digits.separators.TYPE_SPACE`, `TYPE_GAP`), the spaces
missed and the false ones. By hand: numbers of MNIST's validation digits and the same redrawn by
other hands, spaced, touching and with separators (`synthesis.numbers`), those not on a
baseline, the gap in digit heights and over the number's median gap, for each pair of
`SPACE`, `SPACE_RATIO`. Numbers lettered by hand after the validation fonts
(`synthesis.lettered`) are measured by both: those on a baseline as type, the rest as hands.

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
from digits.separators import SPACE, SPACE_RATIO, TYPE_GAP, TYPE_SPACE, on_a_baseline
from digits.served import load_model
from synthesis.numbers import numbers, separated_numbers, typed_numbers

RULES = ((1.3, 0.25), (1.25, 0.15), (TYPE_SPACE, TYPE_GAP), (1.2, 0.1))
HAND_RULES = (
    (0.3, 3.0),
    (0.4, 2.5),
    (0.45, 2.5),
    (0.5, 2.5),
    (0.5, 2.0),
    (0.6, 2.0),
    (SPACE, SPACE_RATIO),
    (0.9, 2.0),
    (0.8, 1.5),
)


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
    gaps = {i: spans[i + 1][0] - spans[i][1] for i in plain}
    typical = float(np.median(list(steps.values())))
    typical_gap = max(float(np.median(list(gaps.values()))), 1.0)
    return [
        (between[i + 1] == " ", steps[i] / typical, gaps[i] / height, gaps[i] / typical_gap)
        for i in plain
    ]


def measured(made, model, typeset: bool) -> list[tuple[bool, float, float, float]]:
    """The pairs of the numbers (text, bytes) whose digits are found one to one, of those on a
    baseline (`typeset`) or of those not."""
    rows = []
    for text, data in made:
        try:
            found, pieces, _ = pieces_to_read(
                open_image(data, MAX_PIXELS), model.judge, model.slash, model.gaps
            )
        except ImageRejected:
            continue
        boxes = [upload_box(found, piece) for piece in pieces]
        height = found.height * found.scale
        if len(boxes) != sum(c.isdigit() for c in text):
            continue
        if on_a_baseline(boxes, height) == typeset:
            rows += pairs(text, sorted((b[0], b[0] + b[2]) for b in boxes), height)
    return rows


def handwritten(count: int, seed: int) -> list[tuple[str, bytes]]:
    """Numbers of MNIST validation digits and the same redrawn by other hands, spaced,
    touching and with separators."""
    from bench.numbers import redrawn
    from training.data import mnist_digits

    source = mnist_digits("validation")
    made = []
    for digits in (source, redrawn(source, 3000, seed)):
        for touching in (False, True):
            made += [(text, data) for _, text, data in numbers(digits, count, touching, seed)]
        made += [(t, d) for _, _, t, d in separated_numbers(digits, count // 4, seed)]
    return made


def table(rows, rules, shipped, header: str, said) -> None:
    """Per rule, the spaces it misses and the ones it puts where none is; `said(row, *rule)`."""
    spaces = sum(row[0] for row in rows)
    print(f"| {header} | spaces missed | false spaces |")
    print("|---|---|---|---|")
    for rule in rules:
        calls = [(row[0], said(row, *rule)) for row in rows]
        missed = sum(space and not call for space, call in calls)
        false = sum(call and not space for space, call in calls)
        mark = " (shipped)" if rule == shipped else ""
        others = len(rows) - spaces
        print(f"| {rule[0]}{mark} | {rule[1]} | {missed} of {spaces} | {false} of {others} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="numbers per upload style")
    parser.add_argument("--seeds", type=int, nargs="+", default=[77, 78])
    args = parser.parse_args()
    model = load_model(Path("model"))
    sources = {
        "typed": lambda seed: typed(args.count, seed, by_hand=False),
        "hand-lettered": lambda seed: typed(args.count, seed, by_hand=True),
        "handwritten": lambda seed: handwritten(args.count, seed),
    }
    made = {name: [m for seed in args.seeds for m in make(seed)] for name, make in sources.items()}
    in_type = (RULES, (TYPE_SPACE, TYPE_GAP), "step over median | gap (digit heights)", by_step)
    by_hand = (HAND_RULES, (SPACE, SPACE_RATIO), "gap (digit heights) | gap over median", by_gap)
    for typeset, names, rules in (
        (True, ("typed", "hand-lettered"), in_type),
        (False, ("handwritten", "hand-lettered"), by_hand),
    ):
        for name in names:
            rows = measured(made[name], model, typeset)
            spaced, where = sum(row[0] for row in rows), "on" if typeset else "off"
            print(f"\n{len(rows)} neighbouring {name} digits {where} a baseline, {spaced} spaced\n")
            table(rows, *rules)


def by_step(row, step: float, gap: float) -> bool:
    """In type: a space where the step and the gap are both longer."""
    return row[1] > step and row[2] > gap


def by_gap(row, gap: float, ratio: float) -> bool:
    """By hand: a space where the gap is wider, in digit heights and over the median gap."""
    return row[2] > gap and row[3] > ratio


def typed(count: int, seed: int, by_hand: bool) -> list[tuple[str, bytes]]:
    """Numbers typed in the validation fonts, or lettered by hand after them."""
    return [(t, d) for _, _, t, d in typed_numbers("validation", count, seed, by_hand)]


if __name__ == "__main__":
    main()
