"""`python -m training detector train|choose|calibrate`: say "not a digit" instead of guessing.

`train` fits a small CNN that scores how much a preprocessed image looks like one digit:
MNIST's training digits (as they are, and put in the upload styles) and digits beyond MNIST
(typed in the training fonts, other hands, low resolution: `training.kinds`) against generated
non-digits
(`training.nondigits`), preprocessed exactly as the service prepares uploads, and against what a
reader of numbers must not take for one digit (touching pairs, fragments of a digit, the wrong
cuts among the candidate pieces of touching numbers of MNIST's, typed and other hands' digits,
whose right cuts count as digits, as do the whole digits /read cuts out of numbers, and the
pieces /read cuts typed words into).
It is written to MODEL_DIR/detector/ with its card, compiled for LiteRT.

`choose` compares trained detectors on validation (the width served is chosen there);
`calibrate` then decides, on the validation split only: the temperature that makes the served
classifier's confidence mean what it says (least log-loss), and the detector's threshold (the
highest that refuses at most REFUSE_DIGITS of each kind of validation digit). It then
measures both once, on the official test set and a held-out non-digit set made with other seeds
and other fonts, beside the baseline of the classifier's top probability, and records it all in
MODEL_DIR's card (`not_a_digit`) with a reliability diagram and the ROC.

    python -m training detector train [MODEL_DIR] [--width 2]
    python -m training detector choose [MODEL_DIR] --compare DETECTOR_DIR ...   # on validation
    python -m training detector calibrate [MODEL_DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.card import CardError, ModelCard, ModelSection, NotADigitRecord
from digits.cascade import Cascade
from digits.contract import INPUT_SHAPE, SERVING_FILENAME
from digits.runtime import LiteRTModel, ModelLoadError, sha256
from digits.screening import temper
from synthesis.nondigits import HELD_OUT_FONTS, KINDS, TRAIN_FONTS
from training.data import VENDORED_MNIST, DataError, Digits, card_split, load_idx_dir
from training.evaluate import BINS, auroc, fit_temperature, refused_at, reliability, roc
from training.kinds import CACHE as KINDS_CACHE
from training.kinds import COUNTS as COUNTS_BEYOND
from training.kinds import KINDS as DIGIT_KINDS
from training.kinds import crops_of, kinds_of
from training.nondigits import (
    cut_pieces,
    letter_pieces,
    nondigit_inputs,
    not_one_digit_inputs,
    styled_digit_inputs,
)
from training.small import fit_and_write

DETECTOR_DIR = "detector"
SEEDS = {"train": 1, "validation": 2, "held_out": 3}  # non-digits and styles differ per set
COUNTS = {
    "train": 40_000,
    "styled_train": 20_000,
    "not_one_train": 16_000,
    "cuts": 12_000,  # whole digits and wrong cuts among the pieces of touching numbers
    "kind_cuts": 8_000,  # ... of numbers of typed digits, and of other hands' (each)
    "letter_pieces": 8_000,  # the pieces /read cuts typed words into
    "validation": 5_000,
    "validation_cuts": 1_500,  # whole digits and wrong cuts of each kind of number
    "held_out": 5_000,
}
# most validation digits of each kind the threshold may refuse (the targets: 0.5% of MNIST's and of
# typed digits, 2% of other hands' and of hand-lettered ones)
REFUSE_DIGITS = {
    "mnist": 0.004,
    "styled": 0.004,
    "typed": 0.004,
    "hands": 0.015,
    "low_resolution": 0.015,
    "lettered": 0.015,
}
EPOCHS, BATCH = 8, 128
CACHE = KINDS_CACHE.parent / "detector"
CUT_KINDS = ("typed", "hands")  # the kinds beyond MNIST whose numbers are cut into pieces too
DATA_VERSION = 3  # bump when what the detector learns from changes


def build_detector(width: int = 1):
    """A small CNN: a preprocessed 28x28 image -> the probability that it shows a digit;
    `width` multiplies every layer's filters and units (the width served is chosen on
    validation)."""
    import keras
    from keras import layers

    from training.models import conv_block

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Rescaling(1 / 255),
            *conv_block(16 * width),
            layers.MaxPooling2D(2),
            *conv_block(32 * width),
            layers.MaxPooling2D(2),
            *conv_block(64 * width),
            layers.Flatten(),
            layers.Dense(64 * width, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="detector",
    )


def labelled(digits: np.ndarray, nondigits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([digits, nondigits])[..., np.newaxis].astype(np.float32)
    y = np.concatenate([np.ones(len(digits)), np.zeros(len(nondigits))]).astype(np.float32)
    return x, y


def with_styles(images: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Digits as they are, plus `count` of them put in the upload styles and preprocessed."""
    return np.concatenate([images.astype(np.float32), styled_digit_inputs(images[:count], seed)])


