"""Conversation state, the reply cache and the rate limiter, driven by a clock the test moves."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from bot.web.errors import RateLimited
from bot.web.ratelimit import RateLimiter
from bot.web.sessions import ReplyCache, Sessions


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_history_is_bounded_expires_and_is_kept_per_user():
    clock = Clock()
    sessions = Sessions(max_turns=2, ttl_s=60, max_users=2, clock=clock)
    for n in range(3):
        sessions.remember("a", f"q{n}", f"a{n}")
    assert sessions.history("a") == [("q1", "a1"), ("q2", "a2")]
    assert sessions.history("b") == []
    clock.now += 59
    assert len(sessions.history("a")) == 2, "each message keeps the conversation alive"
    clock.now += 61
    assert sessions.history("a") == []


def test_least_recent_users_are_dropped_past_max_users():
    sessions = Sessions(max_users=2, clock=Clock())
    for user in ["a", "b", "c"]:
        sessions.remember(user, "q", "a")
    assert sessions.history("a") == [] and sessions.history("c") == [("q", "a")]


def test_reply_cache_starts_each_message_once_until_it_expires():
    clock = Clock()
    cache = ReplyCache(ttl_s=300, clock=clock)
    started = []

    def start():
        started.append(1)
        return Future()

    first, new = cache.arrive("m1", start)
    again, new_again = cache.arrive("m1", start)
    assert new and not new_again and first is again and again.attempts == 2
    assert len(started) == 1
    clock.now += 301
    cache.arrive("m2", start)  # arrivals sweep out what expired
    assert cache.get("m1") is None


def test_rate_limiter_allows_a_burst_then_one_per_interval_with_retry_after():
    clock = Clock()
    limiter = RateLimiter(per_minute=2, clock=clock)
    limiter.check("10.0.0.1")
    limiter.check("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.check("10.0.0.1")
    assert refused.value.headers["Retry-After"] == "30"
    limiter.check("10.0.0.2")
    clock.now += 30
    limiter.check("10.0.0.1")
    RateLimiter(per_minute=0).check("anyone")
