"""The first HTML the browser gets, before Gradio's scripts run: the page's language, title,
description and a loading note, so the page is never blank and speaks Chinese from the start.

Gradio writes its page from a fixed template (`<html lang="en">`, no title); this ASGI
middleware rewrites that one response and passes everything else through untouched.
"""

from __future__ import annotations

import re

from bot.chat_ui.render import esc

_HTML = re.compile(rb"<html\b[^>]*>", re.S)
_LANG = re.compile(rb'\slang="[^"]*"')
_HEAD = re.compile(rb"<head[^>]*>")
_BODY = re.compile(rb"<body[^>]*>", re.S)

# Shown until the chat's header exists; colours match the page in both schemes.
BOOT_STYLE = """<style>
#jj-boot{position:fixed;inset:0;display:flex;gap:12px;align-items:center;justify-content:center;
 font:16px/1.5 system-ui,sans-serif;color:#1f2937;background:#f8fafc;z-index:1}
#jj-boot i{width:18px;height:18px;border:3px solid #99d5cb;border-top-color:#0f766e;
 border-radius:50%;animation:jj-boot 0.8s linear infinite}
@keyframes jj-boot{to{transform:rotate(360deg)}}
@media (prefers-color-scheme:dark){#jj-boot{color:#e5e7eb;background:#0b1120}}
@media (prefers-reduced-motion:reduce){#jj-boot i{animation:none}}
body:has(.jj-header) #jj-boot{display:none}
</style>"""


def shell_parts(lang: str, title: str, description: str, loading: str) -> dict[str, bytes]:
    """The pieces put into the page: head tags and the loading note."""
    head = (
        f"<title>{esc(title)}</title>"
        f'<meta name="description" content="{esc(description)}">{BOOT_STYLE}'
    )
    boot = f'<div id="jj-boot" role="status"><i aria-hidden="true"></i>{esc(loading)}</div>'
    return {"lang": lang.encode(), "head": head.encode(), "boot": boot.encode()}


def rewrite(page: bytes, parts: dict[str, bytes]) -> bytes:
    """Gradio's page with the language set and the head tags and loading note added."""
    lang = b' lang="' + parts["lang"] + b'"'

    def set_lang(m: re.Match) -> bytes:
        tag = m.group(0)
        return _LANG.sub(lang, tag, 1) if _LANG.search(tag) else tag[:5] + lang + tag[5:]

    page = _HTML.sub(set_lang, page, 1)
    page = _HEAD.sub(lambda m: m.group(0) + parts["head"], page, 1)
    return _BODY.sub(lambda m: m.group(0) + parts["boot"], page, 1)


class PageShell:
    """ASGI middleware that rewrites the HTML page Gradio serves at the root."""

    def __init__(self, app, *, lang: str, title: str, description: str, loading: str):
        self.app = app
        self.parts = shell_parts(lang, title, description, loading)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != "/":
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body = bytearray()

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._send(start, bytes(body), send)

        await self.app(scope, receive, capture)

    async def _send(self, start: dict, body: bytes, send) -> None:
        headers = list(start.get("headers", []))
        kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
        if kind.startswith(b"text/html") and not encoded:
            body = rewrite(body, self.parts)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
