"""Access-log lines without the values that sign a WeChat callback: whoever reads a log must not
be able to replay or forge a request from it."""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("signature", "msg_signature", "timestamp", "nonce", "echostr")
_SECRET = re.compile(r"(?<=[?&])(" + "|".join(SECRET_PARAMS) + r")=[^&\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the value of every signing parameter in a query string replaced by `…`."""
    return _SECRET.sub(r"\1=…", text)


class RedactQuery(logging.Filter):
    """Rewrites uvicorn's access-log arguments (client, method, path?query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Redact uvicorn's access log in this process (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQuery) for f in access.filters):
        access.addFilter(RedactQuery())
