"""Speed against what a user would pick instead, side by side in one run.

BentoML 1.4 and MLServer 1.7, each in a venv of its own (made here on first use, from PyPI),
serve the project's own fast network as their docs show (`bench/peer_servers/`), while the
service runs as the README starts it. wrk loads each with the same bodies at the same
concurrency; every round visits every pair in an order rotated from round to round, so the
machine's drifts weigh on both sides alike. Printed: the median and range of each side's
requests/s and p50, and of the per-round ratio (a gain is called one only where the ratios'
range excludes 1):

- multipart uploads of MNIST test digits (28x28 PNGs, field `file`): /predict against BentoML;
- the Open Inference Protocol, one FP32 [1, 28, 28, 1] JSON tensor: /v2 against MLServer;
- the same tensor in Triton's binary form against its JSON twin, on the service;
- a lone /predict of a raw 28x28 PNG against /healthz on the same server (p50).

The service answers with more than the peers do (the cascade's full model where the fast
network is unsure, the not-a-digit detector, answer ids); the user gets the digit either way.

    .venv/bin/python -m bench.peers [--rounds 3] [--duration 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

from bench.serve import Load, run_wrk, spread
from tests.harness import (
    ARTIFACTS,
    MODEL_DIR,
    MULTIPART_BOUNDARY,
    REPO,
    free_port,
    multipart_body,
    png_bytes,
    rotated,
    running_service,
)
from training.data import VENDORED_MNIST, load_idx_dir

PEERS = REPO / ".cache" / "peers"
PINS = {
    "bentoml": ["bentoml==1.4.40", "ai-edge-litert", "pillow", "numpy"],
    # uvloop 0.22 gives no event loop to MLServer 1.7.1's inference workers at their start
    "mlserver": ["mlserver==1.7.1", "uvloop<0.22", "ai-edge-litert", "numpy"],
}
FAST_MODEL = MODEL_DIR / "fast" / "model.tflite"
HEADER_LENGTH = "Inference-Header-Content-Length"


def venv(name: str) -> Path:
    """The peer's own venv (its bin folder), made and installed where missing."""
    home = PEERS / name
    if not (home / "bin" / name).exists():
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        pip = [str(home / "bin" / "pip"), "install", "-q", *PINS[name]]
        subprocess.run(pip, check=True)
    return home / "bin"


@contextmanager
def serving(name: str, command: list[str], cwd: Path, ready: str, env: dict) -> Iterator[None]:
    """A peer's server, until it answers `ready` with a 200; stopped after."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"peer_{name}.log"
    environment = {**os.environ, "DIGITS_PEER_MODEL": str(FAST_MODEL), **env}
    with open(log, "w") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            started = time.perf_counter()
            while True:
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.perf_counter() - started < 300, f"{name} not ready in 300 s"
                try:
                    if httpx.get(ready, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


def bentoml(port: int) -> Iterator[None]:
    service = "bench.peer_servers.bentoml_service:Digits"
    command = [str(venv("bentoml") / "bentoml"), "serve", service]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {"PYTHONPATH": str(REPO), "BENTOML_DO_NOT_TRACK": "True"}
    return serving("bentoml", command, REPO, f"http://127.0.0.1:{port}/readyz", env)


def mlserver(port: int) -> Iterator[None]:
    command = [str(venv("mlserver") / "mlserver"), "start", "."]
    env = {
        "MLSERVER_HTTP_PORT": str(port),
        "MLSERVER_GRPC_PORT": str(free_port()),
        "MLSERVER_METRICS_PORT": str(free_port()),
    }
    folder = REPO / "bench" / "peer_servers" / "mlserver"
    return serving("mlserver", command, folder, f"http://127.0.0.1:{port}/v2/health/ready", env)


def lua(
    folder: Path, name: str, bodies: list[bytes], headers: dict[str, str], method: str = "POST"
) -> Path:
    """A wrk script that sends the bodies in turn with the headers (each thread from its own
    offset)."""
    for i, body in enumerate(bodies):
        (folder / f"{name}-{i}.bin").write_bytes(body)
    pairs = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
    script = folder / f"{name}.lua"
    script.write_text(
        f"local headers = {{{pairs}}}\nlocal bodies, i = {{}}, 0\n"
        f"for n = 0, {len(bodies) - 1} do\n"
        f'  local f = io.open("{folder}/{name}-" .. n .. ".bin", "rb")\n'
        "  bodies[#bodies + 1] = f:read('*all')\n  f:close()\nend\n"
        "function init(args) i = math.random(#bodies) end\n"
        "function request()\n  i = i % #bodies + 1\n"
        f'  return wrk.format("{method}", nil, headers, bodies[i])\nend\n'
    )
    return script


def tensor_request(digit: np.ndarray) -> dict:
    return {
        "inputs": [
            {
                "name": "pixels",
                "shape": [1, 28, 28, 1],
                "datatype": "FP32",
                "data": digit.astype(float).ravel().tolist(),
            }
        ]
    }


def binary_request(digit: np.ndarray) -> tuple[bytes, int]:
    """The same tensor in Triton's binary form: the JSON header, then the raw FP32 bytes."""
    header = tensor_request(digit)
    data = digit.astype("<f4").tobytes()
    header["inputs"][0].pop("data")
    header["inputs"][0]["parameters"] = {"binary_data_size": len(data)}
    encoded = json.dumps(header).encode()
    return encoded + data, len(encoded)


