"""`python -m training members`: train an ensemble one member per run, then assemble it.

A `deep` network takes about an hour of a 2-core CPU, so an ensemble of five is a working day:
each member is its own run, writing its own file (`MEMBERS_DIR/<arch>-<K>.keras` with a card
`<arch>-<K>.json`), which a later session can pick up where the last one stopped. Every member
holds out the same validation split (the base seed's), so the assembled ensemble and the cascade
are chosen on images none of them trained on.

    python -m training members train --member 0          # one member, seed 42+0
    python -m training members choose                    # ensemble size, on validation only
    python -m training members assemble --output-dir model [--members K]  # the first K -> model
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from digits.contract import MODEL_FILENAME
from training.data import VENDORED_MNIST, DataError, load_idx_dir, mnist_checksums, split_holdout

MEMBERS_DIR = Path("model/members")


def member_path(members_dir: Path, architecture: str, member: int) -> Path:
    return members_dir / f"{architecture}-{member}.keras"


def train_member(args: argparse.Namespace) -> int:
    """Train member K alone and write its file and card; the test set is not touched."""
    import keras

    from training.train import TrainConfig, fit_member

    config = TrainConfig(
        architecture=args.architecture,
        epochs=args.epochs,
        validation_size=args.validation_size,
        seed=args.seed,
        verbose=2,
    )
    train_part, validation = split_holdout(
        load_idx_dir(VENDORED_MNIST, "train"), config.validation_size, config.seed
    )
    if args.limit:
        train_part = train_part.subset(slice(0, args.limit))
    target = member_path(args.members_dir, args.architecture, args.member)
    target.parent.mkdir(parents=True, exist_ok=True)
    log = keras.callbacks.CSVLogger(str(target.with_suffix(".log.csv")))
    run = fit_member(config, args.member, train_part, validation, callbacks=(log,))
    run.model.save(target)
    card = {
        "architecture": args.architecture,
        "member": args.member,
        "split": {"seed": config.seed, "validation_size": config.validation_size},
        "parameters": run.model.count_params(),
        **run.summary(validation),
    }
    target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"{target}: validation accuracy {card['validation_accuracy']:.4%}")
    return 0


def member_paths(args: argparse.Namespace) -> list[Path]:
    """The member files by member number, the first `--members` of them where given."""
    paths = sorted(
        args.members_dir.glob(f"{args.architecture}-*.keras"),
        key=lambda path: int(path.stem.rsplit("-", 1)[1]),
    )
    return paths[: args.members] if args.members else paths


def choose(args: argparse.Namespace) -> int:
    """Validation accuracy and log loss of the average of the first K members, for every K: the
    ensemble's size is chosen here, where the test set is not read."""
    import keras

    from digits.contract import as_model_input

    paths = member_paths(args)
    split = json.loads(paths[0].with_suffix(".json").read_text())["split"]
    _, validation = split_holdout(
        load_idx_dir(VENDORED_MNIST, "train"), split["validation_size"], split["seed"]
    )
    inputs, summed = as_model_input(validation.images), 0.0
    print("| members | validation accuracy | errors | log loss |\n|---|---|---|---|")
    for k, path in enumerate(paths, start=1):
        model = keras.saving.load_model(path, compile=False)
        summed = summed + model.predict(inputs, batch_size=1000, verbose=0)
        mean = summed / k
        errors = int((mean.argmax(axis=1) != validation.labels).sum())
        picked = mean[np.arange(len(mean)), validation.labels]
        loss = float(-np.log(np.clip(picked, 1e-7, 1)).mean())
        print(f"| {k} | {1 - errors / len(mean):.2%} | {errors} | {loss:.5f} |")
    return 0


def assemble(args: argparse.Namespace) -> int:
    """Average the member files (the first `--members`, or all) into one model, measure it and
    write the artifacts."""
    import keras

    from training.train import MemberRun, TrainConfig, finish

    paths = member_paths(args)
    if not paths:
        print(f"error: no {args.architecture}-*.keras in {args.members_dir}", file=sys.stderr)
        return 2
    cards = [json.loads(path.with_suffix(".json").read_text()) for path in paths]
    splits = {json.dumps(card["split"], sort_keys=True) for card in cards}
    if len(splits) != 1:
        print(f"error: members held out different splits: {splits}", file=sys.stderr)
        return 2
    split = cards[0]["split"]
    config = TrainConfig(
        architecture=args.architecture,
        validation_size=split["validation_size"],
        seed=split["seed"],
        output_dir=args.output_dir,
    )
    data = load_idx_dir(VENDORED_MNIST, "train")
    runs = [
        MemberRun(
            keras.saving.load_model(path, compile=False),
            card["seed"],
            card["history"],
            card["wall_time_s"],
        )
        for path, card in zip(paths, cards, strict=True)
    ]
    info = {
        "source": str(VENDORED_MNIST),
        "test_source": str(VENDORED_MNIST),
        "mnist_file_sha256": mnist_checksums(VENDORED_MNIST),
    }
    split_parts = split_holdout(data, config.validation_size, config.seed)
    test = load_idx_dir(VENDORED_MNIST, "test")
    metrics = finish(config, runs, split_parts, test, data, info)
    print(
        f"{len(runs)} members -> {args.output_dir / MODEL_FILENAME}: test accuracy "
        f"{metrics['test']['accuracy']:.4%}, validation {metrics['validation']['accuracy']:.4%}"
    )
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training members", description=__doc__)
    parser.add_argument("command", choices=("train", "choose", "assemble"))
    parser.add_argument("--architecture", default="deep")
    parser.add_argument("--member", type=int, default=0, help="member K trains with seed SEED+K")
    parser.add_argument("--members", type=int, help="choose/assemble: the first K members only")
    parser.add_argument("--members-dir", type=Path, default=MEMBERS_DIR)
    parser.add_argument("--seed", type=int, default=42, help="the split's seed, and the base")
    parser.add_argument("--validation-size", type=int, default=5000)
    parser.add_argument("--epochs", type=int, help="default: the architecture's recipe")
    parser.add_argument("--limit", type=int, help="train on the first N images (quick runs)")
    parser.add_argument("--output-dir", type=Path, default=Path("model"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        commands = {"train": train_member, "choose": choose, "assemble": assemble}
        return commands[args.command](args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
