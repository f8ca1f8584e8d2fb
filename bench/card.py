"""What the shipped model's cards say of its training: per network, epochs, wall time and
validation accuracy, and the official test accuracy measured once after training.

These are records, not measurements of this machine: training wrote them to the model folder
(`model/metrics.json`, `model/fast/metrics.json`) and this prints them as `bench/results.md`
shows them.

    .venv/bin/python -m bench.card [MODEL_DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.harness import MODEL_DIR


def rows(card: dict, name: str) -> list[str]:
    training = card["training"]
    members = training.get("members") or [training]
    lines = [
        f"| {name} seed {m.get('seed', training.get('seed'))} | {m.get('epochs_run', '-')} "
        f"| {m['wall_time_s']:,.0f} | {m['validation_accuracy']:.2%} |"
        for m in members
        if "validation_accuracy" in m
    ]
    lines.append(
        f"| **{name}** ({card['model']['parameters']:,} parameters) | "
        f"{training.get('epochs_planned', '-')} planned | **{training['wall_time_s']:,.0f}** "
        f"| **{card['validation']['accuracy']:.2%}**; test **{card['test']['accuracy']:.2%}** |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", type=Path, nargs="?", default=MODEL_DIR)
    args = parser.parse_args()
    full = json.loads((args.model_dir / "metrics.json").read_text())
    fast_card = args.model_dir / "fast" / "metrics.json"
    print("| network | epochs | wall time, s | validation accuracy |\n|---|---|---|---|")
    print("\n".join(rows(full, full["model"]["name"])))
    if fast_card.is_file():
        print("\n".join(rows(json.loads(fast_card.read_text()), "fast network")))
    cascade = full.get("cascade")
    if cascade:
        print(
            f"\nServed: {cascade['name']}, threshold {cascade['threshold']}: validation "
            f"{cascade['validation']['accuracy']:.2%} ({cascade['validation']['handed_on']:.2%} "
            f"handed on), test {cascade['test']['accuracy']:.2%} "
            f"({cascade['test']['handed_on']:.2%} handed on)."
        )


if __name__ == "__main__":
    main()
