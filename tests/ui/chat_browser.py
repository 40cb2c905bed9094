"""Helpers for the browser tests: serve the real chat on a free port, Chromium settings, screenshots."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
WARM_TIMEOUT_S = 300


class RecordingBot:
    """The real bot, noting each question and the history it was asked with."""

    def __init__(self, bot):
        self.bot = bot
        self.settings = bot.settings
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def warm(self):
        return self.bot.warm()

    def status(self) -> dict:
        return self.bot.status()

    def ask(self, question: str, history=None):
        self.calls.append((question, [tuple(pair) for pair in history or []]))
        return self.bot.ask(question, history=history)


@dataclass
class Served:
    """A running chat: its address, the bot behind it and the warm-up the page reports on."""

    url: str
    bot: object
    warmup: object

    @property
    def feedback_path(self) -> Path:
        return self.bot.settings.feedback_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_chat(bot, warmup=None) -> Iterator[Served]:
    """create_app(bot) launched on a free 127.0.0.1 port, closed afterwards."""
    import ui
    from bot.chat_ui.warmup import Warmup

    warmup = warmup or Warmup(bot).start()
    app = ui.create_app(bot, warmup=warmup)
    port = free_port()
    ui.serve(app, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield Served(f"http://127.0.0.1:{port}/", bot, warmup)
    finally:
        app.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under artifacts/screenshots (ignored by git) and return its path."""
    page.wait_for_timeout(600)  # let button and highlight transitions settle
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
