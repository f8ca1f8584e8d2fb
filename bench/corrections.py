"""The corrections loop end to end, through the running service: a way of writing the served
model gets wrong, corrected by people, learnt, checked, published and swapped in under load.

1. A model repository holding the committed model as version 1; the service serving it (as
   the README starts it), watching the repository.
2. `--corrections` images of one way of writing (`synthesis.writers`, e.g. the continental 1)
   sent to `POST /corrections` with their label; `--held-out` others (other seeds, never sent)
   read through `/predict` before.
3. The operator's export (`GET /corrections/export`), and `python -m training corrections` on
   it: the new version is published only where it passes its checks.
4. Clients post `/predict` all the while the new version is trained and swapped in; every
   answer that is not a 200 or a 422 (not a digit) is a failure.
5. The held-out images read again, by the version now served; its card's MNIST test accuracy.

With `--poison`, every correction carries a random wrong label: the run must not publish.

    .venv/bin/python -m bench.corrections [--style continental-1] [--poison] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from digits.repository import publish
from synthesis.styles import on_canvas, on_paper
from synthesis.writers import WRITERS, written
from tests.harness import MODEL_DIR, running_service

OPERATOR = {"X-API-Key": "operator-key"}
SEEDS = {"corrections": 100, "held_out": 200}


def uploads(style: str, count: int, seed: int) -> tuple[list[bytes], np.ndarray]:
    """`count` images of one way of writing, as a canvas export or a scan, and their label."""
    inks, labels = written(style, count, seed)
    rng = np.random.default_rng(seed)
    return [(on_canvas if i % 2 else on_paper)(ink, rng) for i, ink in enumerate(inks)], labels


def read_right(url: str, images: list[bytes], labels: np.ndarray) -> float:
    """Share answered 200 with the right digit (a refusal counts as wrong)."""
    right = 0
    with httpx.Client(base_url=url, timeout=30) as http:
        for data, label in zip(images, labels, strict=True):
            answer = http.post("/predict", content=data, headers={"Content-Type": "image/png"})
            right += answer.status_code == 200 and answer.json()["digit"] == label
    return right / len(labels)


def send_corrections(url: str, images: list[bytes], labels: np.ndarray) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for data, label in zip(images, labels, strict=True):
            sent = http.post(f"/corrections?label={label}", content=data)
            assert sent.status_code == 201, sent.text


class Load:
    """Clients posting /predict until stopped; every outcome counted."""

    def __init__(self, url: str, body: bytes, clients: int = 4) -> None:
        self.url, self.body, self.stop = url, body, threading.Event()
        self.outcomes: dict[str, int] = {}
        self.versions: set[str] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client) for _ in range(clients)]

    def client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                try:
                    answer = http.post(
                        "/predict?always_guess=true",
                        content=self.body,
                        headers={"Content-Type": "image/png"},
                    )
                    outcome = str(answer.status_code)
                    if answer.status_code == 200:
                        with self.lock:
                            self.versions.add(answer.json()["model_version"])
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                with self.lock:
                    self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
                time.sleep(0.01)  # steady traffic, leaving the training its cores

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    @property
    def failed(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome not in ("200", "422"))


def served_version(url: str) -> str:
    return httpx.get(f"{url}/model").json()["version"]


def candidate_checks(work: Path) -> dict:
    """The figures the training step's checks compared (from the new version's card)."""
    card = json.loads((work / "metrics.json").read_text()) if work.exists() else {}
    return card.get("training", {}).get("corrections", {}).get("checks", {}).get("figures", {})


def run(args: argparse.Namespace) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="digits-corrections-"))
    repository = folder / "repository"
    publish(MODEL_DIR, repository)
    rng = np.random.default_rng(0)
    sent, labels = uploads(args.style, args.corrections, SEEDS["corrections"])
    if args.poison:  # every label wrong: any digit but the right one
        labels = (labels + rng.integers(1, 10, len(labels))) % 10
    held, held_labels = uploads(args.style, args.held_out, SEEDS["held_out"])
    env = {
        "DIGITS_MODEL_REPOSITORY": str(repository),
        "DIGITS_MODEL_POLL_S": "1",
        "DIGITS_OPERATOR_KEY": OPERATOR["X-API-Key"],
        "DIGITS_CORRECTIONS_PER_MINUTE": "0",
    }
    with running_service("bench_corrections.log", **env) as server:
        before = read_right(server.url, held, held_labels)
        send_corrections(server.url, sent, labels)
        export = folder / "corrections.zip"
        export.write_bytes(httpx.get(f"{server.url}/corrections/export", headers=OPERATOR).content)
        command = [sys.executable, "-m", "training", "corrections", str(export)]
        command += ["--repository", str(repository), "--work", str(folder / "next")]
        with Load(server.url, held[0]) as load:
            started = time.perf_counter()
            trained = subprocess.run(command, capture_output=True, text=True)
            training_s = time.perf_counter() - started
            deadline = time.monotonic() + 60
            while trained.returncode == 0 and served_version(server.url) == "1":
                assert time.monotonic() < deadline, "the new version was not swapped in in 60 s"
                time.sleep(0.5)
            time.sleep(2)  # answers by the new version, under the same load
        after = read_right(server.url, held, held_labels)
        version = served_version(server.url)
        card = httpx.get(f"{server.url}/metrics").json()
    return {
        "style": args.style,
        "poison": args.poison,
        "corrections": args.corrections,
        "held_out": args.held_out,
        "before": before,
        "after": after,
        "published": trained.returncode == 0,
        "training_exit": trained.returncode,
        "training_s": round(training_s, 1),
        "refusals": [line for line in trained.stderr.splitlines() if line.startswith("  ")],
        "training_said": [
            line for line in trained.stderr.splitlines() if line.startswith("refused")
        ],
        "checks": candidate_checks(folder / "next"),
        "served_version": version,
        "served_test_accuracy": card["test_accuracy"],
        "load": {
            "outcomes": load.outcomes,
            "failed": load.failed,
            "versions": sorted(load.versions),
        },
        "training_tail": trained.stdout[-1500:] if trained.returncode else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", choices=sorted(WRITERS), default="continental-1")
    parser.add_argument("--corrections", type=int, default=300)
    parser.add_argument("--held-out", type=int, default=400)
    parser.add_argument("--poison", action="store_true", help="every correction's label wrong")
    parser.add_argument("--markdown", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.markdown:
        args.markdown.write_text(f"```json\n{text}\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
