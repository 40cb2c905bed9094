"""Per-user conversation state and the per-message reply cache, both bounded and expiring."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass
class UserState:
    """What one user's conversation holds: recent turns, unsent parts, the awaited message."""

    history: deque[tuple[str, str]]
    more: list[str] = field(default_factory=list)
    awaited: str | None = None
    seen: float = 0.0


class Sessions:
    """Conversation state per user id (OpenID or WeCom UserID).

    Keeps at most `max_turns` question/answer pairs per user, forgets a user after `ttl_s`
    seconds without messages, and holds at most `max_users` users (least recent dropped first).
    """

    def __init__(
        self,
        max_turns: int = 5,
        ttl_s: float = 1800.0,
        max_users: int = 10000,
        clock: Clock = time.monotonic,
    ):
        self.max_turns = max_turns
        self.ttl_s = ttl_s
        self.max_users = max_users
        self._clock = clock
        self._users: OrderedDict[str, UserState] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, user: str) -> UserState:
        now = self._clock()
        state = self._users.get(user)
        if state is None or now - state.seen > self.ttl_s:
            state = UserState(history=deque(maxlen=self.max_turns))
            self._users[user] = state
        state.seen = now
        self._users.move_to_end(user)
        while len(self._users) > self.max_users:
            self._users.popitem(last=False)
        return state

    def history(self, user: str) -> list[tuple[str, str]]:
        """The user's recent (question, answer) pairs, oldest first."""
        with self._lock:
            return list(self._get(user).history)

    def remember(self, user: str, question: str, answer: str) -> None:
        """Add one turn; the oldest falls off past `max_turns`."""
        with self._lock:
            self._get(user).history.append((question, answer))

    def set_more(self, user: str, parts: list[str]) -> None:
        """Keep the parts of a long reply that were not sent yet."""
        with self._lock:
            self._get(user).more = list(parts)

    def next_part(self, user: str) -> str | None:
        """The next unsent part of the last long reply, or None when nothing is left."""
        with self._lock:
            more = self._get(user).more
            return more.pop(0) if more else None

    def await_message(self, user: str, key: str | None) -> None:
        """Remember which message's reply the user will ask for with 「结果」."""
        with self._lock:
            self._get(user).awaited = key

    def awaited(self, user: str) -> str | None:
        with self._lock:
            return self._get(user).awaited

    def reset(self, user: str) -> None:
        """Forget everything about the user (「重新开始」)."""
        with self._lock:
            self._users.pop(user, None)


@dataclass
class Delivery:
    """One incoming message: the reply being computed and how often the message arrived."""

    reply: Future
    created: float
    attempts: int = 0


class ReplyCache:
    """Replies by message id, so a retried message is answered once and from the same reply.

    Entries live `ttl_s` seconds; at most `max_entries` are kept (oldest dropped first).
    """

    def __init__(
        self, ttl_s: float = 600.0, max_entries: int = 20000, clock: Clock = time.monotonic
    ):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, Delivery] = OrderedDict()
        self._lock = threading.RLock()  # `start` may look up other entries

    def arrive(self, key: str, start: Callable[[], Future]) -> tuple[Delivery, bool]:
        """Count one arrival of message `key`; call `start()` only on its first arrival.

        Returns the delivery and whether this arrival started it.
        """
        with self._lock:
            now = self._clock()
            while self._entries:
                oldest_key, oldest = next(iter(self._entries.items()))
                if now - oldest.created <= self.ttl_s and len(self._entries) < self.max_entries:
                    break
                del self._entries[oldest_key]
            delivery = self._entries.get(key)
            started = delivery is None
            if started:
                delivery = Delivery(reply=start(), created=now)
                self._entries[key] = delivery
            delivery.attempts += 1
            return delivery, started

    def get(self, key: str) -> Delivery | None:
        with self._lock:
            return self._entries.get(key)
