"""`python -m training quantize [MODEL_DIR]`: int8 weights for the two networks every upload runs.

Every image the service answers runs the cascade's fast network and the not-a-digit detector.
Compiled with their weights stored as int8 (dynamic-range quantisation: activations stay float
and are quantised per image as each layer runs, so no answer depends on its batch), a call reads
a quarter of the weight bytes and runs on XNNPACK's int8 kernels: cheaper alone and in batches
(`bench/results.md`). The ensemble, which answers the few images the fast network is unsure of
and holds the accuracy, stays float32; so do the networks of /read, whose thresholds were chosen
on their float outputs.

Quantising changes the two networks' outputs a little, so what was chosen on them is chosen
again. This step compiles both from their Keras files (`model.keras` stays the float source),
measures each compiled file against its Keras model on the validation split (the card's
`serving`, with `weights: int8`), re-evaluates the fast network's card from the file now served,
then runs `python -m training cascade` and `python -m training detector calibrate`: the
cascade's threshold, the temperature and the detector's threshold chosen again on validation,
the test set read once, after. Run it again after retraining either network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from digits.card import Evaluation, ModelCard
from digits.contract import MODEL_FILENAME, SERVING_FILENAME, as_model_input
from training import cascade, detector
from training.cascade import FAST_DIR
from training.data import VENDORED_MNIST, card_split, load_idx_dir
from training.detector import DETECTOR_DIR

NETWORKS = (FAST_DIR, DETECTOR_DIR)
WEIGHTS = "int8"  # what the card's `serving` says the compiled file stores


def quantize(network_dir: Path, validation_images: np.ndarray) -> dict:
    """Compile the network's Keras file with int8 weights into its model.tflite; its card's
    `serving` says how closely the file gives the Keras model's outputs on validation images."""
    import keras

    from training.litert import agreement, export_litert

    model = keras.saving.load_model(network_dir / MODEL_FILENAME, compile=False)
    path = export_litert(model, network_dir, int8_weights=True)
    check = {**agreement(model, path, as_model_input(validation_images)), "weights": WEIGHTS}
    card = ModelCard.read(network_dir)
    card.serving = check
    card.write(network_dir)
    return check


def evaluate_served(network_dir: Path) -> ModelCard:
    """The fast network's card measured again on what is served now: the compiled file, on its
    validation split and (once, after) the official test set."""
    from training.evaluate import scored
    from training.litert import run_litert

    card = ModelCard.read(network_dir)
    _, validation = card_split(network_dir)
    test = load_idx_dir(VENDORED_MNIST, "test")
    path = network_dir / SERVING_FILENAME
    for split, digits in (("validation", validation), ("test", test)):
        probabilities = run_litert(path, as_model_input(digits.images))
        setattr(card, split, Evaluation(**scored(probabilities, digits.labels)))
    card.test_accuracy = card.test.accuracy
    card.write(network_dir)
    return card


def main(argv: list[str] | None = None) -> int:
    from training.cli import model_dir_arg

    model_dir = model_dir_arg("quantize", __doc__, argv)
    _, validation = card_split(model_dir)
    for name in NETWORKS:
        check = quantize(model_dir / name, validation.images)
        print(f"{model_dir / name / SERVING_FILENAME}: int8 weights; on validation: {check}")
    fast = evaluate_served(model_dir / FAST_DIR)
    print(f"fast network served: validation {fast.validation.accuracy:.4%}")
    return cascade.main([str(model_dir)]) or detector.main(["calibrate", str(model_dir)])


if __name__ == "__main__":
    sys.exit(main())
