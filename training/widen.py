"""`python -m training widen ...`: teach the served networks digits beyond MNIST.

Each classifier network of the cascade (the fast `compact` network and every `deep` member of
the ensemble) is fine-tuned from its weights in model/ on MNIST's training part together with
typed and hand-lettered digits (training fonts), digits in other hands and at low resolution,
and whole digits as /read cuts them out of numbers, MNIST's and other hands' (`training.kinds`),
one network per run, each writing its own file under RUNS (resumable: a later session runs the
networks not yet there). MNIST stays in every batch, so what the network knew is kept. A
network fine-tuned before (its MNIST weights the first time) keeps that round's record in its
card (`previously`).

`finish` then puts the fine-tuned networks in place (members into model/members, the fast network
into model/fast, with cards that say how each was made), assembles the ensemble, calibrates the
cascade and the detector (`training detector choose` picks which on validation) and records in
the card what every network was trained on. Every choice is made on validation (MNIST's
validation split and the validation fonts); the test set is read once, after.

    python -m training widen data              # make and cache the images (both splits)
    python -m training widen fast              # one network per run ...
    python -m training widen deep-0            # ... through deep-5
    python -m training widen report            # validation per kind: before and after
    python -m training widen choose            # which members the ensemble averages
    python -m training widen finish --detector DIR --ensemble widened
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from digits.card import ModelCard
from digits.contract import NUM_CLASSES
from digits.screening import temper
from training.data import VENDORED_MNIST, Digits, card_split, load_idx_dir
from training.kinds import COUNTS, CROP_COUNTS, CROPS, SEEDS, crops_of, kinds_of

RUNS = Path("runs/widen")
RECIPE = {
    "epochs": 2,
    "learning_rate": 3e-4,
    "batch_size": {"compact": 128, "deep": 64},
    # on MNIST's images the target is this share of the MNIST ensemble's probabilities (the rest
    # the label): what the networks knew is taught again while they learn the new kinds
    "teacher_weight": 0.0,
    "teacher_temperature": 2.0,  # softens the teacher, whose answers on these images are sure
}
FINE_TUNED = (
    "fine-tuned on typed, other hands', low-resolution and hand-lettered digits and on digits "
    "cut out of numbers"
)
TEACHER = Path("model/model.tflite")  # the served ensemble when the networks are fine-tuned


def mnist_split() -> tuple[Digits, Digits]:
    return card_split(Path("model"))


def training_set() -> tuple[np.ndarray, np.ndarray, int]:
    """Images, labels, and how many of them (the first) are MNIST's."""
    train_part, _ = mnist_split()
    extra = {**kinds_of("train", train_part), **crops_of("train", train_part)}
    images = np.concatenate([train_part.images.astype(np.float32), *(x for x, _ in extra.values())])
    labels = np.concatenate([train_part.labels, *(y for _, y in extra.values())])
    return images[..., np.newaxis], labels, len(train_part)


def targets(images: np.ndarray, labels: np.ndarray, mnist: int, recipe: dict) -> np.ndarray:
    """One-hot labels; on the first `mnist` images, mixed with the teacher's probabilities."""
    from digits.runtime import LiteRTModel, sha256

    soft = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    weight = recipe["teacher_weight"]
    if weight:
        cache = RUNS / f"teacher-{sha256(TEACHER)[:12]}.npy"
        if not cache.exists():
            RUNS.mkdir(parents=True, exist_ok=True)
            np.save(cache, LiteRTModel.open(TEACHER).predict_all(images[:mnist]))
        taught = temper(np.load(cache), recipe["teacher_temperature"])
        soft[:mnist] = (1 - weight) * soft[:mnist] + weight * taught
    return soft


def counts(split: str) -> dict[str, int]:
    """How many images of each kind beyond MNIST the split holds."""
    return {**COUNTS[split], **dict.fromkeys(CROPS, CROP_COUNTS[split])}


def validation_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    _, validation = mnist_split()
    sets = {"mnist": (validation.images.astype(np.float32), validation.labels)}
    sets.update(kinds_of("validation", validation))
    sets.update(crops_of("validation", validation))
    return {name: (x[..., np.newaxis], y) for name, (x, y) in sets.items()}


def source(name: str) -> Path:
    return Path("model/fast/model.keras") if name == "fast" else Path(f"model/members/{name}.keras")


