"""uvicorn's h11 HTTP protocol with the connection limits a public server needs: a deadline for
the request headers, a cap on their size, a cap on open connections, and JSON refusals."""

from __future__ import annotations

import asyncio
import http
import json
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class ConnectionLimits:
    """Per-connection limits; see the JJQA_API_* settings of the same names."""

    header_timeout_s: float = 10.0
    max_header_bytes: int = 16384
    max_connections: int = 1000


def raw_json_response(status: int, message: str, headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response carrying `{"error": message}` that closes the connection."""
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    lines = [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class GuardedProtocol(H11Protocol):
    """An H11Protocol that closes connections which hold resources without sending a request.

    - Each request's line and headers must arrive within `header_timeout_s` of the connection
      opening or of the first byte after the previous response (idle time between requests is
      uvicorn's keep-alive timeout). A connection that sent nothing is closed; one that sent part
      of a request gets 408.
    - Headers still incomplete after `max_header_bytes` get 431 (h11 refuses to buffer more; a
      complete oversized block is refused by `RequestLimits`); a malformed request gets 400.
    - Beyond `max_connections` open connections in this process, a new one gets 503 and is
      closed at once, so idle sockets cannot use up the file descriptors.
    """

    def __init__(self, *args, limits: ConnectionLimits | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits or ConnectionLimits()
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(503, "too many open connections; try again shortly", {"retry-after": "1"})
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        waiting_for_headers = self.conn.their_state is h11.IDLE
        if waiting_for_headers:
            self._header_bytes += len(data)
            self._arm()
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._disarm()
            self._header_bytes = 0
        elif self._header_bytes > self.limits.max_header_bytes:
            self._refuse(
                431, f"request headers are larger than {self.limits.max_header_bytes} bytes"
            )

    def on_response_complete(self) -> None:
        self._header_bytes = 0
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        if self._header_bytes > self.limits.max_header_bytes:  # h11's buffer cap was hit
            self._refuse(
                431, f"request headers are larger than {self.limits.max_header_bytes} bytes"
            )
        else:
            self._refuse(400, "malformed HTTP request")

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.limits.header_timeout_s, self._headers_late
            )

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._header_bytes:
            limit = self.limits.header_timeout_s
            self._refuse(408, f"the request headers did not arrive within {limit:g} s")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        """Write a JSON error past h11 (which may be in any state) and close the connection."""
        self._disarm()
        self._unset_keepalive_if_required()
        if not self.transport.is_closing():
            self.transport.write(raw_json_response(status, message, headers))
            self.transport.close()
