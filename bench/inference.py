"""Inference benchmark: the service's batch path against a bare compiled call of the same model.

The service path is what /predict/batch runs after decoding: the micro-batcher's queue, its
inference thread and the result split. The bare call is `tf.function(model)` on a ready tensor.
Target: the service path keeps >= 0.9x the bare call's throughput at batch 1, 64 and 256.

    .venv/bin/python -m bench.inference [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from app.core.config import Settings
from app.inference import MicroBatcher, load_model
from training.data import VENDORED_MNIST, load_idx_dir

BATCHES = (1, 64, 256)


def images_per_second(call: Callable[[], object], batch: int, seconds: float) -> float:
    """Median over rounds of images/s, after a warm-up call."""
    call()
    rounds = []
    for _ in range(5):
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / 5:
            call()
            count += 1
        rounds.append(count * batch / (time.perf_counter() - started))
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    import tensorflow as tf

    loaded = load_model(Settings().model_dir)
    digits = load_idx_dir(VENDORED_MNIST, "test").images.astype(np.float32)
    loop = asyncio.new_event_loop()
    batcher = MicroBatcher(loaded.predict, max_batch=max(BATCHES))
    loop.run_until_complete(asyncio.sleep(0))
    loop.call_soon(batcher.start)
    print("| batch | bare compiled call, images/s | service batch path, images/s | ratio |")
    print("|---|---|---|---|")
    for batch in BATCHES:
        images = digits[:batch]
        tensor = tf.constant(images[..., np.newaxis])
        bare = images_per_second(lambda t=tensor: loaded.predict(t), batch, args.seconds)
        service = images_per_second(
            lambda x=images: loop.run_until_complete(batcher.submit(x)), batch, args.seconds
        )
        print(f"| {batch} | {bare:,.0f} | {service:,.0f} | {service / bare:.2f}x |")
    loop.run_until_complete(batcher.stop())


if __name__ == "__main__":
    main()
