"""Fixtures shared by the whole suite: MNIST, the committed model, and a running app."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from app.core.config import Settings
from app.main import create_app
from training.data import VENDORED_MNIST, Digits, load_idx_dir

REPO = Path(__file__).resolve().parent.parent
MODEL_DIR = REPO / "model"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", REPO / "artifacts"))


def png_bytes(pixels: np.ndarray, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def mnist_test() -> Digits:
    return load_idx_dir(VENDORED_MNIST, "test")


@pytest.fixture(scope="session")
def sample_digits(mnist_test: Digits) -> Digits:
    """A fixed, class-balanced sample of test digits: 30 of each."""
    picks = np.concatenate([np.flatnonzero(mnist_test.labels == d)[:30] for d in range(10)])
    return mnist_test.subset(picks)


def make_client(**overrides) -> TestClient:
    settings = Settings(model_dir=MODEL_DIR, **overrides)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """The app on the committed model, lifespan run (model loaded, warmed up)."""
    with make_client() as test_client:
        yield test_client


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The service as the README starts it (uvicorn, committed model) on a free loopback port."""
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    env = {**os.environ, "DIGITS_MODEL_DIR": str(MODEL_DIR), "TF_CPP_MIN_LOG_LEVEL": "3"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "live_server.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            time.sleep(0.3)
        else:
            process.kill()
            pytest.fail("the service did not become ready in 120 s")
        yield url
        process.terminate()
        process.wait(timeout=30)
