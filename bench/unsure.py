"""How sure every digit of a number must be for /read to answer it: refusing below a threshold.

Reads validation numbers of each kind (MNIST validation digits spaced, touching and with
separators; the same digits redrawn by other hands, `synthesis.hands`; typed in the validation
fonts) through `/read?always_guess=true` of the app in-process, and prints, for each threshold
on the least sure digit's confidence, how many of the numbers /read would otherwise answer it
refuses that were read right (lost) and that were read wrong (caught), per kind and in all, and
what each step up adds. The refusal threshold (`app.data_plane.UNSURE`) is the highest at which
each step up still catches one wrong text for every two right ones it loses, here and on other
validation numbers alike (bench/results.md says which).

    .venv/bin/python -m bench.unsure [--count 1000]
"""

from __future__ import annotations

import argparse
import logging

from bench.numbers import redrawn
from digits.reading import Placed, astray
from digits.separators import UNREAD
from synthesis.numbers import SEPARATED, numbers, separated_numbers, typed_numbers
from training.data import mnist_digits

THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.95)


def made(count: int) -> list[tuple[str, str, bytes]]:
    """(kind, text, upload) for every kind, seeds none of the other benchmarks use."""
    source = mnist_digits("validation")
    uploads = []
    for kind, digits in (("MNIST digits", source), ("other hands", redrawn(source, 3000, 7))):
        uploads += [(kind, t, d) for _, t, d in numbers(digits, count, False, 31)]
        uploads += [(kind, t, d) for _, t, d in numbers(digits, count, True, 32)]
        uploads += [
            (kind, t, d) for *_, t, d in separated_numbers(digits, count // len(SEPARATED), 33)
        ]
    uploads += [("typed", t, d) for *_, t, d in typed_numbers("validation", count // 2, 41)]
    return uploads


def answered(client, uploads) -> list[tuple[str, bool, float]]:
    """Per number /read answers when not refused for a part or a mark (unread, or astray:
    `digits.reading.astray`): (kind, read right, the least sure digit's confidence)."""
    rows = []
    for kind, text, data in uploads:
        reading = client.post("/read?always_guess=true", content=data).json()
        if "digits" not in reading:
            continue  # refused whatever the threshold (no digit found, too many)
        strangers = any(d["is_digit"] is False for d in reading["digits"])
        marks = [
            Placed(s["char"], s["position"], s["box"], s["confidence"])
            for s in reading["separators"]
        ]
        unread = any(mark.char == UNREAD for mark in marks)
        if not (strangers or unread or astray(reading["text"], marks)):
            least = min(d["confidence"] for d in reading["digits"])
            rows.append((kind, reading["text"] == text, least))
    return rows


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from tests.harness import make_client  # the app in-process, on the committed model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="numbers per kind and spacing")
    args = parser.parse_args()
    with make_client() as client:
        rows = answered(client, made(args.count))
    kinds = sorted({kind for kind, _, _ in rows})
    print(f"{len(rows)} validation numbers answered (not refused for a part or a mark)\n")
    print("| refused below | " + " | ".join(kinds) + " | all: lost / caught | step up adds |")
    print("|---" * (len(kinds) + 3) + "|")
    previous = (0, 0)
    for threshold in THRESHOLDS:
        cells, total = [], [0, 0]
        for kind in kinds:
            below = [right for k, right, least in rows if k == kind and least < threshold]
            lost, caught = sum(below), len(below) - sum(below)
            cells.append(f"-{lost} / +{caught}")
            total = [total[0] + lost, total[1] + caught]
        step = (total[0] - previous[0], total[1] - previous[1])
        print(
            f"| {threshold} | " + " | ".join(cells) + f" | -{total[0]} / +{total[1]} "
            f"| -{step[0]} / +{step[1]} |"
        )
        previous = (total[0], total[1])


if __name__ == "__main__":
    main()
