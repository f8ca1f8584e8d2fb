"""uvicorn's HTTP/1.1 protocol (httptools) with each response's head sent together with its body.

Why: uvicorn writes a response's status line and headers in one socket write and its body in a
second. A replica killed between the two (SIGKILL, the OOM killer, a node lost) leaves the
balancer with a head it has already passed on to the client, so nginx can no longer retry the
request on another replica and the client gets a broken response. Sent in one write, a response
is either wholly in the kernel's buffer or not sent at all, and one not sent is retried
(`proxy_next_upstream` in deploy/nginx/nginx.conf). One system call fewer per response, too.

uvicorn is told to use it by name: `--http app.http_protocol:OneWriteHttpToolsProtocol`
(scripts/serve.sh, the Dockerfile, the tests' harness).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle


class HeadWithBody:
    """One response's view of its connection: the write that carries the head (the first once
    the response has started; a `100 Continue` comes before) is held and sent with the next one,
    the body's first bytes. Everything else goes to the connection's transport as it is."""

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self._transport = transport
        self._cycle: RequestResponseCycle | None = cycle
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._cycle is None or not self._cycle.response_started:
            self._transport.write(data)  # a 100 Continue, or the body after its first bytes
        elif self._head is None:
            self._head = bytes(data)
        else:
            self._transport.write(self._head + data)
            # the cycle holds this view: without the reference back, the request's objects are
            # freed when it ends, not left to the garbage collector
            self._head = self._cycle = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """httptools' protocol whose responses are each written in one call (`HeadWithBody`)."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # a HEAD response has no body write to carry its head; an upgrade makes no new cycle
        if (
            cycle is not None
            and not isinstance(cycle.transport, HeadWithBody)
            and cycle.scope["method"] != "HEAD"
        ):
            cycle.transport = HeadWithBody(cycle.transport, cycle)
