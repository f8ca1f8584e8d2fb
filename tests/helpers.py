"""Helpers the tests share that the benchmarks do not (those live in `bench.harness`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.harness import MODEL_DIR


def model_copy(target: Path) -> Path:
    """A copy of the committed model folder to change: what serving and calibrating read (the
    TensorFlow SavedModel and the plots left out)."""
    shutil.copytree(MODEL_DIR, target, ignore=shutil.ignore_patterns("saved_model", "*.png"))
    return target
