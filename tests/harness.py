"""The one home of what the tests (and the benchmarks, which stand on it) share: the service
started as the README starts it or in-process, uploads encoded as clients send them, the
committed model and copies of it to change."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from app.core.config import Settings
from app.main import create_app

REPO = Path(__file__).resolve().parent.parent
MODEL_DIR = REPO / "model"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", REPO / "artifacts"))


def model_copy(target: Path) -> Path:
    """A copy of the committed model folder to change: what serving and calibrating read (the
    TensorFlow SavedModel and the plots left out)."""
    shutil.copytree(MODEL_DIR, target, ignore=shutil.ignore_patterns("saved_model", "*.png"))
    return target


def png_bytes(pixels: np.ndarray, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(buffer, "PNG")
    return buffer.getvalue()


MULTIPART_BOUNDARY = "digits-boundary"
# the HTTP protocol the service is run with (scripts/serve.sh, the Dockerfile)
ONE_WRITE_PROTOCOL = "app.http_protocol:OneWriteHttpToolsProtocol"


def multipart_body(png: bytes, filename: str = "digit.png") -> bytes:
    """A one-file multipart body (field `file`), for clients that send raw bytes themselves."""
    head = (
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
    )
    return head.encode() + png + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()


def rotated(items: list, round_: int) -> list:
    """The items in another order each round (rotated by one), so that none always goes first:
    the machine's drift weighs on every one alike."""
    if not items:
        return items
    k = round_ % len(items)
    return items[k:] + items[:k]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcess:
    url: str
    process: subprocess.Popen
    startup_s: float


@contextmanager
def running_service(
    log_name: str = "live_server.log",
    code: Path = REPO,
    protocol: str | None = ONE_WRITE_PROTOCOL,
    **env: str | None,
) -> Iterator[ServiceProcess]:
    """The service as the README starts it (uvicorn, committed model) on a free loopback port,
    from this checkout or another (`code`, say a revision's worktree); `env` adds to its
    environment, a None removes a variable. `protocol` None: uvicorn's own, as a revision from
    before app/http_protocol.py is run anyway."""
    port = free_port()
    environment = {
        **os.environ,
        "DIGITS_MODEL_DIR": str(MODEL_DIR),
        "DIGITS_DATA_DIR": tempfile.mkdtemp(prefix="digits-data-"),  # its own feedback database
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "MALLOC_ARENA_MAX": "2",  # glibc's heap as scripts/serve.sh and the image set it
        "MALLOC_MMAP_THRESHOLD_": "262144",
        **env,
    }
    environment = {name: value for name, value in environment.items() if value is not None}
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / log_name
    command = [
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
        "--timeout-graceful-shutdown",
        "20",
        "--timeout-keep-alive",  # as scripts/serve.sh and the image run it
        "75",
    ]
    if protocol and (code / "app" / "http_protocol.py").exists():
        command += ["--http", protocol]
    with open(log, "w") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=code, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            while True:
                assert process.poll() is None, log.read_text()
                assert time.perf_counter() - started < 120, "not ready in 120 s"
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            yield ServiceProcess(url, process, time.perf_counter() - started)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def make_client(**overrides) -> TestClient:
    """The app in-process; its feedback database in a folder of its own unless told."""
    defaults = {"model_dir": MODEL_DIR, "data_dir": Path(tempfile.mkdtemp(prefix="digits-data-"))}
    settings = Settings(**{**defaults, **overrides})
    return TestClient(create_app(settings), raise_server_exceptions=False)
