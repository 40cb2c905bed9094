"""Helpers for the browser tests: serve the real chat on a free port, Chromium settings,
axe-core, screenshots."""

from __future__ import annotations

import os
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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
WARM_TIMEOUT_S = 300
# axe-core comes from the npm registry through `make browser` (tests/ui/package.json).
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


def missing(what: str) -> None:
    """Skip a test whose tool is not installed; in CI (where `make test` installs it) fail."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI; `make browser` should have installed it")
    pytest.skip(f"{what} is missing; run `make browser`")


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """The page's accessibility violations of these impacts, as axe-core reports them."""
    if not AXE.exists():
        missing(f"axe-core ({AXE})")
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in impacts]


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
    """A running chat: its address, the bot behind it, the warm-up the page reports on and
    the check of the example questions it offers."""

    url: str
    bot: object
    warmup: object
    suggestions: object

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
        yield Served(f"http://127.0.0.1:{port}/", bot, warmup, app.suggestions)
    finally:
        app.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under artifacts/screenshots (ignored by git) and return its path;
    docs/screenshots holds copies of these for the README."""
    page.wait_for_timeout(600)  # let button and highlight transitions settle
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
