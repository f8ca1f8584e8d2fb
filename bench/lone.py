"""Where a lone /predict's time goes: the whole request in-process (the ASGI app called
directly, no socket) against /healthz, and its parts timed alone on the same machine in the same
run: preparing the upload, the served model's call on one image (cascade and detector), and
building the answer. Rounds alternate; median (range) of microseconds per call.

The parts alone run hot in a tight loop, and again with the CPU's caches made cold before each
call (8 MiB read first, as a request's own path does between them): in a request they run
among the framework's work, at about their cold cost.

    .venv/bin/python -m bench.lone [--rounds 5] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from app.answers import predictions
from app.core.config import Settings
from app.data_plane import Answers
from app.main import create_app
from app.uploads import Upload
from bench.serve import spread
from digits.preprocess import open_upload, to_model_input
from tests.harness import MODEL_DIR, png_bytes, rotated
from training.data import VENDORED_MNIST, load_idx_dir


def asgi_call(app, path: str, method: str, body: bytes) -> Callable[[], Awaitable[None]]:
    """One request to the app, in-process: what uvicorn would hand it, minus the socket."""
    headers = [(b"host", b"bench"), (b"content-type", b"image/png")]
    headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def call() -> None:
        sent = False

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # nothing more: the request is whole
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message

        await app(scope, receive, send)

    return call


async def microseconds(call: Callable[[], Awaitable[object]], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    settings = Settings(model_dir=MODEL_DIR, data_dir=Path(tempfile.mkdtemp()), log_level="warning")
    app = create_app(settings)
    png = png_bytes(load_idx_dir(VENDORED_MNIST, "test").images[0])
    asyncio.run(measure(app, png, args))


async def measure(app, png: bytes, args: argparse.Namespace) -> None:
    async with app.router.lifespan_context(app):
        served = app.state.running.versions.get()
        image = to_model_input(open_upload(png, 10**7))
        batch = image[np.newaxis, ..., np.newaxis]
        outputs = served.model.predict(batch)
        answers = Answers(served.version, outputs[:, :10], outputs[:, 10], [True], ["id"])
        upload = [Upload(png, None)]

        async def prepare() -> None:
            to_model_input(open_upload(png, 10**7))

        async def model() -> None:
            served.model.predict(batch)

        junk = np.ones(8 * 2**20 // 8)

        async def prepare_cold() -> None:
            junk.sum()
            started = time.perf_counter()
            to_model_input(open_upload(png, 10**7))
            cold["prepare"] += time.perf_counter() - started

        async def model_cold() -> None:
            junk.sum()
            started = time.perf_counter()
            served.model.predict(batch)
            cold["model"] += time.perf_counter() - started

        async def answer() -> None:
            with app.state.running.versions.lease() as lease:
                [done] = predictions(lease, answers, upload, None, False)
                done.model_dump_json()

        paths = {
            "/healthz, in-process": asgi_call(app, "/healthz", "GET", b""),
            "/predict, in-process": asgi_call(app, "/predict", "POST", png),
            "preparing the PNG alone": prepare,
            "the served model on one image alone": model,
            "building the answer alone": answer,
        }
        colds = {
            "preparing the PNG alone, caches cold": ("prepare", prepare_cold),
            "the served model alone, caches cold": ("model", model_cold),
        }
        cost: dict[str, list[float]] = {name: [] for name in [*paths, *colds]}
        cold = {"prepare": 0.0, "model": 0.0}
        for call in [*paths.values(), *(c for _, c in colds.values())]:
            await microseconds(call, 200)  # warm-up
        for round_ in range(args.rounds):
            for name, call in rotated([*paths.items(), *colds.items()], round_):
                if name in colds:  # the call's own time, not the cache-clearing
                    key, call = call
                    cold[key] = 0.0
                    await microseconds(call, args.calls)
                    cost[name].append(cold[key] / args.calls * 1e6)
                else:
                    cost[name].append(await microseconds(call, args.calls))
    print(f"A lone 28x28 PNG, {args.rounds} rounds of {args.calls} calls; us per call\n")
    print("| what | us | share of /predict |\n|---|---|---|")
    whole = cost["/predict, in-process"]
    for name, values in cost.items():
        shares = [v / w for v, w in zip(values, whole, strict=True)]
        print(f"| {name} | {spread(values)} | {spread(shares, 2, 'x')} |")


if __name__ == "__main__":
    main()
