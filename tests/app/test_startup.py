"""A model that cannot be served stops the server with one clear line and a non-zero exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODEL_DIR, REPO


def start_server(model_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGITS_MODEL_DIR": str(model_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", "0"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def broken_models(tmp_path: Path) -> dict[str, Path]:
    missing = tmp_path / "missing"
    missing.mkdir()
    truncated = tmp_path / "truncated"
    shutil.copytree(MODEL_DIR, truncated)
    data = (truncated / "model.keras").read_bytes()
    (truncated / "model.keras").write_bytes(data[: len(data) // 2])
    wrong_format = tmp_path / "wrong_format"
    shutil.copytree(MODEL_DIR, wrong_format)
    (wrong_format / "model.keras").write_text("this is not a Keras model")
    bad_metrics = tmp_path / "bad_metrics"
    shutil.copytree(MODEL_DIR, bad_metrics)
    (bad_metrics / "metrics.json").write_text("{not json")
    return {
        "missing": missing,
        "truncated": truncated,
        "wrong_format": wrong_format,
        "bad_metrics": bad_metrics,
    }


@pytest.mark.parametrize("case", ["missing", "truncated", "wrong_format", "bad_metrics"])
def test_unservable_model_exits_with_one_clear_line(tmp_path: Path, case: str) -> None:
    result = start_server(broken_models(tmp_path)[case])
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot start:" in line]
    assert len(errors) == 1, result.stderr
    assert str(tmp_path) in errors[0]
