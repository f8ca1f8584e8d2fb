"""`python -m training [STEP] ...`: every training step behind one command.

With no step (or `train`), trains a model on MNIST (or another layout) and writes it to model/;
the other steps each live in their own module (`python -m training STEP --help`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from digits.contract import METRICS_FILENAME, MODEL_FILENAME
from training.data import FORMATS, VENDORED_MNIST, DataError, Digits, load_source, mnist_checksums
from training.models import ARCHITECTURES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training [train]",
        description="Train a digit classifier, evaluate it on the official MNIST test set, "
        f"and write {MODEL_FILENAME}, {METRICS_FILENAME} and plots to the output directory.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=VENDORED_MNIST,
        help="training data: an MNIST IDX directory, a folder of images "
        "(<label>.<n>.png or <label>/*.png) or a Kaggle CSV",
    )
    parser.add_argument("--format", choices=FORMATS, default="auto", help="layout of --data")
    parser.add_argument(
        "--test-data",
        type=Path,
        default=VENDORED_MNIST,
        help="test data, used once after training (default: official MNIST test set)",
    )
    parser.add_argument("--test-format", choices=FORMATS, default="auto")
    parser.add_argument("--architecture", choices=sorted(ARCHITECTURES), default="default")
    parser.add_argument("--epochs", type=int, help="default: the architecture's recipe")
    parser.add_argument("--batch-size", type=int, help="default: the architecture's recipe")
    parser.add_argument(
        "--validation-size",
        type=int,
        default=5000,
        help="images held out of training for model selection",
    )
    parser.add_argument(
        "--limit", type=int, help="use only the first N training images (quick runs)"
    )
    parser.add_argument(
        "--members",
        type=int,
        help="networks to train (seeds SEED, SEED+1, ...) and average (default: the recipe's)",
    )
    parser.add_argument("--seed", type=int, default=42, help="same seed, same model")
    parser.add_argument(
        "--patience", type=int, help="early-stopping patience in epochs (default: the recipe's)"
    )
    parser.add_argument(
        "--teacher",
        type=Path,
        help="for an architecture that is distilled (compact): learn from this model.keras "
        "instead of training the teacher first",
    )
    parser.add_argument("--output-dir", type=Path, default=Path("model"))
    return parser.parse_args(argv)


def load_data(args: argparse.Namespace) -> tuple[Digits, Digits, dict]:
    data = load_source(args.data, args.format, split="train")
    if args.limit:
        data = data.subset(slice(0, args.limit))
    test = load_source(args.test_data, args.test_format, split="test")
    info = {
        "source": str(args.data),
        "test_source": str(args.test_data),
        "mnist_file_sha256": mnist_checksums(args.data) if args.data.is_dir() else {},
    }
    return data, test, info


STEPS = {  # `python -m training STEP ...`: the module whose main(argv) runs it
    "members": "training.members",  # an ensemble, one member per run
    "widen": "training.widen",  # fine-tune the cascade's networks on digits beyond MNIST
    "cascade": "training.cascade",  # the fast network's threshold
    "detector": "training.detector",  # the not-a-digit detector, and calibration
    "judge": "training.judge",  # /read's piece judge
    "slash": "training.slash",  # /read's slash reader
    "gaps": "training.gaps",  # /read's gap reader
    "litert": "training.litert",  # recompile model.keras for LiteRT, checked
    "quantize": "training.quantize",  # int8 weights for the fast network and the detector
    "savedmodel": "training.savedmodel",
    "corrections": "training.corrections",  # a new version from people's corrections
    "publish": "training.publish",  # into a model repository, as a new version
    "export": "training.export",  # MNIST as a folder of images, in the seed's layout
}


def model_dir_arg(step: str, description: str | None, argv: list[str] | None) -> Path:
    """The one argument of the steps that work on a model folder."""
    parser = argparse.ArgumentParser(prog=f"python -m training {step}", description=description)
    parser.add_argument("model_dir", nargs="?", type=Path, default=Path("model"))
    return parser.parse_args(argv).model_dir


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if argv and argv[0] in STEPS:
        import importlib

        return importlib.import_module(STEPS[argv[0]]).main(argv[1:])
    if argv and argv[0] == "train":
        argv = argv[1:]
    elif argv and argv[0] in ("-h", "--help"):
        print(__doc__ + "\nsteps: train (the default), " + ", ".join(STEPS) + "\n")
    args = parse_args(argv)
    try:
        data, test, info = load_data(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from training.train import TrainConfig, train  # TensorFlow loads only once the data is good

    config = TrainConfig(
        architecture=args.architecture,
        epochs=args.epochs,
        batch_size=args.batch_size,
        members=args.members,
        validation_size=args.validation_size,
        seed=args.seed,
        patience=args.patience,
        teacher=args.teacher,
        output_dir=args.output_dir,
    )
    try:
        metrics = train(config, data, test, info)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{metrics['model']['name']}: test accuracy {metrics['test']['accuracy']:.4%} "
        f"({metrics['test']['errors']} errors in {metrics['test']['size']}), "
        f"validation {metrics['validation']['accuracy']:.4%}, "
        f"{metrics['training']['wall_time_s']:.0f} s; written to {args.output_dir}/"
    )
    return 0
