"""Inference benchmark: the service's batch path against bare compiled calls of the same model.

The service path is what a request runs after decoding, `MicroBatcher.submit` around the served
model (the cascade, screened by the not-a-digit detector): at batch 1 a lone request, which the
batcher answers in the request's own task (no queue, no thread hop); at 8 and 64 (the service's
cap on a batch) the queue, the inference thread and the result split. The bare calls are
compiled models alone: the same served model on interpreters of its own, the full model alone
(model.tflite), and TensorFlow's `tf.function` of model.keras (needs the `train` extra). Every
call takes the next images of the whole MNIST test set in turn, so the cascade hands on as many
as real digits make it. Seven rounds alternate between the paths; each figure is the median
with the range, and the ratios are per round. Target: the service path >= 0.9x the bare call.

    .venv/bin/python -m bench.inference [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from app.batching import MicroBatcher
from app.core.config import Settings
from bench.serve import spread
from digits.contract import INPUT_SHAPE, MODEL_FILENAME
from digits.runtime import LiteRTModel
from digits.served import load_model
from tests.harness import rotated
from training.data import VENDORED_MNIST, load_idx_dir

BATCHES = (1, 8, 64)  # 64: the service's largest model call (DIGITS_BATCH_MAX_SIZE)
ROUNDS = 7


Round = Callable[[float], float]  # runs for about N seconds, returns images per second


class Batches:
    """The test set's images `batch` at a time, in turn, round and round."""

    def __init__(self, images: np.ndarray, batch: int) -> None:
        self.images, self.batch, self.at = images, batch, 0

    def next(self) -> np.ndarray:
        if self.at + self.batch > len(self.images):
            self.at = 0
        self.at += self.batch
        return self.images[self.at - self.batch : self.at]


def sync_round(call: Callable[[np.ndarray], object], batches: Batches) -> Round:
    def measure(seconds: float) -> float:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            call(batches.next()[..., np.newaxis])
            count += 1
        return count * batches.batch / (time.perf_counter() - started)

    return measure


def service_round(
    loop: asyncio.AbstractEventLoop, batcher: MicroBatcher, batches: Batches
) -> Round:
    """Requests submitted one after another inside the running loop, as the service does."""

    async def submit_for(seconds: float) -> float:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            await batcher.submit(batches.next())
            count += 1
        return count * batches.batch / (time.perf_counter() - started)

    return lambda seconds: loop.run_until_complete(submit_for(seconds))


def images_per_second(rounds: dict[str, Round], seconds: float) -> dict[str, list[float]]:
    """Images/s of each path in every round; the rounds alternate between the paths, so that
    the machine's drifts (other processes, clock changes) weigh on all of them alike."""
    rates: dict[str, list[float]] = {name: [] for name in rounds}
    for measure in rounds.values():
        measure(0.05)  # warm-up
    for round_ in range(ROUNDS):
        for name, measure in rotated(list(rounds.items()), round_):
            rates[name].append(measure(seconds / ROUNDS))
    return rates


def versus(a: list[float], b: list[float]) -> str:
    """Per-round ratio a/b: median (range)."""
    return spread([x / y for x, y in zip(a, b, strict=True)], 2, "x")


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
    print(
        f"| batch | bare {loaded.answering.name} (LiteRT), images/s | service path, images/s "
        "| service vs bare | bare full model alone, images/s | service vs full model "
        "| bare TensorFlow call (full model), images/s | service vs TensorFlow "
        "| the full model: LiteRT vs TensorFlow |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for batch in BATCHES:
        rounds = {
            "litert": sync_round(bare.predict, Batches(digits, batch)),
            "service": service_round(loop, batcher, Batches(digits, batch)),
            "full": sync_round(full.predict, Batches(digits, batch)),
        }
        if tensorflow:
            rounds["tensorflow"] = sync_round(tensorflow, Batches(digits, batch))
        rate = images_per_second(rounds, args.seconds)
        service = rate["service"]
        row = (
            f"| {batch} | {spread(rate['litert'])} | {spread(service)} "
            f"| {versus(service, rate['litert'])} | {spread(rate['full'])} "
            f"| {versus(service, rate['full'])} |"
        )
        if tensorflow:
            row += (
                f" {spread(rate['tensorflow'])} | {versus(service, rate['tensorflow'])} "
                f"| {versus(rate['full'], rate['tensorflow'])} |"
            )
        else:
            row += " (TensorFlow not installed) | - | - |"
        print(row)
    loop.run_until_complete(batcher.stop())


if __name__ == "__main__":
    main()
