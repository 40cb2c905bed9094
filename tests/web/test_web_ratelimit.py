"""Rate limits that hold: X-Forwarded-For only from the trusted proxy, IPv6 by /64, over a real
socket to a real `python -m bot serve` (the `hardened` fixture: 5 a minute, 127.0.0.2 trusted);
and the bucket map's bound, driven by a clock the test moves."""

from __future__ import annotations

import httpx
import pytest

from bot.web.clients import ClientResolver
from bot.web.errors import RateLimited
from bot.web.ratelimit import RateLimiter


def _codes(url: str, peer: str, forwarded: list[str]) -> list[int]:
    """Status of one cheap question per X-Forwarded-For value, all sent from `peer`."""
    transport = httpx.HTTPTransport(local_address=peer)
    with httpx.Client(transport=transport, timeout=30) as client:
        return [
            client.post(
                url + "/api/ask", json={"question": ""}, headers={"X-Forwarded-For": xff}
            ).status_code
            for xff in forwarded
        ]


def test_rotating_x_forwarded_for_from_an_untrusted_peer_changes_nothing(hardened):
    rotating = [f"198.51.100.{n}" for n in range(7)]
    assert _codes(hardened.url, "127.0.0.11", rotating) == [200] * 5 + [429] * 2


def test_the_trusted_proxy_s_x_forwarded_for_names_the_client(hardened):
    assert _codes(hardened.url, "127.0.0.2", ["203.0.113.5"] * 6) == [200] * 5 + [429]
    assert _codes(hardened.url, "127.0.0.2", ["203.0.113.6"]) == [200], "another client"
    # Whatever a client writes left of the proxy's own entry is not believed.
    spoofed = [f"10.9.9.{n}, 203.0.113.7" for n in range(6)]
    assert _codes(hardened.url, "127.0.0.2", spoofed) == [200] * 5 + [429]


def test_ipv6_clients_are_grouped_by_their_64_network(hardened):
    same_net = [f"2001:db8:1:2::{n:x}" for n in range(1, 7)]
    assert _codes(hardened.url, "127.0.0.2", same_net) == [200] * 5 + [429]
    assert _codes(hardened.url, "127.0.0.2", ["2001:db8:1:3::1"]) == [200]


def test_resolver_reads_only_what_trusted_proxies_wrote():
    resolver = ClientResolver(["10.0.0.0/8", "::1"])
    assert resolver.key("203.0.113.1", "1.1.1.1") == "203.0.113.1"
    assert resolver.key("10.0.0.5", "1.1.1.1, 10.0.0.9") == "1.1.1.1"
    assert resolver.key("10.0.0.5", "nonsense") == "10.0.0.5"
    assert resolver.key("::1", "2001:db8::1") == "2001:db8::/64"
    assert resolver.key("::ffff:192.0.2.1", None) == "192.0.2.1"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_new_clients_never_resets_a_limited_one():
    clock = Clock()
    limiter = RateLimiter(per_minute=2, max_clients=3, clock=clock)
    limiter.check("victim-of-own-abuse")
    limiter.check("victim-of-own-abuse")
    with pytest.raises(RateLimited):
        limiter.check("victim-of-own-abuse")
    for n in range(10001):  # the flood that used to push the limited bucket out
        try:
            limiter.check(f"flood-{n}")
        except RateLimited:
            pass
    assert len(limiter) <= 3
    with pytest.raises(RateLimited):
        limiter.check("victim-of-own-abuse")
    clock.now += 61  # a minute later every bucket is full again and may make room
    limiter.check("newcomer")
    limiter.check("victim-of-own-abuse")
