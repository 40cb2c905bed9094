"""Who sent a request: the peer address, or X-Forwarded-For from a trusted proxy, grouped so
that one IPv6 network (/64) counts as one client."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from bot.errors import ConfigError

IPv4Or6 = ipaddress.IPv4Address | ipaddress.IPv6Address
IPV6_GROUP_PREFIX = 64


class ClientResolver:
    """Turns a request's peer address and X-Forwarded-For header into a rate-limit key.

    X-Forwarded-For is read only when the peer is one of `trusted_proxies` (addresses or CIDR
    networks, JJQA_TRUSTED_PROXIES). Then the client is the right-most address in the header that
    is not itself a trusted proxy; anything left of it could have been written by the client.
    """

    def __init__(self, trusted_proxies: Iterable[str] = ()):
        self.trusted = [_network(p) for p in trusted_proxies]

    def _is_trusted(self, address: IPv4Or6 | None) -> bool:
        return address is not None and any(address in net for net in self.trusted)

    def address(self, peer: str | None, forwarded_for: str | None) -> IPv4Or6 | None:
        """The client's address, or None when the peer is not an IP address (a Unix socket)."""
        current = _parse(peer)
        if not forwarded_for or not self._is_trusted(current):
            return current
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            hop_address = _parse(hop)
            if hop_address is None:  # garbage from someone: stop at the last hop we can trust
                return current
            current = hop_address
            if not self._is_trusted(current):
                return current
        return current

    def key(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's bucket: an IPv4 address, or the /64 network of an IPv6 address."""
        address = self.address(peer, forwarded_for)
        if address is None:
            return peer or "unknown"
        return group(address)


def group(address: IPv4Or6) -> str:
    """IPv4 addresses stand alone; IPv6 addresses are grouped by their /64 network."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        net = ipaddress.IPv6Network((address, IPV6_GROUP_PREFIX), strict=False)
        return str(net)
    return str(address)


def _parse(text: str | None) -> IPv4Or6 | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:443"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as e:
        raise ConfigError(
            f"JJQA_TRUSTED_PROXIES: {text!r} is not an IP address or network like 10.0.0.0/8"
        ) from e
