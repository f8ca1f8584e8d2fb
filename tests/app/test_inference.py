"""The serving runtime: LiteRT on model.tflite, whatever the batch sizes, its fallback, and the
cascade of the fast network and the full model."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from app.inference import Cascade, LiteRTModel, MicroBatcher, interpreter_class, load_model, unsure
from tests.conftest import MODEL_DIR
from training.contract import METRICS_FILENAME, SERVING_FILENAME
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


class Fixed:
    """A stand-in network that answers given rows and records what it was asked."""

    def __init__(self, answers: np.ndarray) -> None:
        self.answers, self.calls = answers, []

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.calls.append(batch[:, 0, 0, 0].astype(int).tolist())
        return self.answers[batch[:, 0, 0, 0].astype(int)].copy()


def test_cascade_hands_only_unsure_images_to_the_full_model() -> None:
    """Image i carries i in its first pixel; the fast network is sure of images 0 and 2 only."""
    fast = np.full((4, 10), 0.02, np.float32)
    fast[[0, 2], 3], fast[[1, 3], 5] = 0.82, 0.5
    full = np.eye(10, dtype=np.float32)[[9, 8, 7, 6]]
    handed: list[int] = []
    cascade = Cascade(Fixed(fast), Fixed(full), threshold=0.8, on_handed_on=handed.append)
    batch = np.arange(4, dtype=np.float32)[:, None, None, None] * np.ones((4, 28, 28, 1))
    answers = cascade.predict(batch)
    assert answers.argmax(axis=1).tolist() == [3, 8, 3, 6]
    assert cascade.full.calls == [[1, 3]] and handed == [2]
    assert unsure(fast, 0.8).tolist() == [False, True, False, True]
    sure = Cascade(Fixed(fast), Fixed(full), threshold=0.5).predict(batch[[0, 2]])
    assert sure.argmax(axis=1).tolist() == [3, 3]  # nobody unsure: the full model is not called


def test_served_cascade_is_its_two_stages_by_the_rule(sample_digits: Digits) -> None:
    loaded = load_model(MODEL_DIR)
    assert loaded.cascade is not None
    stored = loaded.metrics["cascade"]
    pixels = as_model_input(sample_digits.images)
    fast = LiteRTModel.open(MODEL_DIR / stored["fast_model"]).predict(pixels)
    full = LiteRTModel.open(MODEL_DIR / SERVING_FILENAME).predict(pixels)
    expected = np.where(unsure(fast, stored["threshold"])[:, None], full, fast)
    np.testing.assert_allclose(loaded.predict(pixels), expected, atol=1e-6)
    assert (expected.argmax(axis=1) == sample_digits.labels).mean() >= 0.99


def test_a_cascade_calibrated_for_other_files_is_not_trusted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sample_digits: Digits
) -> None:
    """Retrain one network and forget to recalibrate: the full model answers alone, loudly."""
    shutil.copytree(MODEL_DIR, tmp_path / "model", ignore=shutil.ignore_patterns("saved_model"))
    metrics_path = tmp_path / "model" / METRICS_FILENAME
    metrics = json.loads(metrics_path.read_text())
    metrics["cascade"]["sha256"]["fast/model.tflite"] = "0" * 64
    metrics_path.write_text(json.dumps(metrics))
    with caplog.at_level(logging.WARNING, logger="app.inference"):
        loaded = load_model(tmp_path / "model")
    assert loaded.cascade is None and "recalibrate" in caplog.text
    assert loaded.metrics["test_accuracy"] == metrics["test"]["accuracy"]
    pixels = as_model_input(sample_digits.images[:20])
    full = LiteRTModel.open(MODEL_DIR / SERVING_FILENAME).predict(pixels)
    np.testing.assert_allclose(loaded.predict(pixels), full, atol=1e-6)
    assert load_model(MODEL_DIR, cascade=False).cascade is None
