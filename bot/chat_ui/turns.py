"""One question and its answer as the chat keeps them between events."""

from __future__ import annotations

from dataclasses import dataclass

from bot.values import Answer


@dataclass
class Turn:
    """A question; its answer once known, the part shown while streaming, an error, feedback."""

    question: str
    answer: Answer | None = None
    shown: str | None = None
    error: str | None = None
    rating: str | None = None
    feedback_saved: bool | None = None

    @property
    def done(self) -> bool:
        return self.error is not None or (self.answer is not None and self.shown is None)


def history(turns: list[Turn]) -> list[tuple[str, str]]:
    """The (question, answer) pairs a follow-up question is asked with."""
    return [(t.question, t.answer.answer) for t in turns if t.answer is not None and t.done]
