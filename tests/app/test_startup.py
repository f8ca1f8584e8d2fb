"""A model that cannot be served stops the server with one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digits.contract import SERVING_FILENAME
from tests.harness import REPO, model_copy


def start_server(model_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGITS_MODEL_DIR": str(model_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", "0"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def truncated(target: Path) -> None:
    data = (model_copy(target) / SERVING_FILENAME).read_bytes()
    (target / SERVING_FILENAME).write_bytes(data[: len(data) // 2])


def wrong_format(target: Path) -> None:
    (model_copy(target) / SERVING_FILENAME).write_text("this is not a LiteRT model")


def wrong_shape(target: Path) -> None:
    """A valid LiteRT model that takes 32x32 images: loadable, but not the service's contract."""
    import keras
    import tensorflow as tf

    model = keras.Sequential(
        [keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    (model_copy(target) / SERVING_FILENAME).write_bytes(
        tf.lite.TFLiteConverter.from_keras_model(model).convert()
    )


def bad_metrics(target: Path) -> None:
    (model_copy(target) / "metrics.json").write_text("{not json")


BREAKS = {
    "missing": Path.mkdir,
    "truncated": truncated,
    "wrong_format": wrong_format,
    "wrong_shape": wrong_shape,
    "bad_metrics": bad_metrics,
}


@pytest.mark.parametrize("case", BREAKS)
def test_unservable_model_exits_with_one_clear_line(tmp_path: Path, case: str) -> None:
    BREAKS[case](tmp_path / case)
    result = start_server(tmp_path / case)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot start:" in line]
    assert len(errors) == 1, result.stderr
    assert str(tmp_path) in errors[0]
