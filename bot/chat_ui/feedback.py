"""Appends 👍/👎 feedback on answers to a JSONL file; a failed write is logged, never raised."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.values import Answer

log = logging.getLogger(__name__)
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 1000


def record(question: str, answer: Answer, rating: str, comment: str = "") -> dict:
    """One feedback line: question, answer, citations, rating, comment and the time (UTC)."""
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}; choose one of {', '.join(RATINGS)}")
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "question": question,
        "answer": answer.answer,
        "refused": answer.refused,
        "citations": [c.to_dict() for c in answer.citations],
        "rating": rating,
        "comment": comment.strip()[:MAX_COMMENT_CHARS],
    }


class FeedbackLog:
    """A JSONL file that feedback records are appended to, one whole line per record."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, entry: dict) -> bool:
        """Write one record; True when it reached the file, False (and a log line) when not."""
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line)
            return True
        except OSError as e:
            log.warning("could not write feedback to %s: %s", self.path, e)
            return False
