"""A per-client token bucket: `per_minute` requests, refilled evenly over the minute."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.web.errors import RateLimited


class RateLimiter:
    """Allows each client a burst of `per_minute` requests, then one every 60/`per_minute` s.

    `per_minute <= 0` turns the limit off. At most `max_clients` buckets are kept; a client whose
    bucket was dropped starts again full, which is what an idle client would have anyway.
    """

    def __init__(
        self,
        per_minute: int,
        max_clients: int = 10000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Take one request from `client`'s bucket, or raise `RateLimited` with Retry-After."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        if not allowed:
            wait = max(1, math.ceil((1.0 - tokens) / rate))
            raise RateLimited(
                f"too many requests: at most {self.per_minute} a minute; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
