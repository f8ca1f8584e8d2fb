"""The model at serving time: loaded once, run as a compiled graph, fed by a micro-batcher.

`model.predict` costs tens of milliseconds per call in Python overhead; a traced `tf.function`
of the same model costs about a millisecond. Concurrent requests are coalesced into one call,
so throughput grows with load while a lone request never waits for company that is not coming.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.contract import INPUT_SHAPE, METRICS_FILENAME, MODEL_FILENAME, NUM_CLASSES

log = logging.getLogger("app.inference")


class ModelLoadError(RuntimeError):
    """The model cannot be served; the message is one line an operator can act on."""


@dataclass
class LoadedModel:
    predict: Callable[[np.ndarray], np.ndarray]  # (N, 28, 28, 1) float32 -> (N, 10) probabilities
    metrics: dict
    path: Path
    parameters: int


def read_metrics(model_dir: Path) -> dict:
    path = model_dir / METRICS_FILENAME
    if not path.exists():
        log.warning("%s not found: /metrics and /model will report no measurements", path)
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} is not valid JSON: {exc}") from None


def load_model(model_dir: Path) -> LoadedModel:
    """Load and check the model, or raise ModelLoadError saying exactly what is wrong."""
    path = model_dir / MODEL_FILENAME
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path} (set DIGITS_MODEL_DIR)")
    import keras
    import tensorflow as tf

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many kinds for a bad file; all mean the same here
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load model {path}: {reason}") from None
    if tuple(model.input_shape[1:]) != INPUT_SHAPE or model.output_shape[-1] != NUM_CLASSES:
        raise ModelLoadError(
            f"{path} takes {model.input_shape} -> {model.output_shape}; "
            f"the service needs (None, {', '.join(map(str, INPUT_SHAPE))}) -> (None, {NUM_CLASSES})"
        )
    compiled = tf.function(
        lambda images: model(images, training=False),
        input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
        reduce_retracing=True,
    )
    return LoadedModel(
        predict=lambda batch: compiled(batch).numpy(),
        metrics=read_metrics(model_dir),
        path=path,
        parameters=model.count_params(),
    )


@dataclass(eq=False)
class Job:
    images: np.ndarray  # (k, 28, 28) float32
    future: asyncio.Future


@dataclass
class MicroBatcher:
    """Coalesces concurrent requests into one model call on a dedicated inference thread.

    A batch closes when it reaches `max_batch` images, or when no announced request is still on
    its way (being read or preprocessed), or after `max_wait_s`, whichever comes first.
    """

    predict: Callable[[np.ndarray], np.ndarray]
    max_batch: int = 64
    max_wait_s: float = 0.001
    on_batch: Callable[[int, float], None] | None = None  # (images, seconds) per model call
    announced: int = 0
    queue: asyncio.Queue[Job] = field(default_factory=asyncio.Queue)
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="inference")
    )
    task: asyncio.Task | None = None
    carry: Job | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name="micro-batcher")

    async def stop(self) -> None:
        """Finish what is queued, then stop; called after the server stopped taking requests."""
        while not self.queue.empty():
            await asyncio.sleep(0.001)
        if self.task:
            self.task.cancel()
        self.executor.shutdown(wait=True)

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Wrap the reading and preprocessing of a request that will submit: while it runs, a
        forming batch is worth holding open for it."""
        self.announced += 1
        try:
            yield
        finally:
            self.announced -= 1

    async def submit(self, images: np.ndarray) -> np.ndarray:
        """Probabilities for (k, 28, 28) images, computed in a shared batch."""
        job = Job(images, asyncio.get_running_loop().create_future())
        self.queue.put_nowait(job)
        return await job.future

    async def collect(self) -> list[Job]:
        loop = asyncio.get_running_loop()
        jobs = [self.carry or await self.queue.get()]
        self.carry = None
        size = len(jobs[0].images)
        deadline = loop.time() + self.max_wait_s
        while size < self.max_batch:
            if self.queue.empty():
                if self.announced == 0 or loop.time() >= deadline:
                    break
                await asyncio.sleep(0.0002)  # a request still being read will join shortly
                continue
            job = self.queue.get_nowait()
            if size + len(job.images) > self.max_batch:
                self.carry = job  # a request's images stay together: it opens the next batch
                break
            jobs.append(job)
            size += len(job.images)
        return jobs

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self.collect()
            batch = np.concatenate([job.images for job in jobs])[..., np.newaxis]
            started = loop.time()
            try:
                probabilities = await loop.run_in_executor(self.executor, self.predict, batch)
            except Exception as exc:
                log.exception("inference failed for a batch of %d", len(batch))
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            if self.on_batch:
                self.on_batch(len(batch), loop.time() - started)
            offset = 0
            for job in jobs:
                if not job.future.done():
                    job.future.set_result(probabilities[offset : offset + len(job.images)])
                offset += len(job.images)
