"""`python -m training litert [MODEL_DIR]`: compile model.keras into the model.tflite served.

The service runs the compiled file (`digits.runtime`: cheaper calls than TensorFlow's, and no
TensorFlow or Keras at run time; `bench/results.md` has the figures).
The conversion keeps float32 weights, and `agreement` measures it: the two files must give the
same digit for every test image and probabilities within `TOLERANCE`. (The two networks every
upload runs are compiled with int8 weights instead: `training.quantize`.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

from digits.card import ModelCard
from digits.contract import MODEL_FILENAME, NUM_CLASSES, SERVING_FILENAME
from digits.runtime import LiteRTModel

TOLERANCE = 1e-4  # float32 kernels differ in summation order, not in what they compute


def export_litert(model: keras.Model, model_dir: Path, int8_weights: bool = False) -> Path:
    """Write MODEL_DIR/model.tflite, taking (batch, 28, 28, 1) with a dynamic batch size; with
    `int8_weights`, its weights stored as int8 (dynamic-range quantisation: activations stay
    float, quantised per image as each layer runs, so no answer depends on its batch)."""
    import tensorflow as tf

    # from_keras_model, not from_concrete_functions: the latter wrote NaN-producing files for
    # models built in the same process (TF 2.21), which `agreement` caught
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8_weights:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    target = model_dir / SERVING_FILENAME
    target.write_bytes(converter.convert())
    return target


def run_litert(
    path: Path, images: np.ndarray, batch_size: int = 256, outputs: int = NUM_CLASSES
) -> np.ndarray:
    """Probabilities from the compiled file, through the same runtime the service uses."""
    network = LiteRTModel.open(path, outputs=outputs, inputs=images.shape[1:])
    return network.predict_all(images, batch_size)


def agreement(model: keras.Model, path: Path, images: np.ndarray) -> dict:
    """How closely the compiled file reproduces the Keras model on `images` (N, 28, 28, 1), or
    the piece judge's inputs."""
    expected = model.predict(images, batch_size=256, verbose=0)
    actual = run_litert(path, images, outputs=expected.shape[1])
    return {
        "file": path.name,
        "images": len(images),
        "same_digit": float(np.mean(expected.argmax(1) == actual.argmax(1))),
        "max_abs_difference": float(np.abs(expected - actual).max()),
    }


def main(argv: list[str] | None = None) -> int:
    from digits.contract import as_model_input
    from training.cli import model_dir_arg
    from training.data import VENDORED_MNIST, load_idx_dir

    model_dir = model_dir_arg("litert", __doc__, argv)
    model = keras.saving.load_model(model_dir / MODEL_FILENAME, compile=False)
    path = export_litert(model, model_dir)
    test = load_idx_dir(VENDORED_MNIST, "test")
    check = agreement(model, path, as_model_input(test.images))
    print(f"{path} written; on the MNIST test set: {check}")
    if ModelCard.exists(model_dir):  # keep the card describing the files beside it
        card = ModelCard.read(model_dir)
        card.serving = check
        card.write(model_dir)
    ok = check["same_digit"] == 1.0 and check["max_abs_difference"] <= TOLERANCE
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
