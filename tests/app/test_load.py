"""Load: many concurrent requests, valid and bad mixed, against the live service on loopback.

Every valid upload must get its own right digit (micro-batching must never mix answers up),
every bad one refused with its own status and error code, none a 5xx or a dropped connection,
and the service must stay healthy. 20,000 requests, every run.
"""

from __future__ import annotations

import asyncio
import random
import time

import httpx

from synthesis.uploads import STYLES
from tests.app.bad_inputs import CASES

CONCURRENCY = 64
CHEAP_BAD = [
    c for c in CASES if len(str(c[2])) < 100_000
]  # the multi-MB bodies stay in their own test


def valid_uploads(sample_digits, client) -> list[tuple[bytes, int]]:
    """Real-style uploads read right when the service is idle: under load they must stay right."""
    uploads = []
    for i, (image, label) in enumerate(
        zip(sample_digits.images, sample_digits.labels, strict=True)
    ):
        style = list(STYLES.values())[i % len(STYLES)]
        uploads.append((style(image), int(label)))
    known = []
    for data, label in uploads:
        answer = client.post("/predict", content=data, headers={"Content-Type": "image/png"})
        if answer.status_code == 200 and answer.json()["digit"] == label:
            known.append((data, label))
    assert len(known) >= 0.98 * len(uploads)
    return known


async def hammer(url: str, total: int, valid: list, bad: list) -> dict[str, int]:
    rng = random.Random(7)
    jobs = [
        ("valid", rng.choice(valid)) if rng.random() < 0.8 else ("bad", rng.choice(bad))
        for _ in range(total)
    ]
    counts = {
        "ok": 0,
        "wrong_digit": 0,
        "bad_refused": 0,
        "bad_misanswered": 0,  # refused, but not with the status and code its case names
        "server_error": 0,
        "connection_error": 0,
    }
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            kind, payload = queue.get_nowait()
            try:
                if kind == "valid":
                    data, label = payload
                    response = await http.post("/predict", files={"file": ("d.png", data)})
                else:
                    _, path, kwargs, _, _ = payload
                    response = await http.post(path, **kwargs)
            except httpx.TransportError:
                counts["connection_error"] += 1
                continue
            if response.status_code >= 500:
                counts["server_error"] += 1
            elif kind == "valid":
                right = response.status_code == 200 and response.json()["digit"] == label
                counts["ok" if right else "wrong_digit"] += 1
            else:
                _, _, _, status, code = payload
                given = response.json().get("error", {}) if response.status_code >= 400 else {}
                as_named = response.status_code == status and given.get("code") == code
                counts["bad_refused" if as_named else "bad_misanswered"] += 1

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        await asyncio.gather(*[worker(http) for _ in range(CONCURRENCY)])
    return counts


def test_mixed_load_at_concurrency_64(live_server, client, sample_digits) -> None:
    total = 20_000
    valid = valid_uploads(sample_digits, client)
    started = time.perf_counter()
    counts = asyncio.run(hammer(live_server, total, valid, CHEAP_BAD))
    elapsed = time.perf_counter() - started
    print(f"\n{total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s): {counts}")
    assert counts["server_error"] == 0 and counts["connection_error"] == 0, counts
    assert counts["wrong_digit"] == 0 and counts["bad_misanswered"] == 0, counts
    assert counts["ok"] + counts["bad_refused"] == total
    assert httpx.get(f"{live_server}/readyz").status_code == 200
