"""Serving benchmark: /predict against a no-op endpoint of the same server, under wrk.

Starts the service as the README does (uvicorn, committed model) in each configuration compared
(as shipped; micro-batching off; the cascade off; every answer captured; no access log), and
loads /noop and /predict at concurrency 1, 8, 32 and 64 with varied real uploads: MNIST test
digits in the upload styles people send, among them digits the cascade's fast network hands on
to the full model, in the proportion `--handed-on` (the card says what share of the test set
its cascade hands on). Every round visits every configuration, in an order rotated from round to
round, and the endpoints alternate which goes first, so the
machine's drifts weigh on all alike; each figure is the median of the rounds with their range,
and a gain is called one only where the ranges do not overlap. Startup is timed at every server
start, beside `import tensorflow`.

    .venv/bin/python -m bench.serve [--rounds 3] [--duration 5] [--configs NAME ...]
        [--markdown FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from digits.card import ModelCard
from digits.runtime import LiteRTModel
from synthesis.uploads import STYLES
from tests.harness import MODEL_DIR, MULTIPART_BOUNDARY, multipart_body, rotated, running_service
from training.data import VENDORED_MNIST, load_idx_dir

CONCURRENCY = (1, 8, 32, 64)
CONFIGS = {  # name -> the server's environment
    "shipped": {},
    "batching off": {"DIGITS_BATCHING": "false"},
    "cascade off": {"DIGITS_CASCADE": "false"},
    # every answer's inputs stored in the feedback database (SQLite in a fresh folder)
    "capture 100%": {"DIGITS_CAPTURE_PERCENT": "100"},
    # no access line per request (the service writes one, with its answer ids, at info)
    "access log off": {"DIGITS_LOG_LEVEL": "warning"},
}


@dataclass
class Load:
    endpoint: str
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def handed_on(images: np.ndarray) -> np.ndarray:
    """Which images the shipped cascade's fast network is unsure of (it hands them on)."""
    card = ModelCard.read(MODEL_DIR)
    fast = LiteRTModel.open(MODEL_DIR / card.cascade.fast_model)
    top = fast.predict_all(images.astype(np.float32)[..., None]).max(axis=1)
    return top < card.cascade.threshold


def upload_bodies(count: int, share_handed_on: float) -> list[bytes]:
    """`count` multipart bodies of test digits in every style, `share_handed_on` of them digits
    the fast network hands on."""
    test = load_idx_dir(VENDORED_MNIST, "test")
    unsure = handed_on(test.images)
    hard = np.flatnonzero(unsure)[: max(1, round(count * share_handed_on))]
    easy = np.flatnonzero(~unsure)[: count - len(hard)]
    picks = np.random.default_rng(0).permutation(np.concatenate([hard, easy]))
    styles = list(STYLES.values())
    return [multipart_body(styles[i % len(styles)](test.images[p])) for i, p in enumerate(picks)]


def wrk_script(bodies: list[bytes], folder: Path) -> Path:
    """A wrk script that cycles through the bodies, each thread from its own offset."""
    for i, body in enumerate(bodies):
        (folder / f"{i}.bin").write_bytes(body)
    script = folder / "uploads.lua"
    script.write_text(
        "local headers = "
        f'{{["Content-Type"] = "multipart/form-data; boundary={MULTIPART_BOUNDARY}"}}\n'
        "local bodies, i = {}, 0\n"
        f"for n = 0, {len(bodies) - 1} do\n"
        f'  local f = io.open("{folder}/" .. n .. ".bin", "rb")\n'
        "  bodies[#bodies + 1] = f:read('*all')\n  f:close()\nend\n"
        "function init(args) i = math.random(#bodies) end\n"
        "function request()\n  i = i % #bodies + 1\n"
        '  return wrk.format("POST", nil, headers, bodies[i])\nend\n'
    )
    return script


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, script: Path, concurrency: int, duration: int) -> Load:
    threads = min(2, concurrency)
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{duration}s", "--latency"]
    out = subprocess.run(
        [*command, "-s", str(script), url], capture_output=True, text=True, check=True
    ).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Load(
        endpoint=url.rsplit("/", 1)[-1],
        concurrency=concurrency,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=to_ms(percentiles["50"]),
        p99_ms=to_ms(percentiles["99"]),
        errors=errors,
    )


