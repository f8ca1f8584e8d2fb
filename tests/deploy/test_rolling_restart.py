"""The scale-out profile for real: three replicas behind nginx, loaded through the balancer while
one replica is stopped (what a rolling restart does) and another killed; every request counted.

Skipped, with the reason, where no Docker daemon answers. Builds the images: minutes.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bench.harness import REPO, free_port, png_bytes
from tests.deploy.test_container import daemon_answers, docker

pytestmark = pytest.mark.docker
CONCURRENCY, SECONDS, STOP_AT, KILL_AT = 16, 20.0, 6.0, 12.0


def compose(project: str, port: int, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "compose", "-p", project, "--profile", "scale", *args],
        cwd=REPO,
        env={"LB_PORT": str(port), "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def balanced() -> Iterator[tuple[str, str]]:
    if not daemon_answers():
        pytest.skip("no Docker daemon answers (run ../shared/tools/local-docker.sh to get one)")
    project, port = f"digitsrr{uuid.uuid4().hex[:6]}", free_port()
    up = compose(
        project,
        port,
        "up",
        "-d",
        "--build",
        "--scale",
        "digits-replica=3",
        "digits-replica",
        "lb",
        timeout=1800,
    )
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while len(healthy(project)) < 3 or not answers(url):
            assert time.monotonic() < deadline, "replicas not healthy behind the balancer in 240 s"
            time.sleep(1)
        yield project, url
    finally:
        compose(project, port, "down", "-v", "-t", "5", timeout=300)


def replicas(project: str) -> list[str]:
    listed = docker(
        "ps",
        "-q",
        "--filter",
        f"label=com.docker.compose.project={project}",
        "--filter",
        "label=com.docker.compose.service=digits-replica",
    )
    return listed.stdout.split()


def healthy(project: str) -> list[str]:
    return [
        c
        for c in replicas(project)
        if docker("inspect", "-f", "{{.State.Health.Status}}", c).stdout.strip() == "healthy"
    ]


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def load(url: str, body: bytes, project: str) -> tuple[list, dict]:
    """CONCURRENCY clients for SECONDS; one replica stopped at STOP_AT, another killed at
    KILL_AT. Every outcome is kept with the phase it ended in."""
    outcomes: list = []
    started = time.monotonic()
    events: dict = {}

    def phase() -> str:
        elapsed = time.monotonic() - started
        return "steady" if elapsed < STOP_AT else "stop" if elapsed < KILL_AT else "kill"

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() - started < SECONDS:
            try:
                response = await http.post(
                    "/predict", content=body, headers={"Content-Type": "image/png"}
                )
                outcomes.append((phase(), response.status_code))
            except httpx.HTTPError as exc:
                outcomes.append((phase(), type(exc).__name__))

    async def disrupt() -> None:
        first, second, _ = replicas(project)
        await asyncio.sleep(STOP_AT)
        events["stop"] = await asyncio.to_thread(docker, "stop", first, timeout=60)
        await asyncio.sleep(max(0.0, KILL_AT - (time.monotonic() - started)))
        events["kill"] = await asyncio.to_thread(docker, "kill", second)

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await asyncio.gather(disrupt(), *(client(http) for _ in range(CONCURRENCY)))
    return outcomes, events


def test_stopping_and_killing_replicas_loses_no_request(balanced, sample_digits) -> None:
    project, url = balanced
    outcomes, events = asyncio.run(load(url, png_bytes(sample_digits.images[0]), project))
    assert events["stop"].returncode == 0 and events["kill"].returncode == 0
    counts: dict = {}
    for phase, outcome in outcomes:
        counts.setdefault(phase, {}).setdefault(outcome, 0)
        counts[phase][outcome] += 1
    print(counts)  # the figures for bench/results.md
    assert all(outcome == 200 for _, outcome in outcomes), counts
    assert counts["stop"][200] > 0 and counts["kill"][200] > 0
