"""Inference benchmark: the service's batch path against bare compiled calls of the same model.

The service path is what /predict/batch runs after decoding: the micro-batcher's queue, its
inference thread and the result split, around the served model (the cascade: the fast network,
then the full model for the images it is unsure of). The bare calls are compiled models alone on
a ready array of MNIST test digits: the same cascade on interpreters of its own, the full model
alone (model.tflite), and TensorFlow's `tf.function` of model.keras (the runtime the service
used before; needs the `train` extra). Target: the service path keeps >= 0.9x the bare call's
throughput at batch 1, 64 and 256.

    .venv/bin/python -m bench.inference [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from app.batching import MicroBatcher
from app.core.config import Settings
from app.model import load_model
from digits.contract import INPUT_SHAPE, MODEL_FILENAME
from digits.runtime import LiteRTModel
from training.data import VENDORED_MNIST, load_idx_dir

BATCHES = (1, 64, 256)


Round = Callable[[float], float]  # runs for about N seconds, returns images per second


def sync_round(call: Callable[[], object], batch: int) -> Round:
    def measure(seconds: float) -> float:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            call()
            count += 1
        return count * batch / (time.perf_counter() - started)

    return measure


def service_round(
    loop: asyncio.AbstractEventLoop, batcher: MicroBatcher, images: np.ndarray
) -> Round:
    """Requests submitted one after another inside the running loop, as the service does."""

    async def submit_for(seconds: float) -> float:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            await batcher.submit(images)
            count += 1
        return count * len(images) / (time.perf_counter() - started)

    return lambda seconds: loop.run_until_complete(submit_for(seconds))


def images_per_second(rounds: dict[str, Round], seconds: float) -> dict[str, float]:
    """Median images/s of each path over rounds that alternate between the paths, so that the
    machine's drifts (other processes, clock changes) weigh on all of them alike."""
    rates: dict[str, list[float]] = {name: [] for name in rounds}
    for measure in rounds.values():
        measure(0.05)  # warm-up
    for _ in range(7):
        for name, measure in rounds.items():
            rates[name].append(measure(seconds / 7))
    return {name: statistics.median(values) for name, values in rates.items()}


def event_loop() -> asyncio.AbstractEventLoop:
    """The loop uvicorn runs the service on: uvloop where installed (uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def tensorflow_call(model_dir: Path) -> Callable[[np.ndarray], object] | None:
    """`tf.function` of model.keras, or None where TensorFlow is not installed."""
    try:
        import keras
        import tensorflow as tf
    except ImportError:
        return None
    model = keras.saving.load_model(model_dir / MODEL_FILENAME, compile=False)
    compiled = tf.function(
        lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
    )
    return lambda x: compiled(x).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    settings = Settings()
    loaded = load_model(settings.model_dir, settings.inference_threads, settings.cascade)
    # the same model on interpreters of its own, and the full model alone
    bare = load_model(settings.model_dir, settings.inference_threads, settings.cascade)
    full = LiteRTModel.open(loaded.path, settings.inference_threads)
    tensorflow = tensorflow_call(settings.model_dir)
    digits = load_idx_dir(VENDORED_MNIST, "test").images.astype(np.float32)
    loop = event_loop()
    batcher = MicroBatcher(loaded.predict, max_batch=max(BATCHES))
    loop.run_until_complete(asyncio.sleep(0))
    loop.call_soon(batcher.start)
    served = "cascade" if loaded.cascade else "full model"
    print(
        f"| batch | bare {served} (LiteRT), images/s | service batch path, images/s "
        "| service vs bare | bare full model alone (LiteRT), images/s | service vs full model "
        "| bare TensorFlow call, images/s | service vs TensorFlow |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for batch in BATCHES:
        images = digits[:batch]
        pixels = images[..., np.newaxis]
        rounds = {
            "litert": sync_round(lambda x=pixels: bare.predict(x), batch),
            "service": service_round(loop, batcher, images),
            "full": sync_round(lambda x=pixels: full.predict(x), batch),
        }
        if tensorflow:
            rounds["tensorflow"] = sync_round(lambda x=pixels: tensorflow(x), batch)
        rate = images_per_second(rounds, args.seconds)
        litert, service = rate["litert"], rate["service"]
        row = (
            f"| {batch} | {litert:,.0f} | {service:,.0f} | {service / litert:.2f}x "
            f"| {rate['full']:,.0f} | {service / rate['full']:.2f}x |"
        )
        if tensorflow:
            row += f" {rate['tensorflow']:,.0f} | {service / rate['tensorflow']:.2f}x |"
        else:
            row += " (TensorFlow not installed) | - |"
        print(row)
    loop.run_until_complete(batcher.stop())


if __name__ == "__main__":
    main()