def import_tensorflow_s() -> float | None:
    """The yardstick for startup; None where TensorFlow is not installed (serving only)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "import tensorflow"],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
    )
    return time.perf_counter() - started if done.returncode == 0 else None


def spread(values: list[float], digits: int = 0, unit: str = "") -> str:
    """Median (min-max) of a figure over the rounds."""
    f = f"{{:,.{digits}f}}{unit}"
    return (
        f"{f.format(statistics.median(values))} ({f.format(min(values))}-{f.format(max(values))})"
    )


def apart(a: list[float], b: list[float]) -> bool:
    """The two ranges do not overlap: only then is a difference called one."""
    return max(a) < min(b) or max(b) < min(a)


def batches_formed(url: str) -> float:
    text = httpx.get(f"{url}/metrics?format=prometheus").text
    count = float(re.search(r"digits_inference_batch_size_count (\S+)", text).group(1))
    total = float(re.search(r"digits_inference_batch_size_sum (\S+)", text).group(1))
    return total / count if count else 0.0


def measure(args: argparse.Namespace, script: Path) -> tuple[dict, list[float], list[float]]:
    """Every round: every configuration, every concurrency, /noop and /predict alternating."""
    loads: dict[tuple[str, str, int], list[Load]] = {}
    startups, batch_means = [], []
    for round_ in range(args.rounds):
        for name in rotated(list(args.configs), round_):
            env = CONFIGS[name]
            log = f"bench_server_{name.replace(' ', '_')}.log"
            with running_service(log, DIGITS_NOOP_ROUTE="true", **env) as server:
                startups.append(server.startup_s)
                for c in CONCURRENCY:
                    order = ("noop", "predict") if (round_ + c) % 2 == 0 else ("predict", "noop")
                    for endpoint in order:
                        if endpoint == "noop" and name != "shipped":
                            continue  # one no-op per round is enough: it is the same code
                        load = run_wrk(f"{server.url}/{endpoint}", script, c, args.duration)
                        loads.setdefault((name, endpoint, c), []).append(load)
                if name == "shipped":
                    batch_means.append(batches_formed(server.url))
            print(f"round {round_ + 1}: {name} done", file=sys.stderr)
    return loads, startups, batch_means


def report(loads: dict, startups: list[float], batch_means: list[float], tf: list) -> list[str]:
    others = [name for name in CONFIGS if name != "shipped" and (name, "predict", 1) in loads]
    lines = [
        "### /predict against /noop (shipped configuration)",
        "",
        "| concurrency | /noop requests/s | /predict requests/s | /predict vs /noop "
        "| /noop p50 ms | /predict p50 ms | p50 vs /noop | /predict p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in CONCURRENCY:
        noop, predict = loads[("shipped", "noop", c)], loads[("shipped", "predict", c)]
        ratio = [p.rps / n.rps for p, n in zip(predict, noop, strict=True)]
        p50 = [p.p50_ms / n.p50_ms for p, n in zip(predict, noop, strict=True)]
        lines.append(
            f"| {c} | {spread([n.rps for n in noop])} | {spread([p.rps for p in predict])} "
            f"| {spread(ratio, 2, 'x')} | {spread([n.p50_ms for n in noop], 2)} "
            f"| {spread([p.p50_ms for p in predict], 2)} | {spread(p50, 2, 'x')} "
            f"| {spread([p.p99_ms for p in predict], 1)} "
            f"| {sum(x.errors for x in noop + predict)} |"
        )
    lines += [
        "",
        f"Micro-batches formed (shipped, per round): {spread(batch_means, 1)} images per call.",
        "",
        "### Configurations compared (/predict requests/s; a gain only where ranges are apart)",
        "",
        "| concurrency | shipped | "
        + " | ".join(f"{other} | it vs shipped" for other in others)
        + " |",
        "|---|---|" + "---|---|" * len(others),
    ]
    for c in CONCURRENCY:
        shipped = [x.rps for x in loads[("shipped", "predict", c)]]
        cells = [spread(shipped)]
        for other in others:
            rates = [x.rps for x in loads[(other, "predict", c)]]
            gains = [o / s for s, o in zip(shipped, rates, strict=True)]
            verdict = spread(gains, 2, "x") + ("" if apart(shipped, rates) else ", ranges overlap")
            cells += [spread(rates), verdict]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Start to ready, every server start: {spread(startups, 2, ' s')}; `import tensorflow` "
        + (f"alone: {spread(tf, 2, ' s')}" if tf else "alone: - (TensorFlow not installed)"),
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--uploads", type=int, default=200, help="distinct upload bodies")
    parser.add_argument("--handed-on", type=float, default=0.03, help="their share")
    parser.add_argument(
        "--configs",
        nargs="+",
        choices=list(CONFIGS),
        default=list(CONFIGS),
        help="the configurations to compare (shipped is always one)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.configs = ["shipped", *(name for name in args.configs if name != "shipped")]
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    script = wrk_script(upload_bodies(args.uploads, args.handed_on), Path(tempfile.mkdtemp()))
    loads, startups, batch_means = measure(args, script)
    tf = [t for t in (import_tensorflow_s() for _ in range(args.rounds)) if t is not None]
    text = "\n".join(report(loads, startups, batch_means, tf))
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
