"""Nothing lost, nothing doubled: corrections answered 201 survive the server being killed
(SIGKILL) mid-write, and three replicas writing to one PostgreSQL, each correcting answers the
others gave, keep exactly one correction per answer. Real servers, real databases."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx

from tests.harness import png_bytes, running_service
from tests.postgres import fresh_database

CLIENTS = 32
OPERATOR = {"X-API-Key": "operator-key"}


def stored_ids(url: str) -> list[str]:
    """Every correction's id, as an operator lists them, page by page."""
    ids: list[str] = []
    while True:
        page = httpx.get(
            f"{url}/corrections", headers=OPERATOR, params={"limit": 1000, "offset": len(ids)}
        ).json()
        ids += [c["id"] for c in page["corrections"]]
        if len(ids) >= page["total"]:
            return ids


def test_corrections_answered_201_survive_a_sigkill(tmp_path, sample_digits) -> None:
    data_dir = str(tmp_path / "data")
    bodies = [png_bytes(image) for image in sample_digits.images[:50]]
    accepted: list[str] = []
    env = {"DIGITS_DATA_DIR": data_dir, "DIGITS_CORRECTIONS_PER_MINUTE": "0"}
    with running_service("sigkill.log", **env) as server:
        stop = threading.Event()

        def client(k: int) -> None:
            with httpx.Client(base_url=server.url, timeout=10) as http:
                for i in range(10_000):
                    if stop.is_set():
                        return
                    try:
                        answer = http.post(
                            f"/corrections?label={k % 10}",
                            content=bodies[(k + i) % len(bodies)],
                            headers={"Content-Type": "image/png"},
                        )
                    except httpx.HTTPError:
                        return  # the server is gone
                    if answer.status_code == 201:
                        accepted.append(answer.json()["id"])

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(accepted) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.process.kill()  # SIGKILL, with 32 clients mid-request
        server.process.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(accepted) >= 200, f"only {len(accepted)} corrections answered before the kill"
    with running_service("sigkill-restart.log", DIGITS_OPERATOR_KEY="operator-key", **env) as again:
        stored = stored_ids(again.url)
    missing = set(accepted) - set(stored)
    print(f"{len(accepted)} answered 201 before SIGKILL, {len(stored)} stored after restart")
    assert not missing, f"{len(missing)} of {len(accepted)} corrections answered 201 were lost"


def test_three_replicas_on_one_postgres_lose_none_and_double_none(postgres, sample_digits) -> None:
    """Each answer is given by one replica and corrected on the two others (the second
    correction replaces the first), from 16 clients at once."""
    url = fresh_database(postgres)
    env = {
        "DIGITS_DATABASE_URL": url,
        "DIGITS_CAPTURE_PERCENT": "100",
        "DIGITS_CORRECTIONS_PER_MINUTE": "0",
        "DIGITS_OPERATOR_KEY": "operator-key",
    }
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(running_service(f"replica-{n}.log", **env)).url for n in range(3)
        ]

        def one(i: int) -> tuple[str, str, list[str]]:
            body = png_bytes(sample_digits.images[i % len(sample_digits.images)])
            given = httpx.post(f"{replicas[i % 3]}/predict?always_guess=true", content=body)
            answer_id = given.json()["id"]
            receipts = []
            for step, label in enumerate((str(i % 10), str((i + 1) % 10))):
                replica = replicas[(i + 1 + step) % 3]
                sent = httpx.post(
                    f"{replica}/corrections", json={"id": answer_id, "label": label}, timeout=10
                )
                assert sent.status_code == 201, sent.text
                receipts.append(sent.json()["id"])
            return answer_id, str((i + 1) % 10), receipts

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, range(240)))
        listed = httpx.get(f"{replicas[0]}/corrections", headers=OPERATOR, params={"limit": 1000})
        corrections = listed.json()["corrections"]
    by_answer = {c["answer_id"]: c for c in corrections}
    assert len(corrections) == len(by_answer) == len(results)  # none doubled, none lost
    for answer_id, last_label, receipts in results:
        assert receipts[0] == receipts[1] == by_answer[answer_id]["id"]
        assert by_answer[answer_id]["label"] == last_label