def training_data(model_dir: Path) -> dict[str, np.ndarray]:
    """The detector's training and validation images and labels, made once and kept in
    `.cache/detector/` (every width trains on the same images)."""
    split = ModelCard.read(model_dir).training
    path = CACHE / f"detector-{split['seed']}-{split['validation_size']}-v{DATA_VERSION}.npz"
    if path.exists():
        with np.load(path) as stored:
            return dict(stored)
    train_part, validation = card_split(model_dir)
    beyond = kinds_of("train", train_part)
    whole_cuts, wrong_cuts = numbers_cut(train_part, beyond, "train")
    crops = [images for images, _ in crops_of("train", train_part).values()]
    x, y = labelled(
        np.concatenate(
            [
                with_styles(train_part.images, COUNTS["styled_train"], SEEDS["train"]),
                whole_cuts,
                *[images for images, _ in beyond.values()],
                *crops,
            ]
        ),
        np.concatenate(
            [
                nondigit_inputs(COUNTS["train"], SEEDS["train"], TRAIN_FONTS),
                not_one_digit_inputs(train_part.images, COUNTS["not_one_train"], SEEDS["train"]),
                wrong_cuts,
                letter_pieces(COUNTS["letter_pieces"], SEEDS["train"]),
            ]
        ),
    )
    shown = validation_inputs(validation)  # what every detector choice is made on, too
    nondigits = np.concatenate([shown.pop("nondigits"), shown.pop("wrong_cuts")])
    val_x, val_y = labelled(np.concatenate(list(shown.values())), nondigits)
    data = {"x": as_bytes(x), "y": y, "val_x": as_bytes(val_x), "val_y": val_y}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **data)
    return data


def numbers_cut(
    mnist: Digits, beyond: dict[str, tuple[np.ndarray, np.ndarray]], split: str
) -> tuple[np.ndarray, np.ndarray]:
    """The whole digits and the wrong cuts among the candidate pieces of touching numbers
    (`cut_pieces`) of the split's MNIST digits and of its digits of each of CUT_KINDS: a digit
    cut out of a number carries a neighbour's stroke ends, which the detector must not take
    for a wrong cut's."""
    train = split == "train"
    mnist_count = COUNTS["cuts"] if train else COUNTS["validation_cuts"]
    kind_count = COUNTS["kind_cuts"] if train else COUNTS["validation_cuts"]
    made = [cut_pieces(mnist, mnist_count, SEEDS[split])]
    for images, labels in (beyond[kind] for kind in CUT_KINDS):
        pixels = as_bytes(images)  # composed as MNIST's own digits are
        made.append(cut_pieces(Digits(pixels, labels), kind_count, SEEDS[split]))
    return np.concatenate([whole for whole, _ in made]), np.concatenate([cut for _, cut in made])


def as_bytes(images: np.ndarray) -> np.ndarray:
    """0-255 pixels kept as bytes (a quarter of the memory, as MNIST's own are)."""
    return images.round().clip(0, 255).astype(np.uint8)


