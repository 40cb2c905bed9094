"""Replay protection for signed callbacks: a timestamp window and a bounded memory of nonces."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.web.errors import BadSignature

log = logging.getLogger(__name__)

MAX_NONCES = 100_000


class ReplayGuard:
    """Accepts each (timestamp, nonce) once, and only timestamps within `window_s` of now.

    Call `check` before any work on a callback and `remember` once its signature is proven, so
    only authenticated requests take room. A pair is remembered until its timestamp leaves the
    window (after that the window refuses it anyway); at most `max_nonces` pairs are kept.
    """

    def __init__(
        self,
        window_s: float = 300,
        max_nonces: int = MAX_NONCES,
        clock: Callable[[], float] = time.time,
    ):
        self.window_s = window_s
        self.max_nonces = max_nonces
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, timestamp: str | None, nonce: str | None) -> None:
        """Raise `BadSignature` (403) for a missing, stale, future or already used pair."""
        if not timestamp or not nonce:
            raise BadSignature("signature, timestamp and nonce are required")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise BadSignature("timestamp must be the Unix time in seconds")
        if abs(self._clock() - int(timestamp)) > self.window_s:
            raise BadSignature(
                f"timestamp is more than {self.window_s:g} s from the server's clock"
            )
        with self._lock:
            if (timestamp, nonce) in self._seen:
                raise BadSignature("this timestamp and nonce were already used")

    def remember(self, timestamp: str, nonce: str) -> None:
        """Mark a proven pair as used; raise `BadSignature` if another request just used it."""
        with self._lock:
            now = self._clock()
            key = (timestamp, nonce)
            if key in self._seen:
                raise BadSignature("this timestamp and nonce were already used")
            while self._seen:
                oldest, expires = next(iter(self._seen.items()))
                if expires > now and len(self._seen) < self.max_nonces:
                    break
                if expires > now:
                    log.warning("nonce memory full (%d); forgetting the oldest", self.max_nonces)
                del self._seen[oldest]
            self._seen[key] = int(timestamp) + self.window_s

    def __len__(self) -> int:
        return len(self._seen)
