"""WeChat's SHA-1 request signatures, checked in constant time, before any XML is parsed."""

from __future__ import annotations

import hashlib
import hmac
import re

from bot.web.errors import BadSignature, UnsafeXML

# The one element a sealed message is signed over, found without an XML parser: base64 text,
# bare or in CDATA. `decrypt` later checks the parsed element holds the same text.
_ENCRYPT = re.compile(
    rb"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]+)\]\]>|([A-Za-z0-9+/=]+))\s*</Encrypt>"
)


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 over the sorted parts joined without a separator."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def verify(given: str | None, *parts: str | None) -> None:
    """Raise `BadSignature` unless `given` is the signature of `parts` (none may be missing)."""
    if not given or any(p is None for p in parts):
        raise BadSignature("signature, timestamp and nonce are required")
    if not hmac.compare_digest(given.encode("utf-8"), signature(*parts).encode("utf-8")):
        raise BadSignature("signature does not match")


def sealed_text(body: bytes) -> str:
    """The base64 text of the single `<Encrypt>` element in a raw body, without parsing it.

    Raise `UnsafeXML` (400) when there is none or more than one.
    """
    found = _ENCRYPT.findall(body)
    if len(found) != 1:
        raise UnsafeXML("a sealed message must carry exactly one Encrypt element")
    cdata, bare = found[0]
    return (cdata or bare).decode("ascii")