def scripts(folder: Path) -> dict[str, Path]:
    digits = load_idx_dir(VENDORED_MNIST, "test").images[:200]
    pngs = [png_bytes(d) for d in digits]
    multipart = {"Content-Type": f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"}
    as_json = {"Content-Type": "application/json"}
    binary = [binary_request(d) for d in digits[:1]]
    tensors = [json.dumps(tensor_request(d)).encode() for d in digits]
    return {
        "multipart": lua(folder, "multipart", [multipart_body(p) for p in pngs], multipart),
        "json": lua(folder, "json", tensors, as_json),
        "json_one": lua(folder, "json_one", tensors[:1], as_json),
        "binary_one": lua(
            folder,
            "binary_one",
            [body for body, _ in binary],
            {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(binary[0][1])},
        ),
        "raw_png": lua(folder, "raw_png", pngs[:1], {"Content-Type": "image/png"}),
        "get": lua(folder, "get", [b""], {}, "GET"),
    }


# (what, concurrency levels, (name, url key, path, script) of each side)
PAIRS = [
    ("/predict vs BentoML (multipart PNG)", (1, 8, 32),
     ("service", "service", "/predict", "multipart"),
     ("BentoML", "bentoml", "/predict", "multipart")),
    ("/v2 vs MLServer (JSON FP32 tensor)", (1, 8, 32),
     ("service", "service", "/v2/models/digits/infer", "json"),
     ("MLServer", "mlserver", "/v2/models/digits/infer", "json")),
    ("/v2 binary tensor vs its JSON twin", (1,),
     ("binary", "service", "/v2/models/digits/infer", "binary_one"),
     ("JSON", "service", "/v2/models/digits/infer", "json_one")),
    ("lone /predict (raw PNG) vs /healthz", (1,),
     ("/predict", "service", "/predict", "raw_png"), ("/healthz", "service", "/healthz", "get")),
]  # fmt: skip


def measure(args: argparse.Namespace, urls: dict[str, str], paths: dict[str, Path]) -> dict:
    runs: dict[tuple[int, int, str], list[Load]] = {}
    for round_ in range(args.rounds):
        for p, (_, levels, *sides) in enumerate(PAIRS):
            for concurrency in levels:
                for name, server, path, script in rotated(list(sides), round_):
                    load = run_wrk(urls[server] + path, paths[script], concurrency, args.duration)
                    runs.setdefault((p, concurrency, name), []).append(load)
        print(f"round {round_ + 1} done", file=sys.stderr)
    return runs


def report(runs: dict) -> list[str]:
    lines = []
    for p, (what, levels, first, second) in enumerate(PAIRS):
        a, b = first[0], second[0]
        lines += [
            f"\n### {what}\n",
            f"| concurrency | {a} requests/s | {b} requests/s | {a}/{b} per round "
            f"| {a} p50 ms | {b} p50 ms | {b}/{a} p50 per round | errors |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in levels:
            x, y = runs[(p, c, a)], runs[(p, c, b)]
            rps = [i.rps / j.rps for i, j in zip(x, y, strict=True)]
            p50 = [j.p50_ms / i.p50_ms for i, j in zip(x, y, strict=True)]
            errors = sum(r.errors for r in x + y)
            lines.append(
                f"| {c} | {spread([r.rps for r in x])} | {spread([r.rps for r in y])} "
                f"| {spread(rps, 2, 'x')} | {spread([r.p50_ms for r in x], 2)} "
                f"| {spread([r.p50_ms for r in y], 2)} | {spread(p50, 2, 'x')} | {errors} |"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    args = parser.parse_args()
    paths = scripts(Path(tempfile.mkdtemp()))
    ports = {"bentoml": free_port(), "mlserver": free_port()}
    with (
        running_service("peers_service.log") as service,
        bentoml(ports["bentoml"]),
        mlserver(ports["mlserver"]),
    ):
        urls = {"service": service.url, **{k: f"http://127.0.0.1:{v}" for k, v in ports.items()}}
        runs = measure(args, urls, paths)
    print(f"Peers, {args.rounds} rounds of {args.duration} s per run; median (range)")
    print("\n".join(report(runs)))


if __name__ == "__main__":
    main()
