"""A per-client rate limit for corrections: anyone may send them, so no one may flood them."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

CLIENTS = 10_000  # clients remembered; the least recently seen are forgotten first


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursting up to that many."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """None where the client may go on (one token taken), else whole seconds to wait."""
        if self.rate <= 0:
            return None
        at = time.monotonic()
        with self.lock:
            tokens, then = self.buckets.pop(client, (self.burst, at))
            tokens = min(self.burst, tokens + (at - then) * self.rate)
            allowed = tokens >= 1
            self.buckets[client] = (tokens - 1 if allowed else tokens, at)
            if len(self.buckets) > CLIENTS:
                self.buckets.popitem(last=False)
        return None if allowed else max(1, math.ceil((1 - tokens) / self.rate))
