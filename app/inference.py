"""The model at serving time: loaded once, run by LiteRT, fed by a micro-batcher.

The service runs model.tflite, the trained model.keras compiled by training for LiteRT: this
model then costs ~0.3 ms per network and image instead of the ~2 ms a TensorFlow call spends in
overhead, and serving needs neither TensorFlow nor Keras. Where training calibrated a cascade
(metrics.json's `cascade`), a fast network distilled from the model answers first and only the
images it is unsure of go on to the model itself: the same accuracy for a fraction of the work.
Concurrent requests are coalesced into one call, so throughput grows with load while a lone
request never waits for company that is not coming.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.contract import INPUT_SHAPE, METRICS_FILENAME, NUM_CLASSES, SERVING_FILENAME

log = logging.getLogger("app.inference")


class ModelLoadError(RuntimeError):
    """The model cannot be served; the message is one line an operator can act on."""


def interpreter_class() -> type:
    """LiteRT's own package where it has wheels (Linux, macOS); TensorFlow's copy elsewhere."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        return tf.lite.Interpreter
    return Interpreter


@dataclass
class LiteRTModel:
    """One LiteRT interpreter; not thread-safe, so the batcher makes every call from one thread."""

    interpreter: object
    input_index: int
    output_index: int
    batch: int = 0  # the batch size the interpreter's tensors are allocated for

    @classmethod
    def open(cls, path: Path, threads: int = 1) -> LiteRTModel:
        """Load and check the compiled model, or raise ModelLoadError saying what is wrong."""
        if not path.is_file():
            raise ModelLoadError(
                f"model file not found: {path} (set DIGITS_MODEL_DIR, or compile model.keras "
                "with `python -m training.litert MODEL_DIR`)"
            )
        try:
            interpreter = interpreter_class()(model_path=str(path), num_threads=threads)
        except (ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(f"cannot load model {path}: {reason}") from None
        [given], [output] = interpreter.get_input_details(), interpreter.get_output_details()
        takes, gives = tuple(given["shape_signature"]), tuple(output["shape_signature"])
        if takes[1:] != INPUT_SHAPE or gives[1:] != (NUM_CLASSES,) or given["dtype"] != np.float32:
            raise ModelLoadError(
                f"{path} takes {takes} {given['dtype'].__name__} -> {gives}; the service needs "
                f"(-1, {', '.join(map(str, INPUT_SHAPE))}) float32 -> (-1, {NUM_CLASSES})"
            )
        return cls(interpreter, given["index"], output["index"])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 raw pixels -> (N, 10) probabilities."""
        if len(batch) != self.batch:
            self.interpreter.resize_tensor_input(self.input_index, batch.shape, strict=True)
            self.interpreter.allocate_tensors()
            self.batch = len(batch)
        self.interpreter.set_tensor(self.input_index, np.ascontiguousarray(batch, np.float32))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index)


def unsure(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """The cascade's rule, here and in its calibration: which images the fast network hands on."""
    return probabilities.max(axis=1) < threshold


@dataclass
class Cascade:
    """The fast network first; the images it is unsure of, the full model."""

    fast: LiteRTModel
    full: LiteRTModel
    threshold: float
    on_handed_on: Callable[[int], None] | None = None  # images handed on, per call

    def predict(self, batch: np.ndarray) -> np.ndarray:
        probabilities = self.fast.predict(batch)
        handed_on = np.flatnonzero(unsure(probabilities, self.threshold))
        if len(handed_on):
            probabilities[handed_on] = self.full.predict(batch[handed_on])
            if self.on_handed_on:
                self.on_handed_on(len(handed_on))
        return probabilities


@dataclass
class LoadedModel:
    predict: Callable[[np.ndarray], np.ndarray]  # (N, 28, 28, 1) float32 -> (N, 10) probabilities
    metrics: dict  # metrics.json, its test_accuracy that of what is served (cascade or not)
    path: Path
    parameters: int | None  # as training counted them (metrics.json); both networks' in a cascade
    cascade: Cascade | None = None


def read_metrics(model_dir: Path) -> dict:
    path = model_dir / METRICS_FILENAME
    if not path.exists():
        log.warning("%s not found: /metrics and /model will report no measurements", path)
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} is not valid JSON: {exc}") from None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_cascade(model_dir: Path, full: LiteRTModel, stored: dict, threads: int) -> Cascade | None:
    """The calibrated cascade, or None (with a warning) where its files are not the ones that
    calibration measured: its threshold would then be a guess."""
    files = {name: model_dir / name for name in stored["sha256"]}
    if any(
        not path.is_file() or sha256(path) != stored["sha256"][name] for name, path in files.items()
    ):
        log.warning(
            "%s: the cascade was calibrated for other model files; serving %s alone "
            "(recalibrate: python -m training.cascade %s)",
            model_dir,
            SERVING_FILENAME,
            model_dir,
        )
        return None
    fast = LiteRTModel.open(model_dir / stored["fast_model"], threads)
    return Cascade(fast, full, stored["threshold"])


