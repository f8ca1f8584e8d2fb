"""Two model folders, or the service's code at two revisions, served side by side: throughput
and latency of each, in one run.

Starts the service (as the README does) on each folder (or from a worktree of the revision, on
the committed model), and loads both with the same requests under wrk (`--load`: /predict of
varied real uploads, the default; /predict of one raw 28x28 MNIST PNG, a lone client's request;
/v2 of JSON tensors, as `bench.peers` sends them) at each concurrency; each round visits both,
the one that goes first alternating from round to round, so the machine's drifts weigh on both
alike. Prints the median and range of each figure and of the per-round ratio (a change is called
one only where the ratios' range excludes 1).

    git worktree add /tmp/before HEAD~1   # say: the model folder as it was
    .venv/bin/python -m bench.compare /tmp/before/model model [--rounds 5] [--duration 5]
    .venv/bin/python -m bench.compare --revision a7805cf   # the code as it was, today's model
    .venv/bin/python -m bench.compare --revision HEAD --load tensor --concurrency 1 32
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from bench.peers import scripts
from bench.serve import run_wrk, spread, upload_bodies, wrk_script
from tests.harness import MODEL_DIR, REPO, running_service

LOADS = {  # --load -> (path, the bench.peers script; None: the real upload mix)
    "uploads": ("/predict", None),
    "png": ("/predict", "raw_png"),
    "tensor": ("/v2/models/digits/infer", "json"),
}


def worktree(revision: str) -> Path:
    """A checkout of the revision to serve from (its own code, this venv)."""
    folder = Path(tempfile.mkdtemp()) / "code"
    subprocess.run(["git", "worktree", "add", "-q", str(folder), revision], cwd=REPO, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, nargs="?", default=MODEL_DIR)
    parser.add_argument("after", type=Path, nargs="?", default=MODEL_DIR)
    parser.add_argument("--revision", help="serve `before` with the code of this git revision")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--load", choices=list(LOADS), default="uploads")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    named = LOADS[args.load][1]
    script = scripts(folder)[named] if named else wrk_script(upload_bodies(200, 0.03), folder)
    code = worktree(args.revision) if args.revision else REPO
    try:
        measure(args, script, code)
    finally:
        if code != REPO:
            subprocess.run(["git", "worktree", "remove", "--force", str(code)], cwd=REPO)


def measure(args: argparse.Namespace, script: Path, code: Path) -> None:
    before = f"{args.before} ({args.revision or 'this checkout'})"
    path = LOADS[args.load][0]
    print(f"{path} ({args.load}), {before} before, {args.after} after, {args.rounds} rounds\n")
    print(
        "| concurrency | before: requests/s | after: requests/s | after/before per round "
        "| before: p50 ms | after: p50 ms |\n|---|---|---|---|---|---|"
    )
    with (
        running_service(
            "bench_before.log", code=code, DIGITS_MODEL_DIR=str(args.before.resolve())
        ) as one,
        running_service("bench_after.log", DIGITS_MODEL_DIR=str(args.after.resolve())) as two,
    ):
        for concurrency in args.concurrency:
            runs: dict[str, list] = {"before": [], "after": []}
            for round_ in range(args.rounds):
                order = [("before", one), ("after", two)][:: 1 if round_ % 2 else -1]
                for name, server in order:
                    url = f"{server.url}{path}"
                    runs[name].append(run_wrk(url, script, concurrency, args.duration))
            ratios = [a.rps / b.rps for a, b in zip(runs["after"], runs["before"], strict=True)]
            print(
                f"| {concurrency} | {spread([r.rps for r in runs['before']])} "
                f"| {spread([r.rps for r in runs['after']])} | {spread(ratios, 2, 'x')} "
                f"| {spread([r.p50_ms for r in runs['before']], 2)} "
                f"| {spread([r.p50_ms for r in runs['after']], 2)} |"
            )


if __name__ == "__main__":
    main()
