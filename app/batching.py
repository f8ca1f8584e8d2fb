"""Micro-batching: concurrent requests share one model call, on one inference thread.

Throughput grows with load because a model call on 64 images costs far less than 64 calls on
one (`bench/results.md`), while a request that is alone is answered at once, never held for
company that is not coming. Alone means: the interpreter is free and no other request is queued
or on its way (its body being read or its image prepared). It is decided without first yielding
to the event loop: a request that has not started yet would only wait for this one's call, and
on small images the shared call, its thread hop and its futures cost more than the calls they
replace (`bench/results.md`, the batching policy).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("app.batching")

Predict = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28, 1) float32 -> (N, 10)


@dataclass(eq=False)
class Job:
    images: np.ndarray  # (k, 28, 28) float32
    future: asyncio.Future


@dataclass(eq=False)
class Announced:
    """One request's announcement to a batcher; withdrawn once, however often it is asked."""

    batcher: MicroBatcher
    withdrawn: bool = False

    def withdraw(self) -> None:
        if not self.withdrawn:
            self.withdrawn = True
            self.batcher._announced -= 1


class MicroBatcher:
    """Coalesces concurrent requests into one model call on a dedicated inference thread.

    A batch closes when it reaches `max_batch` images, or when no announced request is still on
    its way (being read or preprocessed), or after `max_wait_s`, whichever comes first.
    """

    def __init__(
        self,
        predict: Predict,
        max_batch: int = 64,
        max_wait_s: float = 0.001,
        on_batch: Callable[[int, float], None] | None = None,  # (images, seconds) per call
    ) -> None:
        self.predict = predict
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.on_batch = on_batch
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="inference")
        self._task: asyncio.Task | None = None
        self._carry: Job | None = None  # a job that did not fit: it opens the next batch
        self._announced = 0  # requests being read or preprocessed that will submit
        self._busy = False  # the batcher's task holds jobs: collecting them, or running them

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Finish what is queued, then stop; called after the server stopped taking requests."""
        while not self._queue.empty() or self._busy:
            await asyncio.sleep(0.001)
        if self._task:
            self._task.cancel()
        self._executor.shutdown(wait=True)

    def announce(self) -> Announced:
        """A request that will submit, from its start (its body still to read and prepare) to
        its submit: while it is on its way, a forming batch is worth holding open for it."""
        self._announced += 1
        return Announced(self)

    def _alone(self, images: int) -> bool:
        """One image, and no other request queued or on its way: batching it with others would
        only make it wait."""
        return images == 1 and self._announced == 0 and self._queue.empty()

    async def submit(self, images: np.ndarray, announced: Announced | None = None) -> np.ndarray:
        """Probabilities for (k, 28, 28) images, computed in a shared batch, or at once alone;
        the request's announcement, if any, is withdrawn: it is no longer on its way."""
        if announced is not None:
            announced.withdraw()
        if self._alone(len(images)) and not self._busy:  # and the interpreter is free
            # no thread hop, no batcher task: this task calls the model itself
            return self._call(images[..., np.newaxis])
        job = Job(images, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(job)
        return await job.future

    def _call(self, batch: np.ndarray) -> np.ndarray:
        """The model on (N, 28, 28, 1), timed for `on_batch`."""
        started = time.perf_counter()
        probabilities = self.predict(batch)
        if self.on_batch:
            self.on_batch(len(batch), time.perf_counter() - started)
        return probabilities

    async def _collect(self) -> list[Job]:
        loop = asyncio.get_running_loop()
        jobs = [self._carry or await self._queue.get()]
        self._carry, self._busy = None, True
        size = len(jobs[0].images)
        deadline = loop.time() + self.max_wait_s
        while size < self.max_batch:
            if self._queue.empty():
                if self._announced == 0 or loop.time() >= deadline:
                    break
                await asyncio.sleep(0.0002)  # a request still being read will join shortly
                continue
            job = self._queue.get_nowait()
            if size + len(job.images) > self.max_batch:
                self._carry = job  # a request's images stay together: it opens the next batch
                break
            jobs.append(job)
            size += len(job.images)
        return jobs

    async def _run(self) -> None:
        while True:
            jobs = await self._collect()
            try:
                await self._answer(jobs)
            finally:
                self._busy = self._carry is not None

    async def _answer(self, jobs: list[Job]) -> None:
        images = jobs[0].images if len(jobs) == 1 else np.concatenate([j.images for j in jobs])
        batch = images[..., np.newaxis]  # a view: no copy for a lone request
        try:
            if self._alone(len(batch)):  # a thread hop would cost more than the call
                probabilities = self._call(batch)
            else:  # LiteRT releases the GIL: the loop reads the next requests meanwhile
                loop = asyncio.get_running_loop()
                probabilities = await loop.run_in_executor(self._executor, self._call, batch)
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
