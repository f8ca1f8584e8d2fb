"""The LiteRT runtime on model.tflite, whatever the batch sizes, and its TensorFlow fallback."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from digits.contract import SERVING_FILENAME, as_model_input
from digits.runtime import LiteRTModel, interpreter_class
from tests.harness import MODEL_DIR
from training.data import Digits


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


@pytest.mark.parametrize("network", ["fast", "detector"])
def test_one_image_on_the_one_thread_twin_is_answered_as_in_a_batch(
    network: str, sample_digits: Digits
) -> None:
    """Opened on two threads, a network answers a lone image on its one-thread twin: the same
    answer, to the bit, as in a batch on two threads (the int8 networks too, whose activations
    are quantised per image)."""
    outputs = 1 if network == "detector" else 10
    model = LiteRTModel.open(MODEL_DIR / network / SERVING_FILENAME, threads=2, outputs=outputs)
    assert model.lone is not None and model.lone.lone is None
    pixels = as_model_input(sample_digits.images[:24])
    alone = np.concatenate([model.predict(pixels[i : i + 1]) for i in range(24)])
    assert model.lone.batch == 1 and model.batch == 0  # the twin answered every lone image
    np.testing.assert_array_equal(model.predict(pixels), alone)
    assert model.batch == 24
    assert LiteRTModel.open(MODEL_DIR / network / SERVING_FILENAME, outputs=outputs).lone is None


def test_tensorflow_fallback_runs_the_same_model(
    monkeypatch: pytest.MonkeyPatch, runtime: LiteRTModel, sample_digits: Digits
) -> None:
    """Where LiteRT has no wheel, TensorFlow's copy of the interpreter serves the same file."""
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    assert interpreter_class().__module__.startswith("tensorflow")
    fallback = LiteRTModel.open(MODEL_DIR / SERVING_FILENAME)
    pixels = as_model_input(sample_digits.images[:50])
    np.testing.assert_allclose(fallback.predict(pixels), runtime.predict(pixels), atol=1e-5)


def test_a_model_file_written_over_does_not_change_the_running_model(
    tmp_path, sample_digits: Digits
) -> None:
    """Training writes model.tflite in place; a server that had mapped the file would then run
    garbage (a soak saw 500s when a retrained model was written under it). The interpreter
    holds its own copy."""
    fast = (MODEL_DIR / "fast" / SERVING_FILENAME).read_bytes()
    path = tmp_path / SERVING_FILENAME
    path.write_bytes(fast)
    model = LiteRTModel.open(path)
    pixels = as_model_input(sample_digits.images[:20])
    before = model.predict(pixels)
    with path.open("r+b") as file:  # in place, as open(path, "wb") does: the same inode
        file.write(bytes(len(fast)))
    np.testing.assert_array_equal(model.predict(pixels[:7]), before[:7])
    np.testing.assert_array_equal(model.predict(pixels), before)
