"""int8 weights against float32: the two networks every upload runs, compiled both ways.

`compact` (model/fast) and the not-a-digit detector are served with int8 weights
(`python -m training quantize`). Here each is compiled again from its float `model.keras` into
a temporary folder (float32, as `python -m training litert` compiles), and both files run side
by side as the service opens them (`DIGITS_INFERENCE_THREADS`; a lone image on the one-thread
twin) on MNIST test images in turn, at batches of 1, 8 and 64. Rounds alternate (`bench.inference`
rounds); each figure is the median of images per second with the range, and the int8 file's
ratio per round. Needs the `train` extra (TensorFlow compiles the float file).

    .venv/bin/python -m bench.weights [--seconds 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from app.core.config import Settings
from bench.inference import BATCHES, Batches, images_per_second, sync_round, versus
from bench.serve import spread
from digits.contract import MODEL_FILENAME, NUM_CLASSES, SERVING_FILENAME
from digits.runtime import LiteRTModel
from training.data import VENDORED_MNIST, load_idx_dir
from training.detector import DETECTOR_DIR
from training.quantize import NETWORKS


def float_compile(network_dir: Path, folder: Path) -> Path:
    """The network's model.keras compiled with float32 weights, in `folder`."""
    import keras

    from training.litert import export_litert

    folder.mkdir()
    model = keras.saving.load_model(network_dir / MODEL_FILENAME, compile=False)
    return export_litert(model, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    settings = Settings()
    digits = load_idx_dir(VENDORED_MNIST, "test").images.astype(np.float32)
    print(
        "| network | batch | float32, images/s | int8, images/s | int8 vs float32 |\n"
        "|---|---|---|---|---|"
    )
    for name in NETWORKS:
        served = settings.model_dir / name / SERVING_FILENAME
        outputs = 1 if name == DETECTOR_DIR else NUM_CLASSES
        compiled = float_compile(settings.model_dir / name, Path(tempfile.mkdtemp()) / name)
        files = {"float32": compiled, "int8": served}
        opened = {
            kind: LiteRTModel.open(path, settings.inference_threads, outputs=outputs)
            for kind, path in files.items()
        }
        for batch in BATCHES:
            rounds = {k: sync_round(m.predict, Batches(digits, batch)) for k, m in opened.items()}
            rate = images_per_second(rounds, args.seconds)
            print(
                f"| {name} | {batch} | {spread(rate['float32'])} | {spread(rate['int8'])} "
                f"| {versus(rate['int8'], rate['float32'])} |"
            )


if __name__ == "__main__":
    main()
