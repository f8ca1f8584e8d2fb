"""Training from corrections, its parts: the export read back, the newest held out, and the
corrections that disagree with their neighbours left out (a flood of wrong labels)."""

from __future__ import annotations

import numpy as np
import pytest

from digits.archive import Corrected, write_archive
from digits.contract import MAX_PIXELS
from digits.preprocess import open_image, to_model_input
from synthesis.styles import on_paper
from synthesis.writers import written
from training.corrections import agreeing, read_export, split_by_time


@pytest.fixture(scope="module")
def continental_ones() -> np.ndarray:
    """120 continental 1s as the service prepares them (28x28)."""
    inks, _ = written("continental-1", 120, 5)
    rng = np.random.default_rng(0)
    return np.stack([to_model_input(open_image(on_paper(i, rng), MAX_PIXELS)) for i in inks])


def export_of(tmp_path, images: np.ndarray, labels: list[int]):
    items = [
        Corrected(
            f"c{k:04d}",
            str(label),
            f"2026-12-01T10:{k // 60:02d}:{k % 60:02d}",
            "1",
            "7",
            images[k : k + 1].astype(np.uint8),
        )
        for k, label in enumerate(labels)
    ]
    path = tmp_path / "corrections.zip"
    path.write_bytes(write_archive(items))
    return read_export(path)


def test_the_newest_share_is_held_out(tmp_path, continental_ones) -> None:
    corrections = export_of(tmp_path, continental_ones[:50], [1] * 50)
    train, held = split_by_time(corrections, 0.2)
    assert len(train.labels) == 40 and len(held.labels) == 10
    assert max(train.created_at) < min(held.created_at)


def test_a_way_of_writing_corrected_alike_is_used(tmp_path, continental_ones) -> None:
    corrections = export_of(tmp_path, continental_ones, [1] * len(continental_ones))
    served = np.full(len(continental_ones), 7)  # the served model reads them all as 7s
    assert agreeing(corrections, served, 5).mean() >= 0.95


def test_random_wrong_labels_are_left_out(tmp_path, continental_ones) -> None:
    rng = np.random.default_rng(1)
    labels = (1 + rng.integers(1, 10, len(continental_ones))) % 10  # any digit but 1
    corrections = export_of(tmp_path, continental_ones, labels.tolist())
    served = np.full(len(continental_ones), 7)
    kept = agreeing(corrections, served, 5)
    assert kept.mean() <= 0.2, kept.mean()  # those labelled 7 agree with the served model
    assert not (kept & (labels != 7)).mean() > 0.05


def test_a_flood_of_wrong_labels_is_refused_before_training(tmp_path, continental_ones) -> None:
    """300-odd random wrong labels: what survives the neighbours' vote is what the served model
    already answers, so nothing is trained and nothing reaches the repository."""
    from digits.repository import publish, versions
    from tests.harness import MODEL_DIR
    from training.corrections import main

    images = np.concatenate([continental_ones, continental_ones[::-1], continental_ones[:60]])
    rng = np.random.default_rng(2)
    labels = (1 + rng.integers(1, 10, len(images))) % 10
    export_of(tmp_path, images, labels.tolist())
    repository = tmp_path / "repository"
    publish(MODEL_DIR, repository)
    code = main(
        [
            str(tmp_path / "corrections.zip"),
            "--repository",
            str(repository),
            "--work",
            str(tmp_path / "next"),
        ]
    )
    assert code == 3 and list(versions(repository)) == [1]
    assert not (tmp_path / "next").exists()
