"""`python -m training savedmodel [MODEL_DIR]`: export the model for TensorFlow Serving / KServe.

Writes MODEL_DIR/saved_model/1/ (a TF SavedModel, version 1, as TF Serving expects), with a
`serving_default` signature that takes the same input as the service's model: float32
(batch, 28, 28, 1) raw pixels 0-255, light digit on dark; it returns (batch, 10) probabilities.
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras

from digits.contract import INPUT_SHAPE, MODEL_FILENAME

SAVED_MODEL_DIR = Path("saved_model") / "1"


def export_saved_model(model: keras.Model, model_dir: Path) -> Path:
    """One inference-only signature, its input named `pixels`, its output `probabilities`."""
    import tensorflow as tf

    target = model_dir / SAVED_MODEL_DIR
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serving_default",
        fn=lambda pixels: {"probabilities": model(pixels, training=False)},
        input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name="pixels")],
    )
    archive.write_out(str(target), verbose=False)
    return target


def main(argv: list[str] | None = None) -> int:
    from training.cli import model_dir_arg

    model_dir = model_dir_arg("savedmodel", __doc__, argv)
    model = keras.saving.load_model(model_dir / MODEL_FILENAME, compile=False)
    print(f"SavedModel written to {export_saved_model(model, model_dir)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
