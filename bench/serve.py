"""Serving benchmark: /predict against a no-op endpoint of the same server, under wrk.

Starts the service as the README does (uvicorn, committed model), uploads a real MNIST PNG at
concurrency 1, 8, 32 and 64, and prints requests/s and p50/p90/p99 latency for both endpoints,
then the same load with micro-batching off and with the cascade off, memory growth over 10,000
requests, and startup time beside `import tensorflow` (which the service itself no longer
needs). Ratios are measured in one run: the machines are shared and noisy.

    .venv/bin/python -m bench.serve [--duration 10] [--markdown bench/results.md]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import MULTIPART_BOUNDARY, multipart_body, running_service
from bench.styles import mnist_png
from training.data import VENDORED_MNIST, load_idx_dir

CONCURRENCY = (1, 8, 32, 64)


@dataclass
class Load:
    endpoint: str
    concurrency: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int


def wrk_script(body_path: Path) -> Path:
    script = body_path.with_suffix(".lua")
    script.write_text(
        f'wrk.method = "POST"\n'
        f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={MULTIPART_BOUNDARY}"\n'
        f'local f = io.open("{body_path}", "rb")\nwrk.body = f:read("*all")\nf:close()\n'
    )
    return script


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, script: Path, concurrency: int, duration: int) -> Load:
    threads = min(2, concurrency)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Load(
        endpoint=url.rsplit("/", 1)[-1],
        concurrency=concurrency,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=to_ms(percentiles["50"]),
        p90_ms=to_ms(percentiles["90"]),
        p99_ms=to_ms(percentiles["99"]),
        errors=errors,
    )


def rss_mb(process: subprocess.Popen) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def batch_sizes(url: str) -> str:
    text = httpx.get(f"{url}/metrics?format=prometheus").text
    count = float(re.search(r"digits_inference_batch_size_count (\S+)", text).group(1))
    total = float(re.search(r"digits_inference_batch_size_sum (\S+)", text).group(1))
    return f"{total / count:.1f} images per model call over {count:.0f} calls" if count else "-"


def import_tensorflow_s() -> float | None:
    """The issue's yardstick for startup; None where TensorFlow is not installed (serving only)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "import tensorflow"],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
    )
    return time.perf_counter() - started if done.returncode == 0 else None


def table(rows: list[Load], noop: dict[int, Load]) -> list[str]:
    lines = [
        "| endpoint | concurrency | requests/s | p50 ms | p90 ms | p99 ms | errors "
        "| rps vs noop | p50 vs noop |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        base = noop[r.concurrency]
        lines.append(
            f"| {r.endpoint} | {r.concurrency} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p90_ms:.2f} | "
            f"{r.p99_ms:.2f} | {r.errors} | {r.rps / base.rps:.2f}x | "
            f"{r.p50_ms / base.p50_ms:.2f}x |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--markdown", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    digit = load_idx_dir(VENDORED_MNIST, "test").images[0]
    work = Path(tempfile.mkdtemp())
    body = work / "body.bin"
    body.write_bytes(multipart_body(mnist_png(digit)))
    script = wrk_script(body)
    report: list[str] = []

    tf_import = import_tensorflow_s()
    with running_service("bench_server.log", DIGITS_NOOP_ROUTE="true") as server:
        startup, rss_start = server.startup_s, rss_mb(server.process)
        rows, noop = [], {}
        for c in CONCURRENCY:
            noop[c] = run_wrk(f"{server.url}/noop", script, c, args.duration)
            rows += [noop[c], run_wrk(f"{server.url}/predict", script, c, args.duration)]
        batching = batch_sizes(server.url)
        # memory: RSS after startup, and after N more requests
        rate = max(r.rps for r in rows if r.endpoint == "predict")
        seconds = max(1, round(args.memory_requests / rate))
        run_wrk(f"{server.url}/predict", script, 32, seconds)
        rss_after, served = rss_mb(server.process), int(rate * seconds)
    report += [
        "## Serving: /predict against /noop (micro-batching on)",
        "",
        *table(rows, noop),
        "",
        f"Micro-batches formed: {batching}.",
        "",
    ]

    with running_service(
        "bench_server_unbatched.log", DIGITS_BATCHING="false", DIGITS_NOOP_ROUTE="true"
    ) as unbatched:
        off = [run_wrk(f"{unbatched.url}/predict", script, c, args.duration) for c in (8, 32, 64)]
    on = {r.concurrency: r for r in rows if r.endpoint == "predict"}
    report += [
        "## Micro-batching on vs off (/predict)",
        "",
        "| concurrency | on: requests/s | off: requests/s | gain | on: p50 ms | off: p50 ms |",
        "|---|---|---|---|---|---|",
    ]
    for r in off:
        o = on[r.concurrency]
        report.append(
            f"| {r.concurrency} | {o.rps:.0f} | {r.rps:.0f} | {o.rps / r.rps:.2f}x | "
            f"{o.p50_ms:.2f} | {r.p50_ms:.2f} |"
        )
    with running_service(
        "bench_server_full_model.log", DIGITS_CASCADE="false", DIGITS_NOOP_ROUTE="true"
    ) as plain:
        full = [run_wrk(f"{plain.url}/predict", script, c, args.duration) for c in (1, 32)]
    report += [
        "",
        "## Cascade on vs off (/predict; off: the full model answers every image)",
        "",
        "| concurrency | on: requests/s | off: requests/s | on: p50 ms | off: p50 ms |",
        "|---|---|---|---|---|",
    ]
    for r in full:
        o = on[r.concurrency]
        report.append(
            f"| {r.concurrency} | {o.rps:.0f} | {r.rps:.0f} | {o.p50_ms:.2f} | {r.p50_ms:.2f} |"
        )
    report += [
        "",
        "## Memory and startup",
        "",
        f"- RSS after startup: {rss_start:.0f} MB; after about {served:,} more requests: "
        f"{rss_after:.0f} MB (growth {100 * (rss_after / rss_start - 1):+.1f}%)",
        f"- process start to ready: {startup:.2f} s; `import tensorflow` alone: "
        + (f"{tf_import:.2f} s (ratio {startup / tf_import:.2f}x)" if tf_import else "-"),
        "",
    ]
    text = "\n".join(report)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