def train(model_dir: Path, width: int = 1) -> ModelCard:
    split = ModelCard.read(model_dir).training
    data = training_data(model_dir)
    x, y = data["x"].astype(np.float32), data["y"]
    val_x, val_y = data["val_x"].astype(np.float32), data["val_y"]
    weights = {0: len(y) / (2 * (y == 0).sum()), 1: len(y) / (2 * (y == 1).sum())}
    return fit_and_write(
        build_detector(width),
        (x, y),
        (val_x, val_y),
        model_dir / DETECTOR_DIR,
        seed=SEEDS["train"],
        epochs=EPOCHS,
        batch=BATCH,
        loss="binary_crossentropy",
        class_weight=weights,
        model=ModelSection(
            name="digit-detector",
            architecture="detector",
            description="a small CNN scoring whether a preprocessed image shows a digit at all",
            file="model.keras",
        ),
        training={
            "split": {"seed": split["seed"], "validation_size": split["validation_size"]},
            "digits": len(x) - int((y == 0).sum()),
            "digits_beyond_mnist": COUNTS_BEYOND["train"],
            "nondigits": int((y == 0).sum()),
            "width": width,
        },
    )


def in_chunks(network, images: np.ndarray, size: int = 1000) -> np.ndarray:
    pixels = images[..., np.newaxis].astype(np.float32)
    return np.concatenate(
        [network.predict(pixels[i : i + size]) for i in range(0, len(pixels), size)]
    )


def served_classifier(model_dir: Path, card: ModelCard):
    """What answers by default: the calibrated cascade where there is one, else the model."""
    full = LiteRTModel.open(model_dir / SERVING_FILENAME)
    if card.cascade is None:
        return full, card.model.name
    fast = LiteRTModel.open(model_dir / card.cascade.fast_model)
    return Cascade(fast, full, card.cascade.threshold), card.cascade.name


def held_out_by_kind(count: int) -> dict[str, np.ndarray]:
    """The held-out non-digits: other seeds, other fonts; each kind on its own."""
    per_kind = count // len(KINDS)
    return {
        kind: nondigit_inputs(per_kind, SEEDS["held_out"] + 100 * k, HELD_OUT_FONTS, kinds=(kind,))
        for k, kind in enumerate(KINDS)
    }


