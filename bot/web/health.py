"""Honest health: a cheap probe of the index store, and a short memory of its failures so that
requests answer 503 at once while it is down and try again by themselves soon after."""

from __future__ import annotations

import asyncio
import time

import httpx
from starlette.concurrency import run_in_threadpool

from bot.errors import StoreUnavailable
from bot.settings import Settings

PROBE_TIMEOUT_S = 2.0
REMEMBER_S = 1.0  # how long one probe or failure stands for the next requests


class StoreHealth:
    """Probes the Chroma server (its heartbeat) or the local build pointer, and the bot.

    A probe result is reused for `remember_s` seconds, so a flood of health checks costs the
    store one call a second. `failed()` records a failure seen while answering; `raise_if_down()`
    answers for the store during the next `remember_s` seconds instead of asking it again.
    """

    def __init__(self, settings: Settings, bot, remember_s: float = REMEMBER_S):
        self.settings = settings
        self.bot = bot
        self.remember_s = remember_s
        self._result: tuple[float, dict] | None = None
        self._down: tuple[float, str] | None = None
        self._probing: asyncio.Future | None = None

    def failed(self, reason: str) -> None:
        self._down = (time.monotonic(), reason)
        self._result = None

    def recovered(self) -> None:
        self._down = None

    def raise_if_down(self) -> None:
        """Raise `StoreUnavailable` when the store failed less than `remember_s` s ago."""
        if self._down and time.monotonic() - self._down[0] < self.remember_s:
            raise StoreUnavailable(self._down[1])

    async def check(self) -> dict:
        """The bot's status plus `ready` (False when the store fails) and `reason` when not ready."""
        now = time.monotonic()
        if self._result and now - self._result[0] < self.remember_s:
            return self._result[1]
        if self._probing is None or self._probing.done():
            self._probing = asyncio.ensure_future(self._probe())
        return await asyncio.shield(self._probing)

    async def _probe(self) -> dict:
        try:
            status = await asyncio.wait_for(run_in_threadpool(self.bot.status), PROBE_TIMEOUT_S)
        except Exception as e:
            status = {"ready": False, "reason": f"status unavailable: {type(e).__name__}"}
        status = dict(status)
        reason = await self._store_problem()
        if reason:
            status.update(ready=False, reason=reason)
            self.failed(reason)
        else:
            self.recovered()
            if not status.get("ready"):
                status.setdefault("reason", "the index is not loaded yet")
        self._result = (time.monotonic(), status)
        return status

    async def _store_problem(self) -> str | None:
        """None when the store answers; otherwise one line saying what is wrong."""
        if self.settings.chroma_url:
            url = self.settings.chroma_url.rstrip("/") + "/api/v2/heartbeat"
            try:
                async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S, trust_env=False) as http:
                    response = await http.get(url)
            except httpx.HTTPError as e:
                return f"the Chroma server at {self.settings.chroma_url} does not answer ({type(e).__name__})"
            if response.status_code != 200:
                return f"the Chroma server at {self.settings.chroma_url} answered {response.status_code}"
            return None
        from index.store import IndexStore

        try:
            manifest = await run_in_threadpool(IndexStore(self.settings).current)
        except Exception as e:
            return f"the index in {self.settings.data_dir} cannot be read ({type(e).__name__})"
        if manifest is None:
            return f"no index build is published in {self.settings.data_dir}"
        return None
