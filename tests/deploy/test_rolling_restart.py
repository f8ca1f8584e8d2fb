"""The scale-out profile for real: three replicas behind nginx, loaded through the balancer while
one replica is stopped (what a rolling restart does) and another killed; every request counted.
And corrections through the balancer, every replica writing to the one PostgreSQL of the
profile: none lost, none doubled.

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

from tests.deploy.test_container import daemon_answers, docker
from tests.harness import REPO, free_port, png_bytes

pytestmark = pytest.mark.docker
CONCURRENCY, SECONDS, STOP_AT, KILL_AT = 16, 20.0, 6.0, 12.0


def compose(project: str, port: int, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", "compose", "-p", project, "--profile", "scale", *args],
        cwd=REPO,
        env={
            "LB_PORT": str(port),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "DIGITS_CAPTURE_PERCENT": "100",
            "DIGITS_OPERATOR_KEY": "operator-key",
            "DIGITS_CORRECTIONS_PER_MINUTE": "0",
        },
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


def test_corrections_through_the_balancer_are_kept_once_in_the_shared_postgres(
    balanced, sample_digits
) -> None:
    """Each answer corrected twice (the second replaces the first), each request to whichever
    replica nginx picks: one correction per answer, with the last label."""
    from concurrent.futures import ThreadPoolExecutor

    _, url = balanced
    operator = {"X-API-Key": "operator-key"}
    before = httpx.get(f"{url}/corrections", headers=operator).json()["total"]

    def one(i: int) -> tuple[str, str]:
        with httpx.Client(base_url=url, timeout=30) as http:
            body = png_bytes(sample_digits.images[i % len(sample_digits.images)])
            answer = http.post("/predict?always_guess=true", content=body).json()
            for label in (str(i % 10), str((i + 3) % 10)):
                sent = http.post("/corrections", json={"id": answer["id"], "label": label})
                assert sent.status_code == 201, sent.text
            return answer["id"], label

    with ThreadPoolExecutor(16) as pool:
        made = dict(pool.map(one, range(120)))
    listed = httpx.get(f"{url}/corrections", headers=operator, params={"limit": 1000}).json()
    mine = {c["answer_id"]: c["label"] for c in listed["corrections"] if c["answer_id"] in made}
    assert listed["total"] - before == len(made) == 120  # none doubled, none lost
    assert mine == made


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
