"""Each response leaves in one write: a replica killed mid-answer has sent all of it or none
(app/http_protocol.py). Driven as uvicorn drives a protocol, with a transport that records each
write; uvicorn's own protocol, on the same requests, is the reference for the bytes."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.http_protocol import OneWriteHttpToolsProtocol

POST = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name)

    def write(self, data) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connected(app, protocol_class: type) -> tuple[HttpToolsProtocol, RecordingTransport]:
    """A fresh connection to the app, as uvicorn's server makes one (inside a running loop)."""
    config = Config(app=app, http=protocol_class, log_level="warning", access_log=False)
    config.load()
    transport = RecordingTransport()
    protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(transport)
    return protocol, transport


async def answer(app, protocol_class: type, request: bytes) -> RecordingTransport:
    """One request through a fresh connection, until the app has answered and the writes are in."""
    protocol, transport = connected(app, protocol_class)
    protocol.data_received(request)
    for _ in range(100):
        await asyncio.sleep(0)
        if protocol.cycle is not None and (protocol.cycle.response_complete or transport.closed):
            break
    await asyncio.sleep(0)
    return transport


def app_answering(*bodies: bytes, status: int = 200):
    """An ASGI app that reads the request, then answers with the body in these chunks."""

    async def app(scope, receive, send) -> None:
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for i, body in enumerate(bodies):
            more = i < len(bodies) - 1
            await send({"type": "http.response.body", "body": body, "more_body": more})

    return app


async def failing_after_start(scope, receive, send) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("the app broke between the head and the body")


@pytest.mark.parametrize(
    "app",
    [app_answering(b'{"digit": 7}'), app_answering(b""), app_answering(b"", status=204)],
    ids=["json", "empty body", "no content"],
)
def test_a_response_is_written_once_with_the_bytes_uvicorn_writes(app) -> None:
    one = asyncio.run(answer(app, OneWriteHttpToolsProtocol, POST))
    reference = asyncio.run(answer(app, HttpToolsProtocol, POST))
    assert len(reference.writes) == 2  # what the protocol is for: uvicorn's head, then its body
    assert one.writes == [b"".join(reference.writes)]


def test_a_streamed_response_sends_its_head_with_the_first_chunk() -> None:
    app = app_answering(b"first", b"second", b"")
    one = asyncio.run(answer(app, OneWriteHttpToolsProtocol, POST))
    reference = asyncio.run(answer(app, HttpToolsProtocol, POST))
    assert b"".join(one.writes) == b"".join(reference.writes)
    assert one.writes[0].startswith(b"HTTP/1.1 200") and one.writes[0].endswith(b"5\r\nfirst\r\n")
    assert len(one.writes) == len(reference.writes) - 1


def test_100_continue_is_not_held_back() -> None:
    waiting = POST.replace(b"\r\n\r\nbody", b"\r\nExpect: 100-continue\r\n\r\n")

    async def scenario() -> RecordingTransport:
        protocol, transport = connected(app_answering(b"ok"), OneWriteHttpToolsProtocol)
        protocol.data_received(waiting)
        for _ in range(10):
            await asyncio.sleep(0)
        assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]  # the client may send
        protocol.data_received(b"body")
        for _ in range(10):
            await asyncio.sleep(0)
        return transport

    transport = asyncio.run(scenario())
    assert len(transport.writes) == 2  # then the whole answer in one
    assert transport.writes[1].startswith(b"HTTP/1.1 200") and b"\r\nok\r\n" in transport.writes[1]


def test_a_head_request_is_answered_with_its_head() -> None:
    head = b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    one = asyncio.run(answer(app_answering(b"ignored"), OneWriteHttpToolsProtocol, head))
    assert len(one.writes) == 1 and one.writes[0].startswith(b"HTTP/1.1 200")


def test_an_app_that_breaks_after_the_head_sends_nothing_but_closes() -> None:
    """A head alone would be a broken answer the balancer cannot retry; nothing at all it can."""
    one = asyncio.run(answer(failing_after_start, OneWriteHttpToolsProtocol, POST))
    assert one.writes == [] and one.closed


def test_an_answered_request_is_freed_without_the_garbage_collector() -> None:
    """The response's view of the connection holds its cycle, and the cycle the view: left so,
    every request's objects would wait for the cyclic collector (a cost bench.compare saw at
    concurrency 8). Once the answer is sent, nothing holds the cycle but uvicorn."""

    async def scenario() -> weakref.ref:
        protocol, _ = connected(app_answering(b"ok"), OneWriteHttpToolsProtocol)
        protocol.data_received(POST)
        for _ in range(20):
            await asyncio.sleep(0)
        answered = weakref.ref(protocol.cycle)
        assert answered().response_complete
        protocol.cycle = None  # as the next request on the connection replaces it
        return answered

    gc.disable()
    try:
        assert asyncio.run(scenario())() is None
    finally:
        gc.enable()
