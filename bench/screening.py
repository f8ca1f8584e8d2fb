"""What saying "not a digit" costs and earns, measured through the app.

1. Throughput and latency of /predict with the detector on and off (`DIGITS_NOT_A_DIGIT`), two
   servers side by side, wrk rounds alternating between them (median and range per side, and
   the ratio of each pair of rounds), at concurrency 1 and 32.
2. Held-out non-digits (other seeds and fonts than the detector's, `training.nondigits`) and
   real-style digit uploads (`synthesis.uploads`, 300 test digits per style) through the app
   in-process: the share refused, per kind and per style, and the accuracy of the answers.

    .venv/bin/python -m bench.screening [--rounds 3] [--duration 5]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from bench.serve import run_wrk, spread, upload_bodies, wrk_script
from synthesis.nondigits import HELD_OUT_FONTS, KINDS, upload
from synthesis.styles import STYLES as NONDIGIT_STYLES
from synthesis.uploads import STYLES
from tests.harness import make_client, rotated, running_service
from training.data import VENDORED_MNIST, load_idx_dir

HELD_OUT_SEED = 70_000  # a seed none of the detector's sets used


def throughput(rounds: int, duration: int) -> list[str]:
    script = wrk_script(upload_bodies(200, 0.03), Path(tempfile.mkdtemp()))
    lines = [
        "| concurrency | detector on: requests/s | off: requests/s | on/off per round "
        "| on: p50 ms | off: p50 ms |",
        "|---|---|---|---|---|---|",
    ]
    with (
        running_service("bench_screened.log") as on,
        running_service("bench_unscreened.log", DIGITS_NOT_A_DIGIT="false") as off,
    ):
        for concurrency in (1, 32):
            runs: dict[str, list] = {"on": [], "off": []}
            servers = [("on", on), ("off", off)]
            for round_ in range(rounds):  # which goes first alternates: drift hits both alike
                for name, server in rotated(servers, round_):
                    url = f"{server.url}/predict"
                    runs[name].append(run_wrk(url, script, concurrency, duration))
            ratios = [a.rps / b.rps for a, b in zip(runs["on"], runs["off"], strict=True)]
            lines.append(
                f"| {concurrency} | {spread([r.rps for r in runs['on']])} "
                f"| {spread([r.rps for r in runs['off']])} | {spread(ratios, 2, 'x')} "
                f"| {spread([r.p50_ms for r in runs['on']], 2)} "
                f"| {spread([r.p50_ms for r in runs['off']], 2)} |"
            )
    return lines


def refusals(per_kind_and_style: int, digits_per_style: int) -> list[str]:
    test = load_idx_dir(VENDORED_MNIST, "test")
    lines = ["| held-out non-digits | refused |", "|---|---|"]
    with make_client() as client:
        total_refused = total = 0
        for kind in KINDS:
            refused = 0
            for style in NONDIGIT_STYLES:
                for i in range(per_kind_and_style):
                    data = upload(kind, style, HELD_OUT_SEED + i, HELD_OUT_FONTS)
                    status = client.post("/predict", content=data).status_code
                    refused += status == 422
            count = per_kind_and_style * len(NONDIGIT_STYLES)
            lines.append(f"| {kind} | {refused / count:.1%} ({refused}/{count}) |")
            total_refused, total = total_refused + refused, total + count
        lines.append(f"| **all** | **{total_refused / total:.1%}** ({total_refused}/{total}) |")
        lines += [
            "",
            "| digit uploads (style) | refused | accuracy of the answers |",
            "|---|---|---|",
        ]
        for name, style in STYLES.items():
            refused = right = 0
            for image, label in zip(
                test.images[:digits_per_style], test.labels[:digits_per_style], strict=True
            ):
                answer = client.post("/predict", content=style(image))
                if answer.status_code == 422:
                    refused += 1
                else:
                    right += answer.json()["digit"] == int(label)
            answered = digits_per_style - refused
            lines.append(
                f"| {name} | {refused / digits_per_style:.1%} | {right / max(1, answered):.1%} |"
            )
    return lines


def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk round")
    parser.add_argument("--per-kind", type=int, default=100, help="non-digits per kind and style")
    parser.add_argument("--digits", type=int, default=300, help="test digits per upload style")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    lines = []
    if not args.skip_throughput:
        if not shutil.which("wrk"):
            sys.exit("wrk is missing: apt-get install -y wrk")
        lines += [
            "### /predict with the detector on and off",
            "",
            *throughput(args.rounds, args.duration),
            "",
        ]
    lines += ["### Refusals through the app", "", *refusals(args.per_kind, args.digits)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
