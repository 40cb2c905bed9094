"""Loads the models and builds the index in the background, so the page can say it is doing so."""

from __future__ import annotations

import logging
import threading

from bot.errors import JJQAError

log = logging.getLogger(__name__)


class Warmup:
    """Runs `bot.warm()` once on a thread; `phase` is waiting, building, ready or failed.

    Why it failed goes to the log and `detail` (for operators), not to the page."""

    def __init__(self, bot):
        self.bot = bot
        self.detail = ""
        self._phase = "waiting"
        self._started = False
        self._lock = threading.Lock()
        self._done = threading.Event()

    @property
    def phase(self) -> str:
        return self._phase

    def start(self) -> Warmup:
        """Begin warming unless already begun; returns self."""
        with self._lock:
            if self._started:
                return self
            self._started = True
            self._phase = "building"
        threading.Thread(target=self._run, name="jjqa-warmup", daemon=True).start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until warming ended (ready or failed); False if it is still going."""
        return self._done.wait(timeout)

    def _run(self) -> None:
        try:
            self.bot.warm()
            self._phase = "ready"
        except JJQAError as e:
            log.error("warming the bot failed: %s", e)
            self.detail = str(e)
            self._phase = "failed"
        except Exception:  # the page must show a message, not a thread traceback
            log.exception("warming the bot failed")
            self.detail = "unexpected error; see the traceback in the log"
            self._phase = "failed"
        finally:
            self._done.set()
