"""The int8 networks every upload runs: compiled from their float Keras files, and checked."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from digits.contract import SERVING_FILENAME, as_model_input
from digits.runtime import LiteRTModel
from tests.harness import MODEL_DIR
from training.data import Digits
from training.quantize import NETWORKS, WEIGHTS, quantize


@pytest.mark.parametrize("network", NETWORKS)
def test_the_committed_networks_every_upload_runs_hold_int8_weights(network: str) -> None:
    """Their files store about one byte per parameter (float32 would take four), and their cards
    say so, with how closely the file gives the Keras model's outputs on validation."""
    card = json.loads((MODEL_DIR / network / "metrics.json").read_text())
    size = (MODEL_DIR / network / SERVING_FILENAME).stat().st_size
    assert size < 1.5 * card["model"]["parameters"]
    serving = card["serving"]
    assert serving["weights"] == WEIGHTS and serving["images"] == 5000
    # the largest change on any of 5,000 images: a sigmoid's score moves most where it is
    # steepest, and the detector's threshold is chosen again on the int8 scores (quantize)
    assert serving["same_digit"] >= 0.999 and serving["max_abs_difference"] < 0.15


def test_quantize_compiles_int8_weights_close_to_the_float_network(
    tmp_path, sample_digits: Digits
) -> None:
    """A float compile of the fast network becomes an int8 one: a quarter of the bytes, the same
    digit for nearly every image, and a card that says how close it came."""
    from training.litert import export_litert

    folder = tmp_path / "fast"
    shutil.copytree(MODEL_DIR / "fast", folder, ignore=shutil.ignore_patterns("*.png"))
    import keras

    export_litert(keras.saving.load_model(folder / "model.keras", compile=False), folder)
    float_size = (folder / SERVING_FILENAME).stat().st_size
    pixels = as_model_input(sample_digits.images[:200])
    before = LiteRTModel.open(folder / SERVING_FILENAME).predict(pixels)

    check = quantize(folder, sample_digits.images[:200])

    assert (folder / SERVING_FILENAME).stat().st_size < float_size / 3
    after = LiteRTModel.open(folder / SERVING_FILENAME).predict(pixels)
    assert (after.argmax(axis=1) == before.argmax(axis=1)).mean() >= 0.99
    assert 0 < np.abs(after - before).max() < 0.1  # changed, slightly
    card = json.loads((folder / "metrics.json").read_text())
    assert card["serving"] == check and check["weights"] == WEIGHTS and check["images"] == 200
