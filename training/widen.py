"""`python -m training widen ...`: teach the served networks digits beyond MNIST.

Each classifier network of the cascade (the fast `compact` network and every `deep` member of
the ensemble) is fine-tuned from its MNIST weights on MNIST's training part together with typed
digits (training fonts), digits in other hands and at low resolution (`training.kinds`), one
network per run, each writing its own file under RUNS (resumable: a later session runs the
networks not yet there). MNIST stays in every batch, so what the network knew is kept.

`install` then puts the fine-tuned networks in place (members into model/members, the fast network
into model/fast, with cards that say how each was made) and assembles the ensemble; the cascade
and the detector are calibrated after it by their own steps. Every choice is made on validation
(MNIST's validation split and the validation fonts); the test set is read once, by `assemble`.

    python -m training widen data              # make and cache the images (both splits)
    python -m training widen fast              # one network per run ...
    python -m training widen deep-0            # ... through deep-5
    python -m training widen report            # validation per kind: before and after
    python -m training widen install
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from training.data import VENDORED_MNIST, Digits, card_split, load_idx_dir
from training.kinds import COUNTS, SEEDS, kinds_of

RUNS = Path("runs/widen")
RECIPE = {"epochs": 2, "learning_rate": 3e-4, "batch_size": {"compact": 128, "deep": 64}}


def mnist_split() -> tuple[Digits, Digits]:
    return card_split(Path("model"))


def training_set() -> tuple[np.ndarray, np.ndarray]:
    train_part, _ = mnist_split()
    extra = kinds_of("train", train_part)
    images = np.concatenate([train_part.images.astype(np.float32), *(x for x, _ in extra.values())])
    labels = np.concatenate([train_part.labels, *(y for _, y in extra.values())])
    return images[..., np.newaxis], labels


def validation_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    _, validation = mnist_split()
    sets = {"mnist": (validation.images.astype(np.float32), validation.labels)}
    sets.update(kinds_of("validation", validation))
    return {name: (x[..., np.newaxis], y) for name, (x, y) in sets.items()}


def source(name: str) -> Path:
    return Path("model/fast/model.keras") if name == "fast" else Path(f"model/members/{name}.keras")


def measure(model, sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    return {
        name: round(float((model.predict(x, batch_size=500, verbose=0).argmax(1) == y).mean()), 6)
        for name, (x, y) in sets.items()
    }


def fine_tune(name: str) -> dict:
    """Fine-tune one network and write RUNS/<name>.keras and its record (.json)."""
    import keras

    from training.train import seed_everything

    target = RUNS / f"{name}.keras"
    if target.exists():
        print(f"{target} exists: skipped (delete it to run again)")
        return json.loads(target.with_suffix(".json").read_text())
    seed_everything(SEEDS["train"] * 100 + (0 if name == "fast" else int(name.split("-")[1]) + 1))
    model = keras.saving.load_model(source(name), compile=False)
    x, y = training_set()
    sets = validation_sets()
    before = measure(model, sets)
    batch = RECIPE["batch_size"]["compact" if name == "fast" else "deep"]
    steps = RECIPE["epochs"] * int(np.ceil(len(x) / batch))
    schedule = keras.optimizers.schedules.CosineDecay(RECIPE["learning_rate"], steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=batch, epochs=RECIPE["epochs"], shuffle=True, verbose=2)
    record = {
        "network": name,
        "from": source(name).as_posix(),
        "recipe": RECIPE,
        "trained_on": {
            "mnist_train_part": int(len(x) - sum(COUNTS["train"].values())),
            **COUNTS["train"],
        },
        "wall_time_s": round(time.perf_counter() - started, 1),
        "history": {k: [round(float(v), 6) for v in vs] for k, vs in history.history.items()},
        "validation_before": before,
        "validation_after": measure(model, sets),
    }
    RUNS.mkdir(parents=True, exist_ok=True)
    model.save(target)
    target.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"{name}: validation before {before}, after {record['validation_after']}")
    return record


def report() -> None:
    """Each fine-tuned network's validation accuracy per kind, before and after."""
    for path in sorted(RUNS.glob("*.json")):
        record = json.loads(path.read_text())
        before, after = record["validation_before"], record["validation_after"]
        cells = [f"{kind} {before[kind]:.2%} -> {after[kind]:.2%}" for kind in after]
        print(f"| {record['network']} | " + " | ".join(cells) + " |")


def install_members() -> None:
    """Each fine-tuned member over its MNIST-only file, its card extended with how it was made."""
    for path in sorted(RUNS.glob("deep-*.keras")):
        record = json.loads(path.with_suffix(".json").read_text())
        target = source(record["network"])
        card = json.loads(target.with_suffix(".json").read_text())
        card["widened"] = record
        card["validation_accuracy"] = record["validation_after"]["mnist"]
        shutil.copyfile(path, target)
        target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def install_fast() -> None:
    """The fine-tuned fast network into model/fast: its file, LiteRT compilation (checked),
    and its card, measured on validation and once on the test set."""
    import keras

    from digits.card import ModelCard
    from digits.contract import as_model_input
    from training.evaluate import evaluate
    from training.train import write_artifacts

    path = RUNS / "fast.keras"
    record = json.loads(path.with_suffix(".json").read_text())
    model = keras.saving.load_model(path, compile=False)
    out = source("fast").parent
    metrics = ModelCard.read(out).as_json()
    _, validation = mnist_split()
    test = load_idx_dir(VENDORED_MNIST, "test")
    metrics["validation"] = evaluate(model, validation)
    metrics["test"] = evaluate(model, test)
    metrics["test_accuracy"] = metrics["test"]["accuracy"]
    metrics["training"]["widened"] = record
    metrics["model"]["description"] += (
        "; fine-tuned on typed digits, other hands and low resolution"
    )
    write_artifacts(model, metrics, out, as_model_input(test.images))


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m training widen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("step", help="data, fast, deep-K, report or install")
    args = parser.parse_args(argv)
    if args.step == "data":
        training_set(), validation_sets()
    elif args.step == "report":
        report()
    elif args.step == "install":
        install_members()
        if (RUNS / "fast.keras").exists():
            install_fast()
    elif args.step == "fast" or args.step.startswith("deep-"):
        fine_tune(args.step)
    else:
        parser.error(f"unknown step {args.step!r}")
    return 0
