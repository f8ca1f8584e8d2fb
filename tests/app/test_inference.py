"""The serving runtime: LiteRT on model.tflite, whatever the batch sizes, and its fallback."""

from __future__ import annotations

import asyncio
import sys

import numpy as np
import pytest

from app.inference import LiteRTModel, MicroBatcher, interpreter_class
from tests.conftest import MODEL_DIR
from training.contract import SERVING_FILENAME
from training.data import Digits
from training.evaluate import as_model_input


@pytest.fixture(scope="module")
def runtime() -> LiteRTModel:
    return LiteRTModel.open(MODEL_DIR / SERVING_FILENAME)


def test_any_sequence_of_batch_sizes_gives_each_image_the_same_answer(
    runtime: LiteRTModel, sample_digits: Digits
) -> None:
    """Tensors are reallocated whenever the batch size changes; no answer may depend on it."""
    pixels = as_model_input(sample_digits.images[:80])
    one_by_one = np.concatenate([runtime.predict(pixels[i : i + 1]) for i in range(80)])
    assert (one_by_one.argmax(axis=1) == sample_digits.labels[:80]).mean() >= 0.98
    offset = 0
    for size in (5, 64, 1, 7, 3):
        batch = runtime.predict(pixels[offset : offset + size])
        np.testing.assert_allclose(batch, one_by_one[offset : offset + size], atol=1e-5)
        offset += size


def test_tensorflow_fallback_runs_the_same_model(
    monkeypatch: pytest.MonkeyPatch, runtime: LiteRTModel, sample_digits: Digits
) -> None:
    """Where LiteRT has no wheel, TensorFlow's copy of the interpreter serves the same file."""
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    assert interpreter_class().__module__.startswith("tensorflow")
    fallback = LiteRTModel.open(MODEL_DIR / SERVING_FILENAME)
    pixels = as_model_input(sample_digits.images[:50])
    np.testing.assert_allclose(fallback.predict(pixels), runtime.predict(pixels), atol=1e-5)


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
