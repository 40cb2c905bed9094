"""ASGI middleware that refuses request bodies over a byte limit before any handler reads them."""

from __future__ import annotations

import json

from bot.web.errors import BodyTooLarge, UnsafeXML


class BodyLimit:
    """Reads at most `max_bytes` of each request body, then replays it to the app.

    Too large: 413 with a JSON error, or 400 for paths under `xml_prefixes` (WeChat's rule).
    """

    def __init__(self, app, max_bytes: int, xml_prefixes: tuple[str, ...] = ()):
        self.app = app
        self.max_bytes = max_bytes
        self.xml_prefixes = xml_prefixes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, send)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._refuse(scope, send)
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

    async def _refuse(self, scope, send):
        error = UnsafeXML if scope["path"].startswith(self.xml_prefixes) else BodyTooLarge
        payload = json.dumps(
            {"error": f"request body is larger than {self.max_bytes} bytes"}, ensure_ascii=False
        ).encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
