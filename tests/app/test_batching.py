"""The micro-batcher: requests batched together each get their own rows."""

from __future__ import annotations

import asyncio

import numpy as np

from app.batching import MicroBatcher
from digits.runtime import LiteRTModel
from training.data import Digits


def test_batcher_returns_each_request_its_own_rows(
    runtime: LiteRTModel, sample_digits: Digits
) -> None:
    """Requests of different sizes, batched together, each get their own images' answers."""
    images = sample_digits.images.astype(np.float32)
    sizes = [1, 3, 1, 10, 2, 1, 64, 5]  # 64 cannot share a batch of max 64: it opens its own
    starts = np.cumsum([0, *sizes[:-1]])
    expected = runtime.predict(images[: sum(sizes), ..., np.newaxis])
    batches: list[int] = []

    async def scenario() -> list[np.ndarray]:
        batcher = MicroBatcher(
            runtime.predict, max_batch=64, on_batch=lambda n, _: batches.append(n)
        )
        batcher.start()
        try:
            return await asyncio.gather(
                *(batcher.submit(images[s : s + n]) for s, n in zip(starts, sizes, strict=True))
            )
        finally:
            await batcher.stop()

    answers = asyncio.run(scenario())
    for start, size, answer in zip(starts, sizes, answers, strict=True):
        np.testing.assert_allclose(answer, expected[start : start + size], atol=1e-5)
    assert sum(batches) == sum(sizes) and max(batches) <= 64 and len(batches) < len(sizes)
