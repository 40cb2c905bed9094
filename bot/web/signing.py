"""WeChat's SHA-1 request signatures, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

from bot.web.errors import BadSignature


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 over the sorted parts joined without a separator."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def verify(given: str | None, *parts: str | None) -> None:
    """Raise `BadSignature` unless `given` is the signature of `parts` (none may be missing)."""
    if not given or any(p is None for p in parts):
        raise BadSignature("signature, timestamp and nonce are required")
    if not hmac.compare_digest(given.encode("utf-8"), signature(*parts).encode("utf-8")):
        raise BadSignature("signature does not match")
