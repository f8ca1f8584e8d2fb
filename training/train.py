"""Train one architecture, select it on a validation split, test it once, write the artifacts."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digits import contract
from digits.card import ModelCard
from digits.contract import as_model_input
from training.data import Digits, fingerprint, split_holdout
from training.distill import Distiller, accuracy, distillation_loss
from training.evaluate import evaluate
from training.litert import agreement, export_litert
from training.models import ARCHITECTURES
from training.plots import plot_confusion_matrix, plot_learning_curves
from training.savedmodel import export_saved_model


@dataclass(frozen=True)
class TrainConfig:
    architecture: str = "default"
    epochs: int | None = None  # None: the architecture's own recipe
    batch_size: int | None = None
    members: int | None = None  # None: the architecture's own recipe
    validation_size: int = 5000
    seed: int = 42
    patience: int | None = None  # None: the architecture's own recipe
    teacher: Path | None = None  # a trained model.keras to distil from, instead of training one
    output_dir: Path = Path("model")
    verbose: int | str = "auto"


@dataclass
class MemberRun:
    """One trained network: the whole model, or one member of the ensemble that is the model."""

    model: keras.Model
    seed: int
    history: dict[str, list[float]]
    wall_time_s: float

    def summary(self, validation: Digits) -> dict:
        return {
            "seed": self.seed,
            "epochs_run": len(self.history["val_loss"]),
            "best_epoch": int(np.argmin(self.history["val_loss"])) + 1,
            "wall_time_s": round(self.wall_time_s, 1),
            "validation_accuracy": evaluate(self.model, validation)["accuracy"],
            "history": {k: [round(float(v), 6) for v in vs] for k, vs in self.history.items()},
        }


def seed_everything(seed: int) -> None:
    """Same seed, same model: seeds Python, NumPy and TF, and asks TF for deterministic ops."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
    }


def fit_member(
    config: TrainConfig,
    member: int,
    train_part: Digits,
    validation: Digits,
    callbacks: tuple[keras.callbacks.Callback, ...] = (),
    teacher: keras.Model | None = None,
) -> MemberRun:
    """Train one network with seed `config.seed + member`, keeping its best validation epoch,
    on the labels or, given a `teacher`, by distillation; `callbacks` watch the run (the
    training benchmark times each epoch)."""
    arch = ARCHITECTURES[config.architecture]
    epochs = config.epochs or arch.epochs
    batch_size = config.batch_size or arch.batch_size
    seed = config.seed + member
    seed_everything(seed)
    network = arch.build()
    steps_per_epoch = int(np.ceil(len(train_part) / batch_size))
    if teacher is None:
        model, loss, metric = network, "sparse_categorical_crossentropy", "accuracy"
    else:
        model, loss, metric = Distiller(network, teacher), distillation_loss, accuracy
    model.compile(optimizer=arch.optimizer(steps_per_epoch, epochs), loss=loss, metrics=[metric])
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss",
        patience=config.patience or arch.patience,
        restore_best_weights=True,
        verbose=1,
    )
    started = time.perf_counter()
    history = model.fit(
        as_model_input(train_part.images),
        train_part.labels,
        validation_data=(as_model_input(validation.images), validation.labels),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        callbacks=[stop, *callbacks],
        verbose=config.verbose,
    )
    return MemberRun(network, seed, history.history, time.perf_counter() - started)


def ensemble(members: list[keras.Model], name: str) -> keras.Model:
    """One model that averages its members' probabilities: still (N, 28, 28, 1) -> (N, 10)."""
    if len(members) == 1:
        return members[0]
    for number, member in enumerate(members, start=1):
        member.name = f"{name}_member_{number}"
    pixels = keras.Input(contract.INPUT_SHAPE, name="pixels")
    probabilities = keras.layers.Average(name="probabilities")([m(pixels) for m in members])
    return keras.Model(pixels, probabilities, name=name)


def train(config: TrainConfig, data: Digits, test: Digits, data_info: dict) -> dict:
    """Run the whole pipeline and return the metrics that were written to `output_dir`."""
    arch = ARCHITECTURES[config.architecture]
    train_part, validation = split_holdout(data, config.validation_size, config.seed)
    teacher = train_teacher(config, train_part, validation) if arch.teacher else None
    members = config.members or arch.members
    runs = [fit_member(config, m, train_part, validation, teacher=teacher) for m in range(members)]
    return finish(config, runs, (train_part, validation), test, data, data_info, teacher)


