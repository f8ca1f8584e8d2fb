"""The model repository's layout: versions appear whole, and a damaged copy is told apart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digits.repository import (
    CHECKSUMS_FILENAME,
    fingerprint,
    publish,
    served_files,
    verify_checksums,
    versions,
)
from digits.runtime import ModelLoadError
from tests.harness import MODEL_DIR
from training.publish import main as publish_main


def test_the_served_files_are_what_the_card_names() -> None:
    assert served_files(MODEL_DIR) == [
        "model.tflite",
        "metrics.json",
        "fast/model.tflite",
        "detector/model.tflite",
        "judge/model.tflite",
        "slash/model.tflite",
        "gaps/model.tflite",
    ]
    assert served_files(MODEL_DIR / "fast") == ["model.tflite", "metrics.json"]


def test_publish_numbers_versions_and_never_overwrites(tmp_path: Path) -> None:
    first = publish(MODEL_DIR / "fast", tmp_path)
    second = publish(MODEL_DIR, tmp_path)
    assert versions(tmp_path) == {1: first, 2: second}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1", "2"]  # no staging left behind
    verify_checksums(second)
    assert (second / "detector/model.tflite").read_bytes() == (
        MODEL_DIR / "detector/model.tflite"
    ).read_bytes()
    with pytest.raises(ModelLoadError, match="never overwritten"):
        publish(MODEL_DIR, tmp_path, version=2)
    assert publish(MODEL_DIR / "fast", tmp_path, version=7).name == "7"


def test_the_command_line_publishes(tmp_path: Path, capsys) -> None:
    assert publish_main([str(MODEL_DIR / "fast"), "--repository", str(tmp_path)]) == 0
    assert "as version 1" in capsys.readouterr().out
    assert publish_main([str(tmp_path / "nothing"), "--repository", str(tmp_path)]) == 2
    assert "missing model.tflite" in capsys.readouterr().err


def test_versions_are_numbered_folders_only(tmp_path: Path) -> None:
    for name in ("3", "10", ".4.partial", "latest", "0"):
        (tmp_path / name).mkdir()
    (tmp_path / "5").write_text("a file, not a version")
    assert list(versions(tmp_path)) == [3, 10]
    assert versions(tmp_path / "absent") == {}


@pytest.mark.parametrize(
    "damage",
    ["truncated model", "no checksums", "checksums leave a file out", "file missing"],
)
def test_damaged_versions_fail_their_checks(tmp_path: Path, damage: str) -> None:
    version = publish(MODEL_DIR / "fast", tmp_path)
    sums = version / CHECKSUMS_FILENAME
    if damage == "truncated model":
        model = version / "model.tflite"
        model.write_bytes(model.read_bytes()[:1000])
    elif damage == "no checksums":
        sums.unlink()
    elif damage == "checksums leave a file out":
        sums.write_text(sums.read_text().splitlines()[0] + "\n")
    else:
        (version / "model.tflite").unlink()
    with pytest.raises(ModelLoadError):
        verify_checksums(version)


def test_the_fingerprint_follows_the_served_files(tmp_path: Path) -> None:
    version = publish(MODEL_DIR / "fast", tmp_path)
    before = fingerprint(version)
    (version / "unrelated.txt").write_text("not served")
    assert fingerprint(version) == before
    shutil.copy(MODEL_DIR / "model.tflite", version / "model.tflite")
    assert fingerprint(version) != before
