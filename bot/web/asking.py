"""Answer questions on a bounded pool of threads, never on the event loop: each question has a
deadline, is dropped when its client leaves, and each client has only a few running at once."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.errors import StoreUnavailable
from bot.values import Answer
from bot.web.errors import AnswerTimeout, ClientGone, TooManyAtOnce

DEFAULT_WORKERS = min(8, (os.cpu_count() or 1) + 2)


class AskPool:
    """Answers questions with `bot` on at most `workers` threads; extra questions queue.

    `per_client` bounds how many questions one client may have in the pool at once. A question
    counts until its thread is done with it, even after its client gave up, so abandoned work
    still holds its client's place and not someone else's.
    """

    def __init__(self, bot, workers: int = DEFAULT_WORKERS, per_client: int = 0):
        self.bot = bot
        self.per_client = per_client
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ask")
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def run(self, fn, *args) -> Future:
        """Run `fn(*args)` on the pool; for work that wraps `bot.ask` with more steps."""
        return self._executor.submit(fn, *args)

    def ask_now(self, question: str, history: list[tuple[str, str]]) -> Answer:
        """`bot.ask` on the calling thread, with a lost index store reported as StoreUnavailable."""
        try:
            return self.bot.ask(question, history=history)
        except StoreUnavailable:
            raise
        except Exception as e:
            reason = store_failure(e)
            if reason is None:
                raise
            raise StoreUnavailable(f"the index store cannot be read right now ({reason})") from e

    def _claim(self, client: str) -> None:
        with self._lock:
            running = self._running.get(client, 0)
            if self.per_client > 0 and running >= self.per_client:
                raise TooManyAtOnce(
                    f"{running} of your questions are still being answered; "
                    "wait for them before asking more",
                    headers={"Retry-After": "1"},
                )
            self._running[client] = running + 1

    def _release(self, client: str) -> None:
        with self._lock:
            left = self._running.get(client, 1) - 1
            if left > 0:
                self._running[client] = left
            else:
                self._running.pop(client, None)

    async def ask(
        self,
        question: str,
        history: list[tuple[str, str]],
        *,
        client: str = "",
        deadline_s: float | None = None,
        gone: Callable[[], Awaitable[object]] | None = None,
    ) -> Answer:
        """Answer without blocking the event loop.

        Raise `AnswerTimeout` after `deadline_s`, or `ClientGone` once `gone()` returns (the
        client disconnected); either way a question still waiting for a thread never starts, and
        one already running finishes on its thread with its result dropped.
        """
        self._claim(client)
        try:
            future = self._executor.submit(self.ask_now, question, history)
        except BaseException:
            self._release(client)
            raise
        future.add_done_callback(lambda _: self._release(client))
        outcome = await _first(future, deadline_s, gone)
        if outcome == "done":
            return future.result()
        future.cancel()
        if outcome == "gone":
            raise ClientGone("the client disconnected before the answer was ready")
        raise AnswerTimeout(
            f"no answer within {deadline_s:g} s; the server is busy, try again",
            headers={"Retry-After": "2"},
        )

    def running(self, client: str) -> int:
        """How many of `client`'s questions are queued or being answered."""
        with self._lock:
            return self._running.get(client, 0)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def _first(future: Future, deadline_s: float | None, gone) -> str:
    """ "done", "gone" or "late": whichever comes first of the answer, `gone()` and the deadline."""
    if future.done():
        return "done"
    waiting = asyncio.wrap_future(future)
    # Read the outcome even when nobody waits any more, so no "never retrieved" warning is logged.
    waiting.add_done_callback(lambda f: f.cancelled() or f.exception())
    watchers = {waiting}
    leaving = asyncio.ensure_future(gone()) if gone is not None else None
    if leaving is not None:
        watchers.add(leaving)
    try:
        done, _ = await asyncio.wait(
            watchers, timeout=deadline_s, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        if leaving is not None and not leaving.done():
            leaving.cancel()
    if waiting in done:
        return "done"
    return "gone" if leaving is not None and leaving in done else "late"


async def wait_for(future: Future, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for `future` without cancelling it; True when it is done."""
    return await _first(future, timeout_s, None) == "done"


def store_failure(error: BaseException) -> str | None:
    """Why `error` means the index store cannot be reached (a refused or timed-out connection to
    the Chroma server anywhere in its chain), or None when it is something else."""
    import httpx

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreUnavailable):
            return str(current)
        if isinstance(current, httpx.TransportError | ConnectionError | TimeoutError):
            return type(current).__name__
        current = current.__cause__ or current.__context__
    return None