def previous_round(name: str) -> dict | None:
    """The record of the fine-tuning the network's weights in model/ came from, where they
    were fine-tuned before: a network widened again keeps what it learned first in its card."""
    if name == "fast":
        return ModelCard.read(source(name).parent).training.get("widened")
    return json.loads(source(name).with_suffix(".json").read_text()).get("widened")


def measure(model, sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    return {
        name: round(float((model.predict(x, batch_size=500, verbose=0).argmax(1) == y).mean()), 6)
        for name, (x, y) in sets.items()
    }


def tune(
    model,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    learning_rate: float,
    batch: int,
    loss: str = "categorical_crossentropy",
):
    """Fine-tune a network from its weights: Adam, the rate decaying to 0 along a cosine (a
    short run that starts gently and ends still), soft or one-hot targets `y` (0/1 with the
    detector's `binary_crossentropy`)."""
    import keras

    steps = epochs * int(np.ceil(len(x) / batch))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    metric = "binary_accuracy" if loss.startswith("binary") else "categorical_accuracy"
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=[metric])
    return model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=2)


def fine_tune(name: str, runs: Path = RUNS, recipe: dict = RECIPE) -> dict:
    """Fine-tune one network and write `runs`/<name>.keras and its record (.json)."""
    import keras

    from training.train import seed_everything

    target = runs / f"{name}.keras"
    if target.exists():
        print(f"{target} exists: skipped (delete it to run again)")
        return json.loads(target.with_suffix(".json").read_text())
    seed_everything(SEEDS["train"] * 100 + (0 if name == "fast" else int(name.split("-")[1]) + 1))
    model = keras.saving.load_model(source(name), compile=False)
    x, labels, mnist = training_set()
    y = targets(x, labels, mnist, recipe)
    sets = validation_sets()
    before = measure(model, sets)
    batch = recipe["batch_size"]["compact" if name == "fast" else "deep"]
    started = time.perf_counter()
    history = tune(model, x, y, recipe["epochs"], recipe["learning_rate"], batch)
    record = {
        "network": name,
        "from": source(name).as_posix(),
        "recipe": recipe,
        "trained_on": {"mnist_train_part": mnist, **counts("train")},
        "teacher": TEACHER.as_posix() if recipe["teacher_weight"] else None,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "history": {k: [round(float(v), 6) for v in vs] for k, vs in history.history.items()},
        "validation_before": before,
        "validation_after": measure(model, sets),
        "previously": previous_round(name),
    }
    runs.mkdir(parents=True, exist_ok=True)
    model.save(target)
    target.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"{name}: validation before {before}, after {record['validation_after']}")
    return record


def report(runs: Path = RUNS) -> None:
    """Each fine-tuned network's validation accuracy per kind, before and after."""
    for path in sorted(runs.glob("*.json")):
        record = json.loads(path.read_text())
        before, after = record["validation_before"], record["validation_after"]
        cells = [f"{kind} {before[kind]:.2%} -> {after[kind]:.2%}" for kind in after]
        print(f"| {record['network']} | " + " | ".join(cells) + " |")


ENSEMBLES = {  # which members the ensemble averages (chosen on validation: `choose`)
    "widened": "the fine-tuned members alone",
    "both": "the MNIST members and their fine-tuned copies",
}


def member_sets(runs: Path) -> dict[str, list[Path]]:
    widened = sorted(runs.glob("deep-*.keras"))
    originals = [source(path.stem) for path in widened]
    return {"widened": widened, "both": originals + widened}


def choose(runs: Path) -> None:
    """Each candidate ensemble's validation accuracy per kind (MNIST's errors counted): the
    ensemble served is chosen here, where the test set is not read."""
    import keras

    sets = validation_sets()
    outputs = {}
    for path in sorted({p for paths in member_sets(runs).values() for p in paths}):
        model = keras.saving.load_model(path, compile=False)
        outputs[path] = {
            k: model.predict(x, batch_size=500, verbose=0) for k, (x, _) in sets.items()
        }
    print("| ensemble | members | " + " | ".join(sets) + " | MNIST errors |")
    print("|---|---|" + "---|" * (len(sets) + 1))
    for name, paths in member_sets(runs).items():
        mean = {k: np.mean([outputs[p][k] for p in paths], axis=0) for k in sets}
        right = {k: (mean[k].argmax(1) == y) for k, (_, y) in sets.items()}
        cells = " | ".join(f"{right[k].mean():.2%}" for k in sets)
        print(f"| {name} | {len(paths)} | {cells} | {int((~right['mnist']).sum())} |")


