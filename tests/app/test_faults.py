"""Faults a real deployment meets: shutdown with requests in flight, and slow clients."""

from __future__ import annotations

import signal
import socket
import threading
import time

import httpx

from tests.harness import MULTIPART_BOUNDARY, multipart_body, png_bytes, running_service


def slow_upload(url: str, body: bytes, seconds: float, result: dict) -> None:
    """POST /predict sending the body a few bytes at a time over `seconds`, like a bad link."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        head = (
            f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: multipart/form-data; boundary={MULTIPART_BOUNDARY}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(head.encode())
        chunk = max(1, len(body) // 40)
        for start in range(0, len(body), chunk):
            sock.sendall(body[start : start + chunk])
            time.sleep(seconds / 40)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    result["status"] = int(answer.split(b" ", 2)[1])
    result["body"] = answer.split(b"\r\n\r\n", 1)[1]


def test_slow_client_does_not_block_others(sample_digits) -> None:
    image, label = sample_digits.images[0], int(sample_digits.labels[0])
    with running_service("faults_slow.log") as service:
        result: dict = {}
        slow = threading.Thread(
            target=slow_upload, args=(service.url, multipart_body(png_bytes(image)), 4.0, result)
        )
        slow.start()
        time.sleep(0.5)  # the slow upload is now in progress
        started = time.perf_counter()
        with httpx.Client(base_url=service.url) as http:
            for other in sample_digits.images[1:31]:
                response = http.post("/predict", files={"file": ("d.png", png_bytes(other))})
                assert response.status_code == 200
        others_took = time.perf_counter() - started
        slow.join(timeout=30)
    assert others_took < 3.0, f"30 requests took {others_took:.1f} s behind a slow upload"
    assert result["status"] == 200 and f'"digit":{label}'.encode() in result["body"]


def test_sigterm_lets_requests_in_flight_finish(sample_digits) -> None:
    image, label = sample_digits.images[3], int(sample_digits.labels[3])
    with running_service("faults_sigterm.log") as service:
        results = [{} for _ in range(4)]
        uploads = [
            threading.Thread(
                target=slow_upload, args=(service.url, multipart_body(png_bytes(image)), 2.0, r)
            )
            for r in results
        ]
        for upload in uploads:
            upload.start()
        time.sleep(0.7)  # uploads in flight
        service.process.send_signal(signal.SIGTERM)
        for upload in uploads:
            upload.join(timeout=30)
        exit_code = service.process.wait(timeout=30)
        refused_after = False
        try:
            httpx.get(f"{service.url}/healthz", timeout=2)
        except httpx.TransportError:
            refused_after = True
    assert [r.get("status") for r in results] == [200] * 4
    assert all(f'"digit":{label}'.encode() in r["body"] for r in results)
    # uvicorn drains, shuts down cleanly, then re-raises the signal it caught: -SIGTERM
    assert exit_code in (0, -signal.SIGTERM)
    assert refused_after, "the server should be gone after a graceful shutdown"


def test_client_disconnecting_mid_upload_is_not_a_server_error(client) -> None:
    """wrk and impatient clients hang up mid-body: that is a 499 in the metrics, not a 500."""
    import asyncio

    app = client.app
    messages = iter(
        [
            {"type": "http.request", "body": b"\x89PNG\r\n", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict] = []

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/predict",
        "raw_path": b"/predict",
        "query_string": b"",
        "headers": [(b"content-type", b"image/png")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("test", 1),
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 499
    registry = app.state.telemetry.registry
    assert not registry.get_sample_value(
        "digits_http_requests_total", {"method": "POST", "endpoint": "/predict", "status": "500"}
    )
