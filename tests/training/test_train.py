"""A short, real training run: it must learn, write every artifact, reload, and be reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from digits.contract import as_model_input
from tests.harness import MODEL_DIR
from training.cli import main
from training.data import VENDORED_MNIST, Digits, load_idx_dir
from training.distill import LABEL_WEIGHT, distillation_loss
from training.evaluate import evaluate
from training.train import TrainConfig, train


@pytest.fixture(scope="module")
def small_data(mnist_test: Digits) -> tuple[Digits, Digits]:
    train_part = load_idx_dir(VENDORED_MNIST, "train").subset(slice(0, 4000))
    return train_part, mnist_test.subset(slice(0, 1000))


def run(small_data: tuple[Digits, Digits], out: Path, architecture: str = "seed") -> dict:
    data, test = small_data
    config = TrainConfig(
        architecture=architecture, epochs=3, validation_size=500, seed=7, output_dir=out, verbose=0
    )
    return train(config, data, test, {"source": "test subset"})


def test_short_run_learns_and_writes_artifacts(small_data, tmp_path: Path) -> None:
    metrics = run(small_data, tmp_path)
    assert metrics["test_accuracy"] > 0.8, "3 epochs on 3,500 digits must beat chance (0.1) by far"
    for name in (
        "model.keras",
        "model.tflite",
        "metrics.json",
        "learning_curves.png",
        "confusion_matrix.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    stored = json.loads((tmp_path / "metrics.json").read_text())
    assert stored["test"]["accuracy"] == metrics["test_accuracy"]
    assert stored["training"]["train_size"] == 3500 and stored["training"]["validation_size"] == 500
    assert np.sum(stored["test"]["confusion_matrix"]) == 1000
    assert set(stored["test"]["per_class"]) == {str(d) for d in range(10)}
    assert stored["model"]["parameters"] > 0 and stored["versions"]["keras"] == keras.__version__
    assert stored["serving"]["same_digit"] == 1.0 and stored["serving"]["images"] == 1000
    assert stored["model"]["members"] == 1 and stored["training"]["members"][0]["epochs_run"] == 3
    assert "test set was evaluated once" in stored["protocol"]

    _, test = small_data
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    predicted = reloaded.predict(as_model_input(test.images), verbose=0).argmax(axis=1)
    assert float((predicted == test.labels).mean()) == pytest.approx(
        metrics["test_accuracy"], abs=1e-6
    )


def test_same_seed_same_model(small_data, tmp_path: Path) -> None:
    first = run(small_data, tmp_path / "a")
    second = run(small_data, tmp_path / "b")
    assert first["test"]["confusion_matrix"] == second["test"]["confusion_matrix"]
    weights_a = keras.saving.load_model(tmp_path / "a" / "model.keras").get_weights()
    weights_b = keras.saving.load_model(tmp_path / "b" / "model.keras").get_weights()
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)


def test_default_architecture_is_an_ensemble_of_two_networks(small_data, tmp_path: Path) -> None:
    data, test = small_data
    config = TrainConfig(epochs=1, validation_size=500, seed=1, output_dir=tmp_path, verbose=0)
    metrics = train(config, data.subset(slice(0, 2000)), test, {})
    assert metrics["model"]["architecture"] == "default" and metrics["model"]["members"] == 2
    members = metrics["training"]["members"]
    assert [m["seed"] for m in members] == [1, 2] and all(m["epochs_run"] == 1 for m in members)

    model = keras.saving.load_model(tmp_path / "model.keras")
    first, second = (model.get_layer(f"default_member_{n}") for n in (1, 2))
    assert model.count_params() == 2 * first.count_params() == metrics["model"]["parameters"]
    pixels = as_model_input(test.images[:64])
    averaged = (first.predict(pixels, verbose=0) + second.predict(pixels, verbose=0)) / 2
    np.testing.assert_allclose(model.predict(pixels, verbose=0), averaged, atol=1e-6)
    assert metrics["serving"]["same_digit"] == 1.0  # the LiteRT file holds both members too


def test_compact_is_distilled_from_the_teacher_and_leaves_it_untouched(
    small_data, tmp_path: Path
) -> None:
    """The fast architecture learns from a trained model (the committed one stands in)."""
    data, test = small_data
    teacher_path = MODEL_DIR / "model.keras"
    config = TrainConfig(
        architecture="compact",
        epochs=2,
        validation_size=500,
        seed=3,
        teacher=teacher_path,
        output_dir=tmp_path,
        verbose=0,
    )
    metrics = train(config, data, test, {})
    teacher = keras.saving.load_model(teacher_path, compile=False)
    # measured after distillation: had its weights or batch-norm statistics moved, this would too
    assert metrics["teacher"]["test_accuracy"] == evaluate(teacher, test)["accuracy"]
    assert metrics["teacher"]["parameters"] == teacher.count_params()
    history = metrics["training"]["members"][0]["history"]
    assert history["accuracy"][-1] > 0.5, "2 epochs of distillation must beat chance (0.1) by far"
    student = keras.saving.load_model(tmp_path / "model.keras")
    assert student.name == "compact" and student.count_params() == metrics["model"]["parameters"]
    assert metrics["serving"]["same_digit"] == 1.0


def test_distillation_loss_pulls_the_student_toward_the_teacher() -> None:
    """Equal to the label loss alone when the student already answers like the teacher, and
    larger the further it strays."""
    labels = np.array([3, 7])
    teacher = np.full((2, 10), 0.02, np.float32)
    teacher[0, 3] = teacher[1, 7] = 0.82
    uniform = np.full((2, 10), 0.1, np.float32)

    def loss(student: np.ndarray) -> np.ndarray:
        outputs = np.concatenate([student, teacher], axis=1)
        return keras.ops.convert_to_numpy(distillation_loss(labels, outputs))

    label_part = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(labels, teacher)
    )
    np.testing.assert_allclose(loss(teacher), LABEL_WEIGHT * label_part, atol=1e-5)
    assert (loss(uniform) > loss(teacher)).all()


def test_cli_reports_a_bad_source_clearly(tmp_path: Path, capsys) -> None:
    (tmp_path / "2.0.png").write_bytes(b"garbage")
    assert main(["--data", str(tmp_path), "--output-dir", str(tmp_path / "out")]) == 2
    assert "2.0.png: not a readable image" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_card_written_over_a_folders_keeps_the_reading_networks(tmp_path: Path) -> None:
    """Retraining the classifier writes a new card; /read's networks (judge, slash and gap
    readers) stay in the folder, so their records stay in the card (or the service would stop
    finding them), unless the new card brings its own."""
    from digits.card import ModelCard
    from training.train import keep_reading_records

    committed = ModelCard.read(MODEL_DIR)
    assert committed.reading and committed.slash and committed.gaps
    fresh = ModelCard.placeholder("retrained")
    keep_reading_records(fresh, tmp_path)  # nothing there to keep
    assert fresh.reading is None and fresh.slash is None and fresh.gaps is None
    committed.write(tmp_path)
    keep_reading_records(fresh, tmp_path)
    assert (fresh.reading, fresh.slash, fresh.gaps) == (
        committed.reading,
        committed.slash,
        committed.gaps,
    )
    own = ModelCard.placeholder("with its own slash reader")
    own.slash = committed.slash.model_copy(update={"threshold": 0.5})
    keep_reading_records(own, tmp_path)
    assert own.slash.threshold == 0.5 and own.gaps == committed.gaps
