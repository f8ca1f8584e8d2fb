"""The model's input/output contract: the one place training and serving agree on.

A model takes raw pixel values (0-255, light digit on dark background, as in MNIST) shaped
(batch, 28, 28, 1); scaling and augmentation live inside the model, so serving cannot drift
from training. It returns one probability per label.
"""

import numpy as np

IMAGE_SIZE = 28
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
PIXEL_MAX = 255
LABELS: tuple[int, ...] = tuple(range(10))
NUM_CLASSES = len(LABELS)
# what an image that holds no digit is answered (422) and labelled (corrections) as
NOT_A_DIGIT = "not_a_digit"

# MNIST's own construction: the digit fits a 20x20 box inside the 28x28 frame, centred by mass.
DIGIT_BOX = 20
# the largest upload opened (width x height) unless a deployment sets DIGITS_MAX_PIXELS; the
# project's own generated images are opened under the same limit
MAX_PIXELS = 16_000_000

MODEL_FILENAME = "model.keras"  # the trained model, what training writes and tests evaluate
SERVING_FILENAME = "model.tflite"  # the same model compiled for LiteRT, what the service runs
METRICS_FILENAME = "metrics.json"


def describe() -> dict:
    """The contract as data, for /model and metrics.json."""
    return {
        "shape": list(INPUT_SHAPE),
        "dtype": "float32",
        "pixel_range": [0, PIXEL_MAX],
        "polarity": "light digit on dark background",
        "labels": list(LABELS),
    }


def as_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) raw pixels, the contract's input."""
    return images.astype(np.float32)[..., np.newaxis]