def train_teacher(config: TrainConfig, train_part: Digits, validation: Digits) -> keras.Model:
    """The model to distil from: `config.teacher` if given, else the teacher recipe trained on
    the same split (its epochs, batch size and members; the student's seed)."""
    if config.teacher:
        return keras.saving.load_model(config.teacher, compile=False)
    name = ARCHITECTURES[config.architecture].teacher
    recipe = TrainConfig(architecture=name, seed=config.seed, verbose=config.verbose)
    members = range(ARCHITECTURES[name].members)
    return ensemble([fit_member(recipe, m, train_part, validation).model for m in members], name)


PROTOCOL = (
    "Every choice (architecture, epochs and the epoch kept, members, the cascade's threshold, "
    "the detector's threshold and temperature) was made on the validation split; the official "
    "test set was evaluated once, after, and its figures were not used to choose anything."
)


def finish(
    config: TrainConfig,
    runs: list[MemberRun],
    split: tuple[Digits, Digits],
    test: Digits,
    data: Digits,
    data_info: dict,
    teacher: keras.Model | None = None,
) -> dict:
    """Assemble the members, measure the model on validation and (once) test, write it all."""
    arch = ARCHITECTURES[config.architecture]
    train_part, validation = split
    model = ensemble([run.model for run in runs], arch.name)
    members = [run.summary(validation) for run in runs]
    wall_time = sum(run.wall_time_s for run in runs)
    epochs_run = sum(member["epochs_run"] for member in members)
    metrics = {
        "model": {
            "name": f"mnist-{arch.name}",
            "architecture": arch.name,
            "description": arch.description,
            "parameters": model.count_params(),
            "members": len(runs),
            "file": contract.MODEL_FILENAME,
            "input": contract.describe(),
        },
        "test_accuracy": None,  # filled below, kept at the top for people reading the file
        "test": evaluate(model, test),
        "validation": evaluate(model, validation),
        "training": {
            "train_size": len(train_part),
            "validation_size": len(validation),
            "test_size": len(test),
            "epochs_planned": config.epochs or arch.epochs,
            "batch_size": config.batch_size or arch.batch_size,
            "seed": config.seed,
            "wall_time_s": round(wall_time, 1),
            "seconds_per_epoch": round(wall_time / epochs_run, 1),
            "members": members,
        },
        "data": {
            **data_info,
            "train_sha256": fingerprint(data),
            "test_sha256": fingerprint(test),
        },
        "teacher": describe_teacher(teacher, validation, test) if teacher else None,
        "versions": library_versions(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "protocol": PROTOCOL,
    }
    metrics["test_accuracy"] = metrics["test"]["accuracy"]
    write_artifacts(model, metrics, config.output_dir, as_model_input(test.images))
    return metrics


def describe_teacher(teacher: keras.Model, validation: Digits, test: Digits) -> dict:
    """What the model was distilled from, measured as the model is."""
    return {
        "name": teacher.name,
        "parameters": teacher.count_params(),
        "validation_accuracy": evaluate(teacher, validation)["accuracy"],
        "test_accuracy": evaluate(teacher, test)["accuracy"],
    }


def keep_reading_records(card: ModelCard, output_dir: Path) -> None:
    """A card written over a folder's keeps the records of /read's networks there (the piece
    judge, the slash and gap readers) where it has none of its own: they stand beside the
    classifier and do not read it, so a classifier trained again leaves their files, thresholds
    and checksums as they were, and the service still finds them by the card."""
    if not ModelCard.exists(output_dir):
        return
    before = ModelCard.read(output_dir)
    card.reading = card.reading or before.reading
    card.slash = card.slash or before.slash
    card.gaps = card.gaps or before.gaps


def write_artifacts(
    model: keras.Model, metrics: dict, output_dir: Path, check_images: np.ndarray
) -> None:
    """The model, its LiteRT compilation (checked against it on `check_images`), the
    SavedModel, metrics.json and the plots."""
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save(output_dir / contract.MODEL_FILENAME)
    metrics["serving"] = agreement(model, export_litert(model, output_dir), check_images)
    export_saved_model(model, output_dir)
    card = ModelCard.model_validate(metrics)
    keep_reading_records(card, output_dir)
    card.write(output_dir)
    histories = [member["history"] for member in metrics["training"]["members"]]
    plot_learning_curves(histories, output_dir / "learning_curves.png")
    accuracy = metrics["test"]["accuracy"]
    plot_confusion_matrix(
        metrics["test"]["confusion_matrix"],
        output_dir / "confusion_matrix.png",
        f"{metrics['model']['name']}: test accuracy {accuracy:.2%}",
    )
