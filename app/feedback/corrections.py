"""Corrections: a person's label for an answer (by its id, where its input was captured) or for
an image sent with it, checked, stored and counted; and the database's upkeep (migrations at
start, captured inputs deleted after their days). Every database call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from anyio import to_thread

from app.core.config import Settings
from app.core.errors import ApiError
from app.feedback.capture import FLUSH_S, Capture
from app.feedback.labels import Label, fits_one_image
from app.feedback.limits import RateLimiter
from app.feedback.store import FeedbackStore, new_id, now
from app.feedback.tables import CapturedAnswer, Correction
from app.telemetry import Telemetry
from digits.errors import Refusal

log = logging.getLogger("app.feedback")
SECONDS_A_DAY = 86_400


def client_key(host: str | None) -> str:
    """Who sent a correction, kept only as a digest: enough to rate-limit and to tell one
    sender's flood from many people's, not to say who they are."""
    return hashlib.sha256((host or "unknown").encode()).hexdigest()[:16]


@dataclass
class Feedback:
    settings: Settings
    store: FeedbackStore
    capture: Capture
    limiter: RateLimiter
    telemetry: Telemetry

    @classmethod
    def from_settings(cls, settings: Settings, telemetry: Telemetry) -> Feedback:
        store = FeedbackStore(settings.feedback_database_url)
        capture = Capture(store, settings.capture_percent, telemetry.captures_dropped)
        return cls(
            settings, store, capture, RateLimiter(settings.corrections_per_minute), telemetry
        )

    # --- lifetime -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Migrate (a database that is down leaves the service answering, corrections 503
        until it is back) and start the capture writer."""
        try:
            await to_thread.run_sync(self.store.migrate)
        except Refusal as exc:
            log.warning("feedback database not ready, corrections answer 503 until it is: %s", exc)
        self.capture.start()

    async def close(self) -> None:
        await to_thread.run_sync(self.capture.close)
        self.store.close()

    async def keep_tidy(self) -> None:
        """Delete captured answers older than their days, now and then, for as long as the
        service runs."""
        days = self.settings.capture_days
        every = min(3600.0, days * SECONDS_A_DAY / 10)
        while True:
            with contextlib.suppress(Refusal):
                await self.ready()
                gone = await to_thread.run_sync(
                    self.store.forget_answers, now() - timedelta(days=days)
                )
                if gone:
                    log.info("deleted %d captured answers older than %s days", gone, days)
            await asyncio.sleep(every)

    async def ready(self) -> None:
        if not self.store.migrated:
            await to_thread.run_sync(self.store.migrate)

    # --- corrections --------------------------------------------------------------------------

    def admit(self, host: str | None) -> str:
        """The client's key, or a 429 where it has sent too many corrections of late."""
        client = client_key(host)
        wait = self.limiter.retry_after(client)
        if wait is not None:
            raise ApiError(
                429,
                "too_many_requests",
                f"Too many corrections from this client: try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        return client

    async def captured(self, answer_id: str) -> CapturedAnswer | None:
        """The captured answer: this process's queue written first; an answer given by another
        replica is written by its writer within FLUSH_S, so it is looked for a little longer."""
        await to_thread.run_sync(self.capture.flush)
        for wait in (0.0, FLUSH_S, 2 * FLUSH_S):
            await asyncio.sleep(wait)
            answer = await to_thread.run_sync(self.store.answer, answer_id)
            if answer is not None:
                return answer
        return None

    async def correct(self, answer_id: str, label: Label, client: str) -> tuple[Correction, bool]:
        """Correct a captured answer; a second correction of it replaces the first."""
        await self.ready()
        answer = await self.captured(answer_id)
        if answer is None:
            raise ApiError(
                404,
                "answer_not_found",
                f"No captured answer has id {answer_id!r}: only a sampled share of answers is "
                "kept (DIGITS_CAPTURE_PERCENT), for a set number of days. Send the image with "
                "its label instead.",
            )
        if answer.endpoint != "read":
            fits_one_image(label)
        at = now()
        row = Correction(
            id=new_id(),
            answer_id=answer.id,
            created_at=at,
            updated_at=at,
            label=label.text,
            answered=answer.answer,
            version=answer.version,
            client=client,
            images=answer.images,
            inputs=answer.inputs,
        )
        stored, replaced = await to_thread.run_sync(self.store.correct, row)
        if not replaced:
            self.telemetry.corrected(
                stored.version, label.kind, right=stored.answered == label.text
            )
        return stored, replaced
