"""Run `bot.ask` on a bounded pool of threads so the event loop never blocks on a question."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import Future, ThreadPoolExecutor

from bot.values import Answer

DEFAULT_WORKERS = min(8, (os.cpu_count() or 1) + 2)


class AskPool:
    """Answers questions with `bot` on at most `workers` threads; extra questions queue."""

    def __init__(self, bot, workers: int = DEFAULT_WORKERS):
        self.bot = bot
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ask")

    def submit(self, question: str, history: list[tuple[str, str]]) -> Future:
        """Start answering now; the future holds the `Answer` or the exception `ask` raised."""
        return self._executor.submit(self.bot.ask, question, history=history)

    def run(self, fn, *args) -> Future:
        """Run `fn(*args)` on the pool; for work that wraps `bot.ask` with more steps."""
        return self._executor.submit(fn, *args)

    async def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
        """Answer and wait for it without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(question, history))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def wait_for(future: Future, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for `future` without cancelling it; True when it is done."""
    if future.done():
        return True
    waiting = asyncio.wrap_future(future)
    # Read the outcome even when nobody waits any more, so no "never retrieved" warning is logged.
    waiting.add_done_callback(lambda f: f.cancelled() or f.exception())
    done, _ = await asyncio.wait([waiting], timeout=timeout_s)
    return bool(done)