def install_members(runs: Path, ensemble: str) -> None:
    """The fine-tuned members into model/members, their cards extended with how each was made:
    over their MNIST-only files (`widened`), or beside them as members 6-11 (`both`)."""
    for path in sorted(runs.glob("deep-*.keras")):
        record = json.loads(path.with_suffix(".json").read_text())
        original = source(record["network"])
        member = int(record["network"].split("-")[1]) + (0 if ensemble == "widened" else 6)
        target = original.with_name(f"deep-{member}.keras")
        card = json.loads(original.with_suffix(".json").read_text())
        card.update(member=member, widened=record)
        card["validation_accuracy"] = record["validation_after"]["mnist"]
        shutil.copyfile(path, target)
        target.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def install_fast(runs: Path = RUNS) -> None:
    """The fine-tuned fast network into model/fast: its file, LiteRT compilation (checked),
    and its card, measured on validation and once on the test set."""
    import keras

    from digits.contract import as_model_input
    from training.evaluate import evaluate
    from training.train import write_artifacts

    path = runs / "fast.keras"
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
    distilled = metrics["model"]["description"].split("; fine-tuned")[0]  # each round says it
    metrics["model"]["description"] = f"{distilled}; {FINE_TUNED}"
    write_artifacts(model, metrics, out, as_model_input(test.images))


def beyond_mnist_record(runs: Path) -> dict:
    """What the networks were fine-tuned on, for the model card."""
    from synthesis.fonts import TRAIN_FONTS, VALIDATION_FONTS

    records = [json.loads(path.read_text()) for path in sorted(runs.glob("*.json"))]
    return {
        "trained_on": {"mnist": "the training part of the card's split", **counts("train")},
        "validated_on": {"mnist": "the card's validation split", **counts("validation")},
        "fonts": {"train": list(TRAIN_FONTS), "validation": list(VALIDATION_FONTS)},
        "networks": {r["network"]: summary(r) for r in records},
    }


def summary(record: dict) -> dict:
    """A fine-tuning's recipe and validation before and after, and those of the rounds its
    starting weights came from."""
    kept = {k: record[k] for k in ("recipe", "validation_before", "validation_after")}
    if record.get("previously"):
        kept["previously"] = summary(record["previously"])
    return kept


def finish(
    runs: Path, detector: Path | None, ensemble: str, model_dir: Path = Path("model")
) -> None:
    """Everything after the networks are fine-tuned, in order: install them, assemble the
    ensemble (test set read once; the card keeps /read's networks, `keep_reading_records`),
    calibrate the cascade, put the chosen detector in place and calibrate it, and record what it
    was all trained on."""
    from training import cascade, members
    from training.detector import DETECTOR_DIR
    from training.detector import calibrate as calibrate_detector

    install_members(runs, ensemble)
    install_fast(runs)
    members.main(["assemble", "--output-dir", str(model_dir)])
    cascade.calibrate(model_dir)
    if detector is not None and detector.resolve() != (model_dir / DETECTOR_DIR).resolve():
        shutil.rmtree(model_dir / DETECTOR_DIR)
        shutil.copytree(detector, model_dir / DETECTOR_DIR)
    calibrate_detector(model_dir)
    card = ModelCard.read(model_dir)
    card.training["beyond_mnist"] = {**beyond_mnist_record(runs), "ensemble": ENSEMBLES[ensemble]}
    card.write(model_dir)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m training widen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("step", help="data, fast, deep-K, report, choose or finish")
    parser.add_argument("--detector", type=Path, help="finish: the detector folder chosen")
    parser.add_argument("--ensemble", choices=ENSEMBLES, default="widened", help="finish")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where the fine-tuned files go")
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--learning-rate", type=float, default=RECIPE["learning_rate"])
    parser.add_argument("--teacher-weight", type=float, default=RECIPE["teacher_weight"])
    args = parser.parse_args(argv)
    recipe = {
        **RECIPE,
        "epochs": args.epochs,
        "learning_rate": args.learning_rate,
        "teacher_weight": args.teacher_weight,
    }
    if args.step == "data":
        training_set(), validation_sets()
    elif args.step == "report":
        report(args.runs)
    elif args.step == "choose":
        choose(args.runs)
    elif args.step == "finish":
        finish(args.runs, args.detector, args.ensemble)
    elif args.step == "fast" or args.step.startswith("deep-"):
        fine_tune(args.step, args.runs, recipe)
    else:
        parser.error(f"unknown step {args.step!r}")
    return 0
