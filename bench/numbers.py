"""Reading whole numbers: numbers of 2 to 6 MNIST digits, spaced or touching, in upload styles.

Composes numbers from MNIST digits (the test set for the figures; `--split validation` for the
images segmentation was tuned on), sends each to `/read` of the app in-process, and prints the
whole-number exact-match and per-digit accuracy per style and spacing, then, for numbers with
separators (a point, a comma, a minus, a colon, a space, a slash), the share read exactly,
refused and answered wrong, the same for typed numbers in the validation fonts, then per kind
(MNIST digits spaced, touching and with separators; the same digits redrawn by other hands,
`synthesis.hands`; typed, plain and with separators, and with separators in heavy print;
lettered by hand after the validation fonts, plain and with separators) the
share read exactly, refused and answered with a wrong text, as a client that does not ask
`always_guess` sees them, then texts that are no number (words, digits with letters: every
answer a wrong text), then the cost of `/read` per digit against
`/predict` of one digit, in alternating rounds (median and range).

    .venv/bin/python -m bench.numbers [--count 300] [--rounds 3] [--model-dir model]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

import numpy as np

from synthesis.numbers import NUMBER_STYLES as STYLES
from synthesis.numbers import (
    SEPARATED,
    heavy_numbers,
    lettered_texts,
    numbers,
    separated_numbers,
    typed_numbers,
)
from tests.harness import rotated
from training.data import VENDORED_MNIST, Digits, load_idx_dir, mnist_digits


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


def tallies(client, made) -> dict[tuple[str, str], list[int]]:
    """For (first, second, text, bytes) numbers, per (first, second): how many were read
    exactly, refused, answered with a wrong text (the one that must not happen), and sent."""
    tally: dict[tuple[str, str], list[int]] = {}
    for first, second, text, data in made:
        response = client.post("/read", content=data, headers={"Content-Type": "image/png"})
        read = response.json().get("text") if response.status_code == 200 else None
        row = tally.setdefault((first, second), [0, 0, 0, 0])
        row[0] += read == text
        row[1] += read is None
        row[2] += read is not None and read != text
        row[3] += 1
    return tally


def outcomes(client, made) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Per (first, second): the share read exactly, refused, and answered with a wrong text."""
    return shares(tallies(client, made))


def shares(tally: dict[tuple[str, str], list[int]]) -> dict[tuple[str, str], tuple[float, ...]]:
    return {key: tuple(c / row[3] for c in row[:3]) for key, row in tally.items()}


def outcome_lines(header: str, shares: dict[tuple[str, str], tuple[float, float, float]]):
    lines = [f"| {header} | read exactly | refused | wrong text |", "|---" * 5 + "|"]
    for (first, second), cells in shares.items():
        lines.append(f"| {first} | {second} | " + " | ".join(f"{c:.1%}" for c in cells) + " |")
    return lines


def separators(client, source, count: int) -> list[str]:
    """Numbers with separators (`synthesis.numbers.SEPARATED`), per kind."""
    examples = dict(SEPARATED)
    made = [
        (kind, f"`{examples[kind]}`", text, data)
        for kind, _, text, data in separated_numbers(source, count, 4)
    ]
    return outcome_lines("separators | example", outcomes(client, made))


def typed(client, count: int) -> list[str]:
    """Typed numbers in the validation fonts (no network trained on them), every upload style,
    plain and with separators."""
    shares = outcomes(client, typed_numbers("validation", count, 5))
    return outcome_lines("typed numbers | style", dict(sorted(shares.items())))


def not_numbers(client, count: int) -> list[str]:
    """Texts that are no number (words, digits with letters) typed in the validation fonts,
    every upload style: the share refused, and answered (a wrong text, whatever it says)."""
    tally = tallies(client, lettered_texts("validation", count, 15))
    lines = ["| not numbers | style | refused | answered (a wrong text) |", "|---" * 4 + "|"]
    for (kind, style), (_, refused, answered, sent) in sorted(tally.items()):
        lines.append(f"| {kind} | {style} | {refused / sent:.1%} | {answered / sent:.1%} |")
    return lines


