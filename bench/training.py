"""Training benchmark: per-epoch time and accuracy of each architecture, and time to 99%.

Trains one network of each architecture with the training code itself (`fit_member`: its recipe,
split, seed and early stopping; or --epochs) on the vendored MNIST, evaluating the
official test set after every epoch (a measurement only: model selection in `python -m training`
never looks at the test set), and prints a table per architecture.

    .venv/bin/python -m bench.training [--architectures seed default] [--epochs 5] [--stop-at 0.99]

`--stop-at` ends a run once the test accuracy reaches it, keeping the recipe's own schedule: the
time to 99% of the full `default` recipe without paying for all its epochs.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras

from digits.contract import as_model_input
from training.data import VENDORED_MNIST, load_idx_dir, split_holdout
from training.models import ARCHITECTURES
from training.train import TrainConfig, fit_member


class EpochLog(keras.callbacks.Callback):
    def __init__(self, test_x: np.ndarray, test_y: np.ndarray, stop_at: float | None) -> None:
        super().__init__()
        self.test_x, self.test_y, self.stop_at = test_x, test_y, stop_at
        self.rows: list[tuple[int, float, float, float, float]] = []
        self.started = self.epoch_started = 0.0

    def on_train_begin(self, logs=None) -> None:
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None) -> None:
        seconds = time.perf_counter() - self.epoch_started
        predicted = self.model.predict(self.test_x, batch_size=1000, verbose=0).argmax(axis=1)
        test_accuracy = float((predicted == self.test_y).mean())
        elapsed = time.perf_counter() - self.started
        self.rows.append((epoch + 1, seconds, logs["val_accuracy"], test_accuracy, elapsed))
        if self.stop_at is not None and test_accuracy >= self.stop_at:
            self.model.stop_training = True


def run(name: str, epochs: int | None, stop_at: float | None) -> None:
    """The recipe exactly as `python -m training` runs it (one network), with an epoch log."""
    arch = ARCHITECTURES[name]
    config = TrainConfig(architecture=name, epochs=epochs, verbose=0)
    data = load_idx_dir(VENDORED_MNIST, "train")
    train, validation = split_holdout(data, config.validation_size, config.seed)
    test = load_idx_dir(VENDORED_MNIST, "test")
    log = EpochLog(as_model_input(test.images), test.labels, stop_at)
    model = fit_member(config, 0, train, validation, callbacks=(log,)).model
    networks = f", one of the {arch.members} networks it averages" if arch.members > 1 else ""
    size = f"{model.count_params():,} parameters, batch {arch.batch_size}{networks}"
    print(f"\n### `{name}` ({size})\n")
    print("| epoch | seconds | validation accuracy | test accuracy |\n|---|---|---|---|")
    for epoch, seconds, val_acc, test_acc, _ in log.rows:
        print(f"| {epoch} | {seconds:.1f} | {val_acc:.4f} | {test_acc:.4f} |")
    reached = next((row for row in log.rows if row[3] >= 0.99), None)
    when = f"epoch {reached[0]}, {reached[4]:.0f} s" if reached else "not reached"
    print(f"\nTime to 99% test accuracy: {when}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--architectures", nargs="+", default=sorted(ARCHITECTURES))
    parser.add_argument("--epochs", type=int, help="default: each architecture's recipe")
    parser.add_argument("--stop-at", type=float, help="stop once test accuracy reaches this")
    args = parser.parse_args()
    for name in args.architectures:
        run(name, args.epochs, args.stop_at)


if __name__ == "__main__":
    main()
