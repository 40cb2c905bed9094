"""Appends feedback on answers to a JSONL file; a failed write is logged, never raised.

A session (one open chat page) may write only a few lines in a short time, so a script
cannot fill the file; every line within that bound is written whole.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from datetime import UTC, datetime
from pathlib import Path

from bot.values import Answer

log = logging.getLogger(__name__)
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 1000


def record(
    question: str, answer: Answer, rating: str, comment: str = "", restored: bool = False
) -> dict:
    """One feedback line: question, answer, citations, rating, comment and the time (UTC).

    `restored` says the answer was read back from the browser after a reload (so its text
    came from the browser's storage, not straight from the bot)."""
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}; choose one of {', '.join(RATINGS)}")
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "question": question,
        "answer": answer.answer,
        "kind": answer.kind,
        "refused": answer.refused,
        "citations": [c.to_dict() for c in answer.citations],
        "rating": rating,
        "comment": comment.strip()[:MAX_COMMENT_CHARS],
    }
    if restored:
        entry["restored"] = True
    return entry


class FeedbackLog:
    """A JSONL file that feedback records are appended to, one whole line per record."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, entry: dict) -> bool:
        """Write one record; True when it reached the file, False (and a log line) when not.

        The line goes down in one O_APPEND write, so lines from several processes sharing
        the file do not interleave."""
        data = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                finally:
                    os.close(fd)
            return True
        except OSError as e:
            log.warning("could not write feedback to %s: %s", self.path, e)
            return False


class FeedbackLimit:
    """At most `per_window` feedback lines per session in any `window_s` seconds.

    Sessions are keyed by Gradio's session hash; the `max_sessions` most recent are kept."""

    def __init__(self, per_window: int = 10, window_s: float = 600.0, max_sessions: int = 10_000):
        self.per_window = per_window
        self.window_s = window_s
        self.max_sessions = max_sessions
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, session: str, now: float | None = None) -> bool:
        """Count one write for `session`; False when it is over the bound (nothing counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.pop(session, None) or deque()
            while times and times[0] <= now - self.window_s:
                times.popleft()
            allowed = len(times) < self.per_window
            if allowed:
                times.append(now)
            self._seen[session] = times
            while len(self._seen) > self.max_sessions:
                self._seen.popitem(last=False)
            return allowed
