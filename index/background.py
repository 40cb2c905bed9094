"""Bring the index up to date in a background thread after documents change, while the bot goes
on answering from the build it has: the new build is published in one step when it is complete,
and the bot switches to it on its next question (bot.chain checks every couple of seconds).

Changes that arrive during a build are taken by one more build right after it; progress is
recorded for GET /admin/progress (index.progress)."""

from __future__ import annotations

import logging
import threading

from bot.errors import JJQAError
from bot.settings import Settings
from index.progress import BuildProgress, read_progress

log = logging.getLogger(__name__)


class Rebuilder:
    """One builder thread per process. `request(reason)` asks for a build and returns at once;
    `wait(timeout)` waits until no build is running or asked for (tests, shutdown).
    `embedder` is the model the bot already holds, so a build loads no second copy."""

    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        self.embedder = embedder
        self._wanted: list[str] = []
        self._busy = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self, reason: str) -> dict:
        """Ask for a build; returns the progress as it stands (state "waiting" when queued)."""
        with self._changed:
            self._wanted.append(reason)
            if not self._busy:
                BuildProgress(self.settings.data_dir, reason)  # shows "waiting" at once
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rebuild", daemon=True)
                self._thread.start()
            self._changed.notify_all()
        return self.progress()

    def progress(self) -> dict:
        return read_progress(self.settings.data_dir)

    def wait(self, timeout: float | None = None) -> bool:
        """True once nothing is being built or waiting to be; False after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._busy and not self._wanted, timeout)

    def _run(self) -> None:
        from index.build import build_index

        while True:
            with self._changed:
                if not self._wanted:
                    self._thread = None
                    self._changed.notify_all()
                    return
                reason = "；".join(dict.fromkeys(self._wanted))
                self._wanted.clear()
                self._busy = True
            watch = BuildProgress(self.settings.data_dir, reason)
            try:
                embedder = self.embedder() if callable(self.embedder) else self.embedder
                report = build_index(self.settings, embedder, progress=False, watch=watch)
                log.info("background build for %s: %s", reason, report.summary())
            except JJQAError as e:
                log.warning("background build for %s failed: %s", reason, e)
                watch.failed(str(e))
            except Exception as e:  # the thread must record the failure, not die silently
                log.exception("background build for %s failed", reason)
                watch.failed(f"{type(e).__name__}: {e}")
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()
