"""Each member of the shipped ensemble alone, and the ensemble, on validation and test.

For the report only: the members and their number were chosen without these test figures (the
ensemble takes every member trained, as many as the CPU allowed).

    .venv/bin/python -m bench.members [--members-dir model/members]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from digits.contract import as_model_input
from training.data import VENDORED_MNIST, load_idx_dir, split_holdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members-dir", type=Path, default=Path("model/members"))
    args = parser.parse_args()
    shipped = {
        m["seed"] for m in json.loads(Path("model/metrics.json").read_text())["training"]["members"]
    }
    paths = [  # the members the shipped model averages (later members may wait in the folder)
        path
        for path in sorted(args.members_dir.glob("*.keras"))
        if json.loads(path.with_suffix(".json").read_text())["seed"] in shipped
    ]
    split = json.loads(paths[0].with_suffix(".json").read_text())["split"]
    train = load_idx_dir(VENDORED_MNIST, "train")
    _, validation = split_holdout(train, split["validation_size"], split["seed"])
    test = load_idx_dir(VENDORED_MNIST, "test")
    sets = {"validation": validation, "test": test}
    summed = {name: 0.0 for name in sets}
    print("| network | validation accuracy | test accuracy (errors) |")
    print("|---|---|---|")
    tested = []
    for path in paths:
        model = keras.saving.load_model(path, compile=False)
        row = {}
        for name, data in sets.items():
            probabilities = model.predict(as_model_input(data.images), batch_size=1000, verbose=0)
            summed[name] = summed[name] + probabilities
            row[name] = int((probabilities.argmax(axis=1) != data.labels).sum())
        tested.append(1 - row["test"] / len(test))
        print(
            f"| {path.stem} | {1 - row['validation'] / len(validation):.2%} "
            f"| {tested[-1]:.2%} ({row['test']}) |"
        )
    errors = {n: int((np.argmax(summed[n], axis=1) != d.labels).sum()) for n, d in sets.items()}
    print(
        f"| ensemble of {len(paths)} (averaged) | {1 - errors['validation'] / len(validation):.2%} "
        f"| {1 - errors['test'] / len(test):.2%} ({errors['test']}) |"
    )
    print(
        f"\nSingle networks on test: mean {statistics.mean(tested):.2%}, "
        f"range {min(tested):.2%}-{max(tested):.2%}, standard deviation "
        f"{statistics.stdev(tested):.3%}"
    )


if __name__ == "__main__":
    main()
