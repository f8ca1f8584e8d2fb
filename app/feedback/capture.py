"""Capture: a sampled share of answered requests kept, written off the request path.

Answers join a bounded queue and a writer thread stores them in batches, so capturing costs a
request the sampling and an append; a full queue (a database slower than the traffic) drops
what does not fit, counted, rather than slowing answers down. A correction by id first writes
what is queued (`flush`), so that an answer just given can be corrected at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Sequence

import numpy as np
from prometheus_client import Counter

from app.feedback.store import FeedbackStore, now, pack
from app.feedback.tables import CapturedAnswer
from app.telemetry import note_answers
from digits.errors import Refusal

log = logging.getLogger("app.feedback")
QUEUE_LIMIT = 20_000
FLUSH_S = 0.25


class Capture:
    def __init__(self, store: FeedbackStore, percent: float, dropped: Counter) -> None:
        self.store, self.share, self.dropped = store, percent / 100.0, dropped
        self.queue: deque[CapturedAnswer] = deque()
        self.lock = threading.Lock()  # one writer at a time: the thread or a flush
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.share > 0

    def sampled(self) -> bool:
        """Whether the sample takes one more answer (asked only where capture is enabled)."""
        return self.share >= 1 or random.random() < self.share

    def keep(
        self,
        endpoint: str,
        version: str,
        ids: Sequence[str],
        answers: Sequence[str],
        confidences: Sequence[float],
        inputs: Sequence[np.ndarray],
        always: bool = False,
    ) -> None:
        """Queue each answer (its id, what it said, the 28x28 images it was read from) where the
        sample takes it, or `always` (an image sent to be corrected)."""
        note_answers(list(ids))
        if not (always or self.enabled):
            return
        when = now()
        for answer_id, answer, confidence, images in zip(
            ids, answers, confidences, inputs, strict=True
        ):
            if not (always or self.sampled()):
                continue
            if len(self.queue) >= QUEUE_LIMIT:
                self.dropped.inc()
                continue
            self.queue.append(
                CapturedAnswer(
                    id=answer_id,
                    created_at=when,
                    endpoint=endpoint,
                    version=version,
                    answer=answer,
                    confidence=round(float(confidence), 6),
                    images=len(images),
                    inputs=pack(images),
                )
            )

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="capture-writer", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        try:
            self.flush()
        except Refusal as exc:
            log.warning("captured answers not written at shutdown: %s", exc)

    def _run(self) -> None:
        while not self.stop.wait(FLUSH_S):
            try:
                self.flush()
            except Refusal as exc:  # the database is down: keep what fits, try again later
                log.warning("captured answers not written yet: %s", exc)

    def flush(self) -> None:
        """Write everything queued now (in the calling thread); on failure it stays queued."""
        with self.lock:
            batch = [self.queue.popleft() for _ in range(len(self.queue))]
            if not batch:
                return
            try:
                self.store.capture(batch)
            except Refusal:
                self.queue.extendleft(reversed(batch))
                raise