def outputs(classifier, detector, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's probabilities (untempered) and the detector's digit scores."""
    return in_chunks(classifier, images), in_chunks(detector, images)[:, 0]


def on_mnist_test(
    raw: np.ndarray, scores: np.ndarray, temperature: float, threshold: float, test: Digits
) -> dict:
    """The official test digits, given both networks' outputs on them: how many are refused,
    the accuracy of all and of those answered, the calibration error before and after the
    temperature."""
    tempered = temper(raw, temperature)
    answered = scores >= threshold
    correct = tempered.argmax(axis=1) == test.labels
    return {
        "digits_refused": round(float(1 - answered.mean()), 6),
        "accuracy_all": round(float(correct.mean()), 6),
        "accuracy_answered": round(float(correct[answered].mean()), 6),
        "ece_before": reliability(raw, test.labels)[0],
        "ece_after": reliability(tempered, test.labels)[0],
    }


def validation_inputs(validation: Digits) -> dict[str, np.ndarray]:
    """The validation images every detector choice is made on: MNIST's validation digits as they
    are and in the upload styles, each kind of digit beyond MNIST, whole digits cut out of
    numbers, and non-digits, the wrong cuts of those numbers among them."""
    beyond = kinds_of("validation", validation)
    whole_cuts, wrong_cuts = numbers_cut(validation, beyond, "validation")
    return {
        "mnist": validation.images.astype(np.float32),
        "styled": styled_digit_inputs(validation.images, SEEDS["validation"]),
        **{kind: images for kind, (images, _) in beyond.items()},
        "cut_digits": whole_cuts,
        "nondigits": nondigit_inputs(COUNTS["validation"], SEEDS["validation"], TRAIN_FONTS),
        "wrong_cuts": wrong_cuts,
    }


def validation_scores(detector, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: in_chunks(detector, images)[:, 0] for name, images in inputs.items()}


def pick_threshold(
    scores: dict[str, np.ndarray], refuse: dict[str, float] = REFUSE_DIGITS
) -> float:
    """The highest threshold that refuses at most `refuse` of each kind of digit."""
    return round(float(min(np.quantile(scores[k], share) for k, share in refuse.items())), 6)


def refused_shares(scores: dict[str, np.ndarray], threshold: float) -> dict[str, float]:
    """The share of each set's images (by name) the detector refuses at `threshold`."""
    return {name: float((values < threshold).mean()) for name, values in scores.items()}


def refused_by(card: ModelCard) -> dict[str, float]:
    """The share of each kind of validation digit the card's detector refuses, as calibration
    measured it, by the names of REFUSE_DIGITS."""
    measured = card.not_a_digit.validation
    names = {"mnist": "digits_refused", "styled": "styled_digits_refused"}
    return {kind: measured[names.get(kind, f"{kind}_refused")] for kind in REFUSE_DIGITS}


def choose(detector_dirs: list[Path], model_dir: Path) -> None:
    """Detectors side by side on validation: each at its own threshold (`pick_threshold`), the
    share of validation non-digits it refuses (higher is better) and of each kind of digit."""
    _, validation = card_split(model_dir)
    inputs = validation_inputs(validation)
    digits = [*REFUSE_DIGITS, "cut_digits"]
    print(
        "| detector | parameters | threshold | non-digits refused | wrong cuts refused | "
        + " | ".join(f"{k} refused" for k in digits)
        + " |"
    )
    for folder in detector_dirs:
        detector = LiteRTModel.open(folder / SERVING_FILENAME, outputs=1)
        scores = validation_scores(detector, inputs)
        threshold = pick_threshold(scores)
        refused = refused_shares(scores, threshold)
        print(
            f"| {folder} | {ModelCard.read(folder).model.parameters:,} | {threshold:.4f} "
            f"| {refused['nondigits']:.2%} | {refused['wrong_cuts']:.2%} | "
            + " | ".join(f"{refused[k]:.2%}" for k in digits)
            + " |"
        )


@dataclass
class HeldOut:
    """The detector measured on the held-out sets: the card's figures (`test`, `baseline`) and
    the scores its ROC plot is drawn from."""

    test: dict
    baseline: dict
    scores: np.ndarray  # the detector's, on every held-out non-digit
    baseline_digit: np.ndarray  # the classifier's top probability on the test digits
    baseline_non: np.ndarray  # ... and on the held-out non-digits


def on_held_out(
    classifier,
    detector,
    test: Digits,
    raw_test: np.ndarray,
    test_scores: np.ndarray,
    temperature: float,
    threshold: float,
) -> HeldOut:
    """The held-out non-digits (other seeds, other fonts) and the test digits in upload
    styles, through both networks (`raw_test`, `test_scores`: their outputs on the test digits):
    what the detector refuses and how well it ranks, against the classifier's own top
    probability."""
    styled = in_chunks(detector, styled_digit_inputs(test.images, SEEDS["held_out"]))[:, 0]
    held_out = held_out_by_kind(COUNTS["held_out"])
    by_kind = {k: in_chunks(detector, v)[:, 0] for k, v in held_out.items()}
    scores = np.concatenate(list(by_kind.values()))
    baseline_digit = temper(raw_test, temperature).max(axis=1)
    baseline_non = np.concatenate(
        [temper(in_chunks(classifier, v), temperature).max(axis=1) for v in held_out.values()]
    )
    figures = {
        "styled_digits_refused": round(float((styled < threshold).mean()), 6),
        "nondigits": len(scores),
        "nondigits_refused": round(float((scores < threshold).mean()), 6),
        "nondigits_refused_by_kind": {
            k: round(float((v < threshold).mean()), 6) for k, v in by_kind.items()
        },
        "auroc": auroc(test_scores, scores),
        "nondigits_refused_at_1pct_digits": refused_at(test_scores, scores, 0.01),
    }
    baseline = {
        "score": "the classifier's top probability (tempered)",
        "auroc": auroc(baseline_digit, baseline_non),
        "nondigits_refused_at_1pct_digits": refused_at(baseline_digit, baseline_non, 0.01),
    }
    return HeldOut(figures, baseline, scores, baseline_digit, baseline_non)


def calibrate(model_dir: Path, refuse: dict[str, float] = REFUSE_DIGITS) -> NotADigitRecord:
    """The detector's threshold (refusing at most `refuse` of each kind of validation digit)
    and the classifier's temperature, chosen on validation, measured once on the test sets."""
    from training.plots import plot_reliability, plot_roc

    card = ModelCard.read(model_dir)
    classifier, name = served_classifier(model_dir, card)
    detector_path = model_dir / DETECTOR_DIR / SERVING_FILENAME
    detector = LiteRTModel.open(detector_path, outputs=1)
    detector_card = ModelCard.read(model_dir / DETECTOR_DIR)
    _, validation = card_split(model_dir)
    test = load_idx_dir(VENDORED_MNIST, "test")

    # every choice on the validation split
    val_probabilities = in_chunks(classifier, validation.images)
    temperature = fit_temperature(val_probabilities, validation.labels)
    val_tempered = temper(val_probabilities, temperature)
    val_scores = validation_scores(detector, validation_inputs(validation))
    threshold = pick_threshold(val_scores, refuse)
    shares = refused_shares(val_scores, threshold)
    refused = {name: round(share, 6) for name, share in shares.items()}

    # measured once, after
    raw_test, test_scores = outputs(classifier, detector, test.images)
    on_test = on_mnist_test(raw_test, test_scores, temperature, threshold, test)
    held = on_held_out(classifier, detector, test, raw_test, test_scores, temperature, threshold)
    before_val, bins_before = reliability(val_probabilities, validation.labels)
    after_val, bins_after = reliability(val_tempered, validation.labels)
    record = NotADigitRecord(
        classifier=name,
        detector=detector_path.relative_to(model_dir).as_posix(),
        detector_parameters=detector_card.model.parameters,
        threshold=threshold,
        temperature=temperature,
        calibration={
            "bins": BINS,
            "validation": {"ece_before": before_val, "ece_after": after_val},
            "test": {k: on_test.pop(k) for k in ("ece_before", "ece_after")},
            "validation_bins_after": bins_after,
        },
        validation={
            "digits_refused": refused["mnist"],
            "styled_digits_refused": refused["styled"],
            **{
                f"{name}_refused": refused[name]
                for name in [*DIGIT_KINDS, "cut_digits", "nondigits", "wrong_cuts"]
            },
        },
        test={**on_test, **held.test},
        baseline=held.baseline,
        sha256={
            path.relative_to(model_dir).as_posix(): sha256(path)
            for path in (detector_path, model_dir / SERVING_FILENAME)
        },
    )
    card.not_a_digit = record
    card.write(model_dir)
    plot_reliability(
        {
            f"before (ECE {before_val:.4f})": bins_before,
            f"after, T={temperature} (ECE {after_val:.4f})": bins_after,
        },
        model_dir / "reliability.png",
    )
    plot_roc(
        {
            f"detector (AUROC {record.test['auroc']:.4f})": roc(test_scores, held.scores),
            f"top probability (AUROC {record.baseline['auroc']:.4f})": roc(
                held.baseline_digit, held.baseline_non
            ),
        },
        model_dir / "not_a_digit_roc.png",
    )
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training detector", description=__doc__)
    parser.add_argument("command", choices=("train", "calibrate", "choose"))
    parser.add_argument("model_dir", nargs="?", type=Path, default=Path("model"))
    parser.add_argument(
        "--compare", type=Path, nargs="+", help="choose: detector folders to compare on validation"
    )
    parser.add_argument("--width", type=int, default=1, help="train: the layers' width factor")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if args.command == "choose":
            choose(args.compare or [args.model_dir / DETECTOR_DIR], args.model_dir)
            return 0
        if args.command == "train":
            card = train(args.model_dir, args.width)
            print(f"detector: validation accuracy {card.validation.accuracy:.4%}")
            return 0
        record = calibrate(args.model_dir)
    except (DataError, CardError, ModelLoadError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    test = record.test
    print(
        f"threshold {record.threshold}, temperature {record.temperature}: on test, "
        f"{test['digits_refused']:.2%} of MNIST digits and {test['styled_digits_refused']:.2%} "
        f"of styled digits refused, {test['nondigits_refused']:.2%} of held-out non-digits; "
        f"AUROC {test['auroc']:.4f} (top probability: {record.baseline['auroc']:.4f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