def load_model(model_dir: Path, threads: int = 1, cascade: bool = True) -> LoadedModel:
    """Load the served model (a cascade where one is calibrated and `cascade` is on) and its
    measurements, or raise ModelLoadError."""
    path = model_dir / SERVING_FILENAME
    full = LiteRTModel.open(path, threads)
    metrics = read_metrics(model_dir)
    stored = metrics.get("cascade")
    served = open_cascade(model_dir, full, stored, threads) if cascade and stored else None
    parameters = metrics.get("model", {}).get("parameters")
    if served:
        metrics = {**metrics, "test_accuracy": stored["test"]["accuracy"]}
        parameters = parameters and parameters + stored["fast_model_parameters"]
    return LoadedModel(
        predict=served.predict if served else full.predict,
        metrics=metrics,
        path=path,
        parameters=parameters,
        cascade=served,
    )


@dataclass(eq=False)
class Job:
    images: np.ndarray  # (k, 28, 28) float32
    future: asyncio.Future


@dataclass
class MicroBatcher:
    """Coalesces concurrent requests into one model call on a dedicated inference thread.

    A batch closes when it reaches `max_batch` images, or when no announced request is still on
    its way (being read or preprocessed), or after `max_wait_s`, whichever comes first. A request
    that finds itself alone is predicted at once, in its own task: no hops to the batcher's.
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
    submitting: int = 0  # requests inside `submit`, deciding whether they are alone
    busy: bool = False  # the batcher task holds jobs: collecting them, or the model runs them

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
        """Probabilities for (k, 28, 28) images, computed in a shared batch, or at once alone."""
        self.submitting += 1
        try:
            await asyncio.sleep(0)  # requests received meanwhile get to start and show up
            alone = (
                self.submitting == 1
                and self.announced == 0
                and not self.busy
                and self.queue.empty()
                and len(images) == 1
            )
        finally:
            self.submitting -= 1
        if alone:  # no batch is running: the interpreter is free, and this task may use it
            return self.call(images[..., np.newaxis])
        job = Job(images, asyncio.get_running_loop().create_future())
        self.queue.put_nowait(job)
        return await job.future

    def call(self, batch: np.ndarray) -> np.ndarray:
        """The model on (N, 28, 28, 1), timed for `on_batch`."""
        started = time.perf_counter()
        probabilities = self.predict(batch)
        if self.on_batch:
            self.on_batch(len(batch), time.perf_counter() - started)
        return probabilities

    async def collect(self) -> list[Job]:
        loop = asyncio.get_running_loop()
        jobs = [self.carry or await self.queue.get()]
        self.carry, self.busy = None, True
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
            try:
                await self.answer(loop, jobs)
            finally:
                self.busy = False

    async def answer(self, loop: asyncio.AbstractEventLoop, jobs: list[Job]) -> None:
        images = jobs[0].images if len(jobs) == 1 else np.concatenate([j.images for j in jobs])
        batch = images[..., np.newaxis]  # a view: no copy for a lone request
        try:
            if len(batch) == 1 and self.announced == 0 and self.queue.empty():
                probabilities = self.call(batch)  # alone: a thread hop would cost more
            else:  # LiteRT releases the GIL: the loop reads the next requests meanwhile
                probabilities = await loop.run_in_executor(self.executor, self.call, batch)
        except Exception as exc:
            log.exception("inference failed for a batch of %d", len(batch))
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        offset = 0
        for job in jobs:
            if not job.future.done():
                job.future.set_result(probabilities[offset : offset + len(job.images)])
            offset += len(job.images)
