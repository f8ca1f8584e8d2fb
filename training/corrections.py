"""`python -m training corrections EXPORT ...`: a new version trained from people's corrections.

    python -m training corrections corrections.zip --repository models   # train, check, publish

EXPORT is what operators download from `GET /corrections/export` (28x28 images exactly as the
model saw them, `labels.csv`, `manifest.json`). The newest share of the corrections (by time) is
held out to judge the new version; the rest train it, after those that disagree are left out:
anyone can send a correction, so one is used only where the corrections nearest to it (in
pixels) carry the same label, or the served model already answers it so, and a run trains only
where enough of them say something the served version does not already answer. Every
classifier network of the base model folder (the Keras files: `model/` by default) is fine-tuned
on the digits corrected, repeated, beside a rehearsal of what it learnt (MNIST's training part,
the digits beyond MNIST), and the not-a-digit detector on every correction (a digit, or not a
digit) beside its own rehearsal; then the ensemble, cascade, detector and judge are assembled and
calibrated as for any version.

The new version is published into the repository only where it passes the checks against the
version served there now, and otherwise refused with the reasons: MNIST's validation split and
test set within `MNIST_TOLERANCE` of the served version's (read as the card does, and with
refusals counted as wrong), the other validation kinds (typed, other hands, low resolution)
and the non-digits refused within `KINDS_TOLERANCE`, and the held-out corrections answered
better. Its card says which corrections trained it (count, time range, digest), how many were
left out as disagreeing, and the checks' figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.archive import read_archive
from digits.card import ModelCard
from digits.contract import NOT_A_DIGIT, NUM_CLASSES, as_model_input
from digits.repository import publish, versions
from digits.screening import split
from digits.served import ServedModel, load_model
from training.data import VENDORED_MNIST, card_split, load_idx_dir

RECIPE = {  # every figure chosen on validation (bench/results.md: corrections)
    # which classifiers learn: the cascade's fast network only (`fast`: the full model stays
    # the served one, for the images the fast network is unsure of), or every network (`all`)
    "networks": "fast",
    "epochs": 1,
    "learning_rate": 5e-5,  # the classifiers'
    "detector_learning_rate": 3e-5,
    "batch_size": 64,
    "repeats": 8,  # each correction used appears this many times (augmented inside the networks)
    "rehearsal": 20000,  # MNIST training images beside them, so that what was known is kept ...
    "kinds_rehearsal": 1000,  # ... and of each kind beyond MNIST (typed, other hands, low-res)
    "detector_rehearsal": 6000,  # digits, as many generated non-digits, half as many pieces
    # and styled digits
    "freeze_batch_norm": True,  # keep the normalisation statistics: a few hundred corrections
    # in every batch would otherwise shift them for every image
    "held_out_share": 0.2,  # the newest corrections, judged on, never trained on
    "neighbours": 5,  # a correction is used where most of its nearest corrections agree ...
    "min_news": 20,  # ... and a run trains only where that many used say something new
    "extra_refusal": 0.0025,  # the new detector may refuse this much more of a kind of digit
    "seed": 7,
}
MNIST_TOLERANCE = 0.0005  # the new version's MNIST test accuracy may be this much lower
KINDS_TOLERANCE = 0.005  # ... and each other validation kind's
RUNS = Path("runs/corrections")


@dataclass
class Corrections:
    """One row per 28x28 image: its label (-1: not a digit), the correction it came from and
    when that was made; oldest first."""

    images: np.ndarray  # uint8 (N, 28, 28)
    labels: np.ndarray  # int (N,)
    correction: np.ndarray  # str (N,)
    created_at: np.ndarray  # str (N,), ISO times
    manifest: dict

    def subset(self, mask: np.ndarray) -> Corrections:
        return Corrections(
            self.images[mask],
            self.labels[mask],
            self.correction[mask],
            self.created_at[mask],
            self.manifest,
        )

    @property
    def digits(self) -> Corrections:
        return self.subset(self.labels >= 0)

    def record(self) -> dict:
        """What the card says of a set of corrections: how many, when, and a digest of them."""
        digest = hashlib.sha256()
        for cid, label in zip(self.correction, self.labels, strict=True):
            digest.update(f"{cid}:{label}\n".encode())
        return {
            "corrections": len(set(self.correction.tolist())),
            "images": len(self.labels),
            "first": min(self.created_at.tolist(), default=None),
            "last": max(self.created_at.tolist(), default=None),
            "digest": digest.hexdigest(),
        }


def read_export(path: Path) -> Corrections:
    rows, manifest = read_archive(path.read_bytes())
    return Corrections(
        np.array([r.image for r in rows], np.uint8).reshape(-1, 28, 28),
        np.array([-1 if r.label == NOT_A_DIGIT else int(r.label) for r in rows], int),
        np.array([r.correction for r in rows]),
        np.array([r.created_at for r in rows]),
        manifest,
    )


def split_by_time(corrections: Corrections, share: float) -> tuple[Corrections, Corrections]:
    """The oldest corrections to train on, the newest `share` held out (a correction's images
    stay together)."""
    order = list(dict.fromkeys(corrections.correction.tolist()))
    held = set(order[len(order) - round(len(order) * share) :])
    mask = np.array([c in held for c in corrections.correction])
    return corrections.subset(~mask), corrections.subset(mask)


def agreeing(corrections: Corrections, served_digits: np.ndarray, k: int) -> np.ndarray:
    """Which corrections to use: those whose label most of their k nearest other corrections
    (Euclidean, on the 28x28 pixels) share, or that the served model already answers so. A
    flood of random labels disagrees with itself; many people's way of writing a digit agrees."""
    x = corrections.images.reshape(len(corrections.labels), -1).astype(np.float32)
    squared = (x**2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * x @ x.T
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1)[:, : min(k, max(len(x) - 1, 0))]
    same = (corrections.labels[nearest] == corrections.labels[:, None]).sum(axis=1)
    return (same * 2 > nearest.shape[1]) | (served_digits == corrections.labels)


