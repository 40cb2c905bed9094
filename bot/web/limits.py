"""ASGI middleware that bounds each request before any handler runs: header count, requests in
flight, body size and the time the body may take to arrive. Refusals are JSON."""

from __future__ import annotations

import asyncio
import json

from bot.web.errors import BodyTooLarge, UnsafeXML


async def send_json(send, status: int, message: str, headers: dict[str, str] | None = None):
    """Answer `{"error": message}` with `status` and close the connection afterwards."""
    payload = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class RequestLimits:
    """Reads at most `max_bytes` of each request body within `body_timeout_s`, then replays it.

    - more than `max_headers` headers, or more than `max_header_bytes` in the request line and
      headers together: 431;
    - more than `max_concurrency` requests already in this process: 503 with Retry-After;
    - a body over `max_bytes`: 413, or 400 for paths under `xml_prefixes` (WeChat's rule);
    - a body that has not fully arrived after `body_timeout_s`: 408.

    Paths under `upload_prefixes` (document uploads) take bodies up to `max_upload_bytes`
    within `upload_timeout_s` instead.
    """

    def __init__(
        self,
        app,
        max_bytes: int,
        *,
        body_timeout_s: float = 10.0,
        max_headers: int = 64,
        max_header_bytes: int = 16384,
        max_concurrency: int = 512,
        xml_prefixes: tuple[str, ...] = (),
        upload_prefixes: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
        upload_timeout_s: float = 120.0,
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout_s = body_timeout_s
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        self.max_concurrency = max_concurrency
        self.xml_prefixes = xml_prefixes
        self.upload_prefixes = upload_prefixes
        self.max_upload_bytes = max_upload_bytes
        self.upload_timeout_s = upload_timeout_s
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope.get("headers") or ()
        if len(headers) > self.max_headers:
            return await send_json(send, 431, f"more than {self.max_headers} request headers")
        size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        size += sum(len(k) + len(v) + 4 for k, v in headers)
        if size > self.max_header_bytes:
            return await send_json(
                send, 431, f"request headers are larger than {self.max_header_bytes} bytes"
            )
        if self.max_concurrency > 0 and self.in_flight >= self.max_concurrency:
            return await send_json(
                send, 503, "the server is busy; try again shortly", {"Retry-After": "1"}
            )
        self.in_flight += 1
        try:
            await self._handle(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _handle(self, scope, receive, send):
        limit, timeout_s = self.max_bytes, self.body_timeout_s
        if self.upload_prefixes and scope["path"].startswith(self.upload_prefixes):
            limit, timeout_s = self.max_upload_bytes, self.upload_timeout_s
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._too_large(scope, send, limit)
        chunks, size, more = [], 0, True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while more:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                return await send_json(
                    send, 408, f"the request body did not arrive within {timeout_s:g} s"
                )
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await self._too_large(scope, send, limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _too_large(self, scope, send, limit: int):
        error = UnsafeXML if scope["path"].startswith(self.xml_prefixes) else BodyTooLarge
        await send_json(send, error.status, f"request body is larger than {limit} bytes")
