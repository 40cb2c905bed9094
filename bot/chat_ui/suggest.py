"""Questions to offer after an answer: the profile's examples that the bot answers from the
documents, nearest first to what was just cited.

Each example is asked once, in the background after the bot is warm, and kept only when it
gets an answer (not a refusal); at most MAX_CHECKED examples are asked, so the cost is a few
questions per start and nothing per answer.
"""

from __future__ import annotations

import logging
import threading
import unicodedata

from bot.values import Answer

log = logging.getLogger(__name__)
MAX_CHECKED = 12
OFFERED = 3


def same_question(a: str, b: str) -> bool:
    """True when two questions differ only in width, case, spaces and punctuation."""
    return _key(a) == _key(b)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


class Suggestions:
    """The answerable examples (with the answer each got) and the choice of which to offer."""

    def __init__(self, bot, examples: tuple[str, ...] | list[str]):
        self.bot = bot
        self.examples = list(examples)[:MAX_CHECKED]
        self.answers: dict[str, Answer] = {}
        self._done = threading.Event()

    def start(self, warmup) -> Suggestions:
        """Check the examples on a thread once `warmup` has finished; returns self."""

        def run():
            warmup.wait()
            if warmup.phase == "ready":
                self.check()
            self._done.set()

        threading.Thread(target=run, name="jjqa-suggestions", daemon=True).start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the examples have been checked; False if still checking."""
        return self._done.wait(timeout)

    def check(self) -> None:
        """Ask every example once and keep those answered from the documents."""
        for question in self.examples:
            try:
                answer = self.bot.ask(question, history=[])
            except Exception as e:  # a failing example is left out, never shown
                log.warning("checking the example %r failed: %s", question, e)
                continue
            if answer.kind == "answer":
                self.answers[question] = answer
        log.info("%d of %d example questions are answerable", len(self.answers), len(self.examples))

    def after(self, answer: Answer | None, asked: list[str], n: int = OFFERED) -> list[str]:
        """Up to `n` answerable examples not yet asked, those citing text nearest to
        `answer`'s citations first (the profile's order when there is nothing to compare)."""
        fresh = [
            q
            for q in self.examples
            if q in self.answers and not any(same_question(q, a) for a in asked)
        ]
        if answer is not None and answer.citations:
            shown = _spans(answer)
            fresh = [q for q in fresh if not _spans(self.answers[q]) <= shown]  # says nothing new
            fresh.sort(key=lambda q: _distance(answer, self.answers[q]))
        return fresh[:n]


def _spans(a: Answer) -> set[tuple[str, int, int]]:
    return {(c.source, c.start, c.end) for c in a.citations}


def _distance(a: Answer, b: Answer) -> tuple[int, int]:
    """(0 when both cite the same section else 1, characters between their nearest quotes)."""
    best = (2, 1 << 30)
    for x in a.citations:
        for y in b.citations:
            if x.source != y.source:
                continue
            gap = max(0, max(x.start, y.start) - min(x.end, y.end))
            best = min(best, (0 if x.section == y.section else 1, gap))
    return best
