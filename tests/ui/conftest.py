"""Fixtures for the chat: the real app on a free loopback port, and Debian's Chromium to drive it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chat_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    WARM_TIMEOUT_S,
    RecordingBot,
    Served,
    missing,
    serve_chat,
)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium under Playwright (never a downloaded browser). Module-scoped: the sync
    API keeps an event loop running while it is open, which later asyncio.run() calls refuse."""
    if not CHROMIUM.exists():
        missing("Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def chat(chromium, shared_data_dir, tmp_path_factory) -> Iterator[Served]:
    """The chat over the real bot (recording what it is asked) and the real index, warm,
    with its own feedback file."""
    from bot.chain import Bot
    from bot.settings import Settings

    feedback = tmp_path_factory.mktemp("ui-feedback") / "feedback.jsonl"
    bot = RecordingBot(Bot(Settings(data_dir=shared_data_dir, feedback_path=feedback)))
    with serve_chat(bot) as served:
        if not served.warmup.wait(WARM_TIMEOUT_S):
            pytest.fail(f"the bot did not warm up within {WARM_TIMEOUT_S} s")
        if not served.suggestions.wait(WARM_TIMEOUT_S):
            pytest.fail(f"the example questions were not checked within {WARM_TIMEOUT_S} s")
        yield served


@pytest.fixture
def browse(chromium):
    """Opens fresh browser sessions: browse(viewport, color_scheme="light", **context_options)."""
    contexts = []

    def open_page(viewport, color_scheme="light", **options):
        context = chromium.new_context(
            viewport=viewport, locale="zh-CN", color_scheme=color_scheme, **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def desktop(browse):
    """A fresh browser session at desktop size (1280x800)."""
    return browse(DESKTOP)


@pytest.fixture
def phone(browse):
    """A fresh browser session at phone size (375x812)."""
    return browse(PHONE)
