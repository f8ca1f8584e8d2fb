"""The production image, for real: build, run, wait for health, predict, check the user.

Skipped, with the reason, where no Docker daemon answers (`../shared/tools/local-docker.sh` or
any Docker engine provides one). Building from scratch installs the serving dependencies (no
TensorFlow): minutes.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.harness import ONE_WRITE_PROTOCOL, REPO, free_port, png_bytes

pytestmark = pytest.mark.docker
IMAGE = "digit-service:test"


def docker(*args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def daemon_answers() -> bool:
    return bool(shutil.which("docker")) and docker("info").returncode == 0


@pytest.fixture(scope="module")
def container() -> Iterator[tuple[str, str]]:
    if not daemon_answers():
        pytest.skip("no Docker daemon answers (run ../shared/tools/local-docker.sh to get one)")
    build = docker("build", "-t", IMAGE, str(REPO), timeout=1800)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    name, port = f"digits-test-{uuid.uuid4().hex[:8]}", free_port()
    run = docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", IMAGE)
    assert run.returncode == 0, run.stderr
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            health = docker("inspect", "-f", "{{.State.Health.Status}}", name).stdout.strip()
            if health == "healthy":
                break
            assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true", (
                docker("logs", name).stderr
            )
            time.sleep(1)
        else:
            pytest.fail(f"container not healthy in 180 s: {docker('logs', name).stderr[-2000:]}")
        yield name, url
    finally:
        docker("rm", "-f", name)


def test_container_predicts(container, sample_digits) -> None:
    _, url = container
    image, label = sample_digits.images[9], int(sample_digits.labels[9])
    files = {"file": ("d.png", png_bytes(image), "image/png")}
    response = httpx.post(f"{url}/predict", files=files, timeout=30)
    assert response.status_code == 200 and response.json()["digit"] == label
    assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
    model = httpx.get(f"{url}/model").json()
    parts = ("cascade", "not_a_digit", "reading", "slash", "gaps")
    assert [part for part in parts if model[part] is None] == []  # every network came along


def test_the_image_stays_lean_and_the_container_small(container) -> None:
    """Printed for the README (`pytest -s`): the image's size and the container's idle memory;
    bounded so that TensorFlow creeping back into the image, or a leak at rest, fails."""
    name, _ = container
    size_mb = int(docker("image", "inspect", "-f", "{{.Size}}", IMAGE).stdout) / 1e6
    usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", name).stdout
    idle_mib = float(usage.split("MiB")[0]) if "MiB" in usage.split("/")[0] else float("nan")
    print(f"\nimage {size_mb:.0f} MB; container idle {usage.split('/')[0].strip()}")
    # measured 461 MB and 123 MiB (bench/results.md); with TensorFlow the image was 1,220 MB
    assert size_mb < 520
    assert idle_mib < 160


def test_container_does_not_run_as_root(container) -> None:
    name, _ = container
    assert docker("exec", name, "id", "-u").stdout.strip() != "0"
    processes = docker("top", name).stdout.splitlines()[1:]  # UID PID PPID C STIME TTY TIME CMD
    assert any("uvicorn" in line for line in processes), processes
    assert all(line.split()[0] not in ("0", "root") for line in processes), processes


def test_it_answers_through_the_one_write_protocol(container) -> None:
    """The image's command names the protocol that sends each answer whole (app/http_protocol.py),
    which the rolling-restart test's kill relies on."""
    name, _ = container
    processes = docker("top", name).stdout.splitlines()[1:]
    assert any(f"--http {ONE_WRITE_PROTOCOL}" in line for line in processes), processes


def test_sigterm_stops_it_gracefully(container) -> None:
    name, _ = container
    started = time.monotonic()
    stop = docker("stop", "-t", "30", name, timeout=60)
    assert stop.returncode == 0
    assert time.monotonic() - started < 25, "uvicorn should exit on SIGTERM, not be killed"
    # uvicorn drains, shuts down cleanly, then re-raises SIGTERM: 143 = 128 + 15, not 137 (killed)
    assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() in ("0", "143")
    assert "Finished server process" in docker("logs", name).stderr