def served_answers(model: ServedModel, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a version answers, as the service answers (cascade, detector): the digits, and
    whether each was answered as a digit (not refused as not_a_digit)."""
    outputs = (
        np.concatenate(
            [model.predict(as_model_input(images[i : i + 512])) for i in range(0, len(images), 512)]
        )
        if len(images)
        else np.zeros((0, NUM_CLASSES))
    )
    probabilities, scores = split(outputs)
    answered = np.ones(len(images), bool) if scores is None else model.looks_like_digit(scores)
    return probabilities.argmax(axis=1), answered


def accuracy(model: ServedModel, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """`right`: the digit answered is the label (as the card measures); `answered`: right and
    answered as a digit (a refusal counts as wrong, as a person sees it)."""
    digits, answered = served_answers(model, images)
    right = digits == labels
    return {
        "right": round(float(right.mean()), 6),
        "answered": round(float((right & answered).mean()), 6),
    }


def short_by(name: str, new: float, served: float, tolerance: float) -> str | None:
    """Why a figure refuses the new version (it fell more than `tolerance` below the served
    version's), or None."""
    if new >= served - tolerance:
        return None
    return (
        f"{name}: {new:.2%}, the served version {served:.2%} (may be at most {tolerance:.2%} lower)"
    )


def rehearsal(base: Path, recipe: dict) -> tuple[np.ndarray, np.ndarray]:
    """What the networks knew, to learn beside the corrections: a sample of MNIST's training
    part, and of the digits beyond MNIST they were taught (typed, other hands, low resolution;
    made anew from the training fonts and digits, with seeds of their own)."""
    from training.kinds import KINDS, SEEDS, make

    train_part, _ = card_split(base)
    rng = np.random.default_rng(0)
    count = min(recipe["rehearsal"], len(train_part.labels))
    picks = rng.choice(len(train_part.labels), count, replace=False)
    beyond = [
        make(kind, "train", recipe["kinds_rehearsal"], SEEDS["train"] + 100, train_part)[:2]
        for kind in KINDS
    ]
    images = np.concatenate([train_part.images[picks], *(x.round() for x, _ in beyond)])
    labels = np.concatenate([train_part.labels[picks], *(y for _, y in beyond)])
    return images.astype(np.uint8), labels


def training_images(
    used: Corrections, known: tuple[np.ndarray, np.ndarray], recipe: dict
) -> tuple[np.ndarray, np.ndarray]:
    """The corrections used, repeated, beside the rehearsal."""
    import keras

    images = np.concatenate([np.repeat(used.images, recipe["repeats"], axis=0), known[0]])
    labels = np.concatenate([np.repeat(used.labels, recipe["repeats"]), known[1]])
    return as_model_input(images), keras.utils.to_categorical(labels, NUM_CLASSES)


def freeze_batch_norm(layer) -> None:
    """Batch normalisation in inference mode (Keras: not trainable), in nested models too."""
    import keras

    if isinstance(layer, keras.layers.BatchNormalization):
        layer.trainable = False
    for inner in getattr(layer, "layers", []):
        freeze_batch_norm(inner)


def fine_tuned(
    path: Path, x: np.ndarray, y: np.ndarray, recipe: dict, rate: float, loss: str | None = None
):
    """The network at `path`, loaded and fine-tuned (batch normalisation frozen, as the recipe
    says), saved over itself."""
    import keras

    from training.widen import tune

    model = keras.saving.load_model(path, compile=False)
    if recipe["freeze_batch_norm"]:
        freeze_batch_norm(model)
    started = time.perf_counter()
    tune(model, x, y, recipe["epochs"], rate, recipe["batch_size"], *([loss] if loss else []))
    print(f"{path}: fine-tuned in {time.perf_counter() - started:.0f} s", flush=True)
    model.save(path)
    return model


def detector_images(
    base: Path, every: Corrections, known: tuple[np.ndarray, np.ndarray], recipe: dict
) -> tuple[np.ndarray, np.ndarray]:
    """What the detector learns from: the corrections (a digit, or not a digit), repeated,
    beside a rehearsal of what it was trained on: digits (a share of the classifiers'
    rehearsal, and half as many MNIST digits in the upload styles), as many generated
    non-digits, half as many pieces of touching numbers."""
    from training.detector import SEEDS as DETECTOR_SEEDS
    from training.nondigits import nondigit_inputs, not_one_digit_inputs, styled_digit_inputs

    train_part, _ = card_split(base)
    count, seed = recipe["detector_rehearsal"], DETECTOR_SEEDS["train"] + 100
    rng = np.random.default_rng(1)
    digits = np.concatenate(
        [
            known[0][rng.choice(len(known[0]), min(count, len(known[0])), replace=False)],
            styled_digit_inputs(train_part.images[: count // 2], seed).round(),
        ]
    )
    others = [
        nondigit_inputs(count, seed),
        not_one_digit_inputs(train_part.images, count // 2, seed),
    ]
    images = np.concatenate([np.repeat(every.images, recipe["repeats"], axis=0), digits, *others])
    labels = np.concatenate(
        [
            np.repeat((every.labels >= 0).astype(np.float32), recipe["repeats"]),
            np.ones(len(digits), np.float32),
            np.zeros(sum(len(o) for o in others), np.float32),
        ]
    )
    return as_model_input(images), labels


def build(
    base: Path, work: Path, used: Corrections, every: Corrections, recipe: dict, served: Path
) -> None:
    """The new version's folder: the base copied, every classifier network fine-tuned on the
    digits corrected (`used`), the detector on all corrections used (`every`: digits and not
    digits), then assembled and calibrated as `training widen finish` does, the detector's
    threshold refusing at most `extra_refusal` more of any kind of validation digit than the
    served version's does (and no more than the project's targets)."""
    from training import cascade, quantize
    from training import members as assemble
    from training.detector import DETECTOR_DIR, REFUSE_DIGITS, refused_by
    from training.detector import calibrate as calibrate_detector
    from training.evaluate import evaluate
    from training.train import seed_everything, write_artifacts

    seed_everything(recipe["seed"])
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(base, work, ignore=shutil.ignore_patterns("SHA256SUMS", "saved_model"))
    known = rehearsal(base, recipe)
    x, y = training_images(used, known, recipe)
    record = {"recipe": recipe, "trained_on": used.record()}
    members = sorted((work / "members").glob("deep-*.keras")) if recipe["networks"] == "all" else []
    for path in members:
        fine_tuned(path, x, y, recipe, recipe["learning_rate"])
        card = json.loads(path.with_suffix(".json").read_text())
        card["corrections"] = record
        path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    fast_dir = work / "fast"
    fast_model = fine_tuned(fast_dir / "model.keras", x, y, recipe, recipe["learning_rate"])
    fast = ModelCard.read(fast_dir).as_json()
    fast["training"]["corrections"] = record
    _, validation = card_split(base)
    test = load_idx_dir(VENDORED_MNIST, "test")
    fast["validation"], fast["test"] = evaluate(fast_model, validation), evaluate(fast_model, test)
    fast["test_accuracy"] = fast["test"]["accuracy"]
    write_artifacts(fast_model, fast, fast_dir, as_model_input(test.images[:1000]))
    detector_dir = work / DETECTOR_DIR
    dx, dy = detector_images(base, every, known, recipe)
    fine_tuned(  # saved over its model.keras, compiled below with the fast network
        detector_dir / "model.keras",
        dx,
        dy,
        recipe,
        recipe["detector_learning_rate"],
        "binary_crossentropy",
    )
    detector_card = ModelCard.read(detector_dir)
    detector_card.training["corrections"] = {"recipe": recipe, "trained_on": every.record()}
    detector_card.write(detector_dir)
    for network in quantize.NETWORKS:  # compiled as the served version's are
        quantize.quantize(work / network, validation.images)
    quantize.evaluate_served(fast_dir)
    base_card = ModelCard.read(base)
    if members:  # the full model anew; else it stays the served one, answering what the
        # fast network is unsure of as it was validated
        assemble.main(
            ["assemble", "--members-dir", str(work / "members"), "--output-dir", str(work)]
        )
    cascade.calibrate(work)
    served_refuses = refused_by(ModelCard.read(served))
    extra = recipe["extra_refusal"]
    calibrate_detector(
        work, {k: min(v, served_refuses[k] + extra) for k, v in REFUSE_DIGITS.items()}
    )
    card = ModelCard.read(work)
    card.training["beyond_mnist"] = base_card.training.get("beyond_mnist")
    card.training["corrections"] = record
    card.write(work)


def checks(new: Path, served: Path, held: Corrections) -> tuple[dict, list[str]]:
    """The new version against the served one: figures, and the reasons to refuse it (none:
    publish). The MNIST test set, the held-out corrections, the other validation kinds."""
    from training.kinds import kinds_of

    test = load_idx_dir(VENDORED_MNIST, "test")
    _, validation = card_split(new)
    sets = {
        "mnist_validation": (validation.images, validation.labels),
        "mnist_test": (test.images, test.labels),
        "held_out_corrections": (held.images, held.labels),
    }
    sets |= {
        f"validation_{k}": (x.astype(np.uint8), y)
        for k, (x, y) in kinds_of("validation", validation).items()
    }
    models = {"served": load_model(served, threads=2), "new": load_model(new, threads=2)}
    figures = {
        name: {**{v: accuracy(m, x, y) for v, m in models.items()}, "images": len(y)}
        for name, (x, y) in sets.items()
        if len(y)
    }
    reasons = [
        short_by(
            f"{name} ({measure})", figure["new"][measure], figure["served"][measure], tolerance
        )
        for name, figure in figures.items()
        if name != "held_out_corrections"
        for tolerance in [MNIST_TOLERANCE if name.startswith("mnist") else KINDS_TOLERANCE]
        for measure in ("right", "answered")
    ]
    for split_name in ("validation", "test"):  # non-digits refused, as calibration measured
        name = f"{split_name}_nondigits_refused"
        figures[name] = figure = {
            v: getattr(ModelCard.read(folder).not_a_digit, split_name)["nondigits_refused"]
            for v, folder in (("served", served), ("new", new))
        }
        reasons.append(short_by(name, figure["new"], figure["served"], KINDS_TOLERANCE))
    reasons = [reason for reason in reasons if reason]
    held_figures = figures.get("held_out_corrections")
    better = held_figures and held_figures["new"]["answered"] > held_figures["served"]["answered"]
    if not better:
        reasons.append("held-out corrections: not answered better than by the served version")
    return figures, reasons


def served_version(repository: Path) -> Path:
    found = versions(repository)
    if not found:
        raise SystemExit(
            f"error: {repository} holds no version to compare with (publish model/ first)"
        )
    return found[max(found)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training corrections",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("export", type=Path, help="the zip of GET /corrections/export")
    parser.add_argument(
        "--repository", type=Path, required=True, help="the served model repository"
    )
    parser.add_argument(
        "--base", type=Path, default=Path("model"), help="the Keras networks to start from"
    )
    parser.add_argument(
        "--work", type=Path, default=RUNS / "next", help="where the new version is built"
    )
    parser.add_argument("--repeats", type=int, default=RECIPE["repeats"])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--networks", choices=("fast", "all"), default=RECIPE["networks"])
    parser.add_argument("--rehearsal", type=int, default=RECIPE["rehearsal"])
    parser.add_argument("--learning-rate", type=float, default=RECIPE["learning_rate"])
    parser.add_argument(
        "--train-batch-norm", action="store_true", help="let batch normalisation adapt too"
    )
    args = parser.parse_args(argv)
    recipe = {
        **RECIPE,
        "repeats": args.repeats,
        "epochs": args.epochs,
        "networks": args.networks,
        "rehearsal": args.rehearsal,
        "learning_rate": args.learning_rate,
        "freeze_batch_norm": not args.train_batch_norm,
    }
    served = served_version(args.repository)
    every = read_export(args.export)
    train, held = split_by_time(every, recipe["held_out_share"])
    served_digits, _ = served_answers(load_model(served, threads=2), train.images)
    keep = agreeing(train, served_digits, recipe["neighbours"])
    used = train.subset(keep)
    left_out = {"disagreeing": int((~keep).sum())}
    print(
        f"{len(used.labels)} correction images used; left out: {left_out}; "
        f"held out: {len(held.digits.labels)}",
        flush=True,
    )
    news = int((used.digits.labels != served_digits[keep][used.labels >= 0]).sum())
    if news < recipe["min_news"]:
        print(
            f"refused, not trained: {news} corrections that agree with their neighbours say "
            f"what the served version does not already answer (at least {recipe['min_news']} "
            "are needed)",
            file=sys.stderr,
        )
        return 3
    build(args.base, args.work, used.digits, used, recipe, served)
    figures, reasons = checks(args.work, served, held.digits)
    card = ModelCard.read(args.work)
    card.training["corrections"] |= {
        "left_out": left_out,
        "held_out": held.record(),
        "checks": {"against_version": served.name, "figures": figures, "refused": reasons},
    }
    card.write(args.work)
    print(json.dumps(figures, indent=2))
    if reasons:
        print("refused, not published:\n  " + "\n  ".join(reasons), file=sys.stderr)
        return 3
    target = publish(args.work, args.repository)
    print(f"published as version {target.name}: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
