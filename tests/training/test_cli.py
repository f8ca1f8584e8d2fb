"""`python -m training STEP`: one command, every step behind it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from training.cli import STEPS, main


def test_help_lists_every_step() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "training", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for step in ("train", *STEPS):
        assert step in shown


def test_a_step_runs_its_own_module(tmp_path) -> None:
    assert main(["cascade", str(tmp_path)]) == 2  # no model folder there: refused, not a trace
    with pytest.raises(SystemExit):
        main(["widen", "no-such-step"])
