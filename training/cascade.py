"""`python -m training cascade [MODEL_DIR]`: let the fast network answer what it is sure of.

The `compact` network distilled from the `default` pair (MODEL_DIR/fast) costs a fifth of it,
and where its top probability is high it nearly always names the digit the pair would. So the
service asks it first and hands only the images it is unsure of to the pair: the pair's accuracy
for a fraction of its work. This step picks the threshold on the validation split (the most
accurate on it; the fewest images handed on among equals), measures the cascade once on the
official test set, and records both in MODEL_DIR/metrics.json with the checksums of the two
compiled files it measured, which the service checks before it trusts the threshold.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from digits.card import CardError, CascadeEvaluation, CascadeRecord, ModelCard
from digits.cascade import unsure
from digits.contract import METRICS_FILENAME, SERVING_FILENAME, as_model_input
from digits.runtime import ModelLoadError, sha256
from training.data import (
    VENDORED_MNIST,
    DataError,
    Digits,
    fingerprint,
    load_idx_dir,
    split_holdout,
)
from training.litert import run_litert

FAST_DIR = "fast"  # where the fast network lives inside the model folder
THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def answer(fast: np.ndarray, full: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The cascade's digits, and which images it handed on, from both stages' probabilities."""
    handed_on = unsure(fast, threshold)
    return np.where(handed_on, full.argmax(axis=1), fast.argmax(axis=1)), handed_on


def measure(
    fast: np.ndarray, full: np.ndarray, labels: np.ndarray, threshold: float
) -> CascadeEvaluation:
    digits, handed_on = answer(fast, full, threshold)
    return CascadeEvaluation(
        accuracy=round(float((digits == labels).mean()), 6),
        errors=int((digits != labels).sum()),
        handed_on=round(float(handed_on.mean()), 6),
    )


def pick_threshold(measured: dict[float, CascadeEvaluation]) -> float:
    """Given each threshold measured on validation images: the most accurate; among equals,
    the one handing on fewest."""
    return max(measured, key=lambda t: (measured[t].accuracy, -t))


def same_split(card: ModelCard, fast: ModelCard, data: Digits) -> tuple[Digits, Digits]:
    """The validation images of both networks, or DataError: calibrating on images either one
    was trained on would flatter the cascade."""
    split = [(c.training["seed"], c.training["validation_size"]) for c in (card, fast)]
    if split[0] != split[1]:
        raise DataError(f"the two networks held out different validation splits: {split}")
    if fingerprint(data) != card.data["train_sha256"]:
        raise DataError("the model was not trained on the vendored MNIST: cannot rebuild its split")
    return split_holdout(data, split[0][1], split[0][0])


def calibrate(model_dir: Path, fast_dir: Path | None = None) -> CascadeRecord:
    """Pick the threshold, measure the cascade, and record it in MODEL_DIR's card."""
    fast_dir = fast_dir or model_dir / FAST_DIR
    card, fast_card = ModelCard.read(model_dir), ModelCard.read(fast_dir)
    _, validation = same_split(card, fast_card, load_idx_dir(VENDORED_MNIST, "train"))
    test = load_idx_dir(VENDORED_MNIST, "test")
    files = {"full": model_dir / SERVING_FILENAME, "fast": fast_dir / SERVING_FILENAME}

    def probabilities(data: Digits) -> dict[str, np.ndarray]:
        images = as_model_input(data.images)
        return {stage: run_litert(path, images) for stage, path in files.items()}

    val, tested = probabilities(validation), probabilities(test)
    on_validation = {t: measure(val["fast"], val["full"], validation.labels, t) for t in THRESHOLDS}
    threshold = pick_threshold(on_validation)
    card.cascade = CascadeRecord(
        name=f"{fast_card.model.name}+{card.model.name}",
        fast_model=files["fast"].relative_to(model_dir).as_posix(),
        fast_model_parameters=fast_card.model.parameters,
        threshold=threshold,
        rule="the fast network answers where its top probability reaches the threshold; "
        "the full model answers the rest",
        validation=on_validation[threshold],
        test=measure(tested["fast"], tested["full"], test.labels, threshold),
        thresholds_on_validation={str(t): figures for t, figures in on_validation.items()},
        sha256={path.relative_to(model_dir).as_posix(): sha256(path) for path in files.values()},
    )
    card.write(model_dir)
    return card.cascade


def main(argv: list[str] | None = None) -> int:
    from training.cli import model_dir_arg

    model_dir = model_dir_arg("cascade", __doc__, argv)
    try:
        cascade = calibrate(model_dir)
    except (DataError, CardError, ModelLoadError, KeyError) as exc:
        print(f"error: cannot calibrate {model_dir}: {exc}", file=sys.stderr)
        return 2
    test = cascade.test
    print(
        f"threshold {cascade.threshold}: test accuracy {test.accuracy:.4%} "
        f"({test.errors} errors), {test.handed_on:.2%} of images handed to the full model; "
        f"recorded in {model_dir / METRICS_FILENAME}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