def redrawn(source: Digits, count: int, seed: int) -> Digits:
    """`count` of `source`'s digits redrawn by other hands (a marker, a fine pen, a slant, a
    hand's wobble: `synthesis.hands.other_hand`), back at MNIST's 28x28."""
    from synthesis.hands import redrawn_digit

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(source), count, replace=False)
    return Digits(
        np.stack([redrawn_digit(source.images[i], rng) for i in picks]), source.labels[picks]
    )


def kinds(client, source: Digits, count: int) -> list[str]:
    """Per kind of number, then per kind and upload style, as a client that does not ask
    `always_guess` sees them: the share read exactly, refused, and answered with a wrong text."""
    made = []
    for kind, digits in (("MNIST digits", source), ("other hands", redrawn(source, 3000, 6))):
        for spacing, touching in (("spaced", False), ("touching", True)):
            made += [(kind, spacing, s, t, d) for s, t, d in numbers(digits, count, touching, 11)]
        separated = separated_numbers(digits, count // len(SEPARATED), 12)
        made += [(kind, "separators", s, t, d) for _, s, t, d in separated]
    made += [("typed", k, s, t, d) for k, s, t, d in typed_numbers("validation", count // 4, 13)]
    lettered = typed_numbers("validation", count // 4, 16, by_hand=True)
    made += [("hand-lettered", k, s, t, d) for k, s, t, d in lettered]
    made += [
        ("typed", "heavy print", s, t, d) for s, t, d in heavy_numbers("validation", count // 3, 14)
    ]
    by_style = tallies(client, [(k, f"{n}, {s}", t, d) for k, n, s, t, d in made])
    by_kind: dict[tuple[str, str], list[int]] = {}
    for (kind, group), row in by_style.items():
        total = by_kind.setdefault((kind, group.split(", ")[0]), [0, 0, 0, 0])
        total[:] = [a + b for a, b in zip(total, row, strict=True)]
    return [
        *outcome_lines("kind | numbers", shares(by_kind)),
        "",
        *outcome_lines("kind | numbers, style", shares(dict(sorted(by_style.items())))),
    ]


def cost_per_digit(client, made: list[tuple[str, str, bytes]], rounds: int) -> list[float]:
    """Per round: seconds per digit of /read over seconds per /predict of one digit in the same
    style (the first digit of each number, cut out as its own upload)."""
    singles = [
        (style, STYLES[style](compose_one(text), np.random.default_rng(0)))
        for style, text, _ in made
    ]
    digits = sum(len(t) for _, t, _ in made)

    def read() -> float:
        started = time.perf_counter()
        for _, _, data in made:
            client.post("/read?always_guess=true", content=data)
        return (time.perf_counter() - started) / digits

    def predict() -> float:
        started = time.perf_counter()
        for _, data in singles:
            client.post("/predict?always_guess=true", content=data)
        return (time.perf_counter() - started) / len(singles)

    ratios = []
    for round_ in range(rounds):  # which goes first alternates
        cost = {path.__name__: path() for path in rotated([read, predict], round_)}
        ratios.append(cost["read"] / cost["predict"])
    return ratios


def compose_one(text: str) -> np.ndarray:
    """A stand-in single digit for the cost comparison: a test digit of the number's first."""
    test = load_idx_dir(VENDORED_MNIST, "test")
    digit = test.images[int(np.flatnonzero(test.labels == int(text[0]))[0])]
    return np.pad(digit, 4)


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from tests.harness import MODEL_DIR, make_client  # the app in-process

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="numbers per spacing")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument(
        "--model-dir", type=Path, default=MODEL_DIR, help="the model folder (default: committed)"
    )
    args = parser.parse_args()
    source = mnist_digits(args.split)
    print(f"Numbers of 2-6 MNIST {args.split} digits, {args.count} per spacing, through /read\n")
    print("| spacing | style | numbers read exactly | digits right |")
    print("|---|---|---|---|")
    with make_client(model_dir=args.model_dir) as client:
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
        print("\n" + "\n".join(separators(client, source, args.count // 4)))
        print("\n" + "\n".join(typed(client, args.count // 4)))
        print("\n" + "\n".join(kinds(client, source, args.count)))
        print("\n" + "\n".join(not_numbers(client, args.count // 4)))
        ratios = cost_per_digit(client, numbers(source, 60, False, 3), args.rounds)
    print(
        f"\n/read per digit vs /predict of one digit: median {statistics.median(ratios):.2f}x "
        f"(range {min(ratios):.2f}x-{max(ratios):.2f}x over {args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
