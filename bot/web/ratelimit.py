"""A per-client token bucket: `per_minute` requests, refilled evenly over the minute."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.web.errors import RateLimited

MAX_CLIENTS = 50000


class RateLimiter:
    """Allows each client a burst of `per_minute` requests, then one every 60/`per_minute` s.

    `per_minute <= 0` turns the limit off. At most `max_clients` buckets are kept. Only a bucket
    that has refilled (its client idle long enough to be full again) is ever dropped, so a
    flood of new addresses never hands a limited client a fresh allowance; while every kept
    bucket is still draining, newcomers share one overflow bucket.
    """

    def __init__(
        self,
        per_minute: int,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
        what: str = "requests",
    ):
        self.per_minute = per_minute
        self.max_clients = max_clients
        self.what = what
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._overflow: tuple[float, float] | None = None
        self._lock = threading.Lock()

    @property
    def _rate(self) -> float:
        return self.per_minute / 60.0

    def _refilled(self, bucket: tuple[float, float], now: float) -> float:
        tokens, last = bucket
        return min(float(self.per_minute), tokens + (now - last) * self._rate)

    def _make_room(self, now: float) -> bool:
        """Drop full buckets from the least recent end; True when there is room for one more."""
        while len(self._buckets) >= self.max_clients:
            oldest, bucket = next(iter(self._buckets.items()))
            if self._refilled(bucket, now) < self.per_minute:
                return False  # the least recent client is still limited: keep it
            del self._buckets[oldest]
        return True

    def check(self, client: str) -> None:
        """Take one request from `client`'s bucket, or raise `RateLimited` with Retry-After."""
        if self.per_minute <= 0:
            return
        with self._lock:
            now = self._clock()
            bucket = self._buckets.pop(client, None)
            overflow = bucket is None and not self._make_room(now)
            if overflow:
                bucket = self._overflow
            tokens = self._refilled(bucket, now) if bucket else float(self.per_minute)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if overflow:
                self._overflow = (tokens, now)
            else:
                self._buckets[client] = (tokens, now)
        if not allowed:
            wait = max(1, math.ceil((1.0 - tokens) / self._rate))
            raise RateLimited(
                f"too many {self.what}: at most {self.per_minute} a minute; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    def __len__(self) -> int:
        return len(self._buckets)
