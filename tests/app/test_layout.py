"""The layout the architecture promises: the service stands on the shared core alone."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import REPO, make_client

BLOCK_TRAINING = (
    "import sys\n"
    "for name in ('training', 'tensorflow', 'keras'):\n"
    "    sys.modules[name] = None  # importing it now fails\n"
    "import app.main\n"
)


def test_the_service_imports_neither_training_nor_tensorflow() -> None:
    """The serving image carries digits/ and app/, not training/ nor TensorFlow."""
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_TRAINING], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_core_imports_neither_side_nor_fastapi() -> None:
    code = (
        "import sys\n"
        "for name in ('app', 'training', 'fastapi', 'tensorflow', 'keras'):\n"
        "    sys.modules[name] = None\n"
        "import digits.card, digits.cascade, digits.contract, digits.preprocess, digits.runtime\n"
        "import digits.repository, digits.screening, digits.segment\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_benchmark_baseline_is_mounted_only_when_asked_for(sample_digits) -> None:
    from tests.harness import png_bytes

    upload = {"file": ("d.png", png_bytes(sample_digits.images[0]), "image/png")}
    with make_client() as default:
        assert default.post("/noop", files=upload).status_code == 404
    with make_client(noop_route=True) as benchmarked:
        response = benchmarked.post("/noop", files=upload)
        assert response.status_code == 200 and response.json()["received_bytes"] > 0
