"""Killed mid-answer: how many answers a server SIGKILLed under load leaves half-sent.

The service as the README runs it, with uvicorn's own HTTP protocol and with the project's
(`app/http_protocol.py`), alternated kill by kill. CLIENTS clients post a digit, each request on
a connection of its own as nginx sends them to a replica (`Connection: close`), until the server
is SIGKILLed at a random moment. Each request ends answered, with nothing (the balancer retries
it on another replica) or half-sent: a head with less than its body (the balancer has passed the
head on and cannot retry; the client gets a broken answer, as in the rolling-restart test's
rare failure). Printed per protocol: the counts over all kills, and the half-sent per 100 kills
in each round (median, range).

    .venv/bin/python -m bench.kills [--kills 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import threading
import time
from collections import Counter

from bench.serve import spread
from tests.harness import ONE_WRITE_PROTOCOL, png_bytes, running_service
from training.data import VENDORED_MNIST, load_idx_dir

CLIENTS = 12
PROTOCOLS = {"uvicorn's httptools": None, "one write (app.http_protocol)": ONE_WRITE_PROTOCOL}


def request_bytes() -> bytes:
    body = png_bytes(load_idx_dir(VENDORED_MNIST, "test").images[0])
    head = (
        "POST /predict?always_guess=true HTTP/1.1\r\nHost: digits\r\nContent-Type: image/png\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def outcome(received: bytes) -> str:
    """answered, nothing, or half-sent (a head, and less body than its Content-Length says)."""
    if not received:
        return "nothing"
    head, _, body = received.partition(b"\r\n\r\n")
    lengths = [
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    return "answered" if lengths and len(body) >= lengths[0] else "half-sent"


def post_until_stopped(port: int, request: bytes, stop: threading.Event, ends: Counter) -> None:
    while not stop.is_set():
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            return  # the server is gone
        received = b""
        with connection:
            try:
                connection.sendall(request)
                while chunk := connection.recv(65536):
                    received += chunk
            except OSError:
                pass
        ends[outcome(received)] += 1


def one_kill(protocol: str | None, request: bytes, rng: random.Random) -> Counter:
    """The service started, loaded, SIGKILLed after 0.3-0.8 s; how each request ended."""
    ends: Counter = Counter()
    with running_service("kills_server.log", protocol=protocol) as service:
        port = int(service.url.rsplit(":", 1)[1])
        stop = threading.Event()
        clients = [
            threading.Thread(target=post_until_stopped, args=(port, request, stop, ends))
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0.3, 0.8))
        os.kill(service.process.pid, signal.SIGKILL)
        service.process.wait()
        stop.set()
        for client in clients:
            client.join()
    return ends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=50, help="per protocol and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    request, rng = request_bytes(), random.Random(7)
    totals = {name: Counter() for name in PROTOCOLS}
    per_round: dict[str, list[float]] = {name: [] for name in PROTOCOLS}
    for round_ in range(args.rounds):
        this_round = {name: Counter() for name in PROTOCOLS}
        for _ in range(args.kills):
            for name, protocol in PROTOCOLS.items():
                this_round[name] += one_kill(protocol, request, rng)
        for name, ends in this_round.items():
            totals[name] += ends
            per_round[name].append(100 * ends["half-sent"] / args.kills)
            print(f"round {round_ + 1}: {name}: {dict(ends)}", flush=True)
    print(f"\n{args.kills} kills per protocol per round, {args.rounds} rounds, {CLIENTS} clients")
    print("| protocol | answered | nothing (retried) | half-sent | half-sent per 100 kills |")
    print("|---|---|---|---|---|")
    for name, ends in totals.items():
        print(
            f"| {name} | {ends['answered']:,} | {ends['nothing']:,} | {ends['half-sent']} "
            f"| {spread(per_round[name], 1)} |"
        )


if __name__ == "__main__":
    main()
