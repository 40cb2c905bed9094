"""One question and its answer as the chat keeps them between events and in the browser."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.values import Answer

MAX_KEPT_TURNS = 30  # the most turns a browser keeps, and restores, of one conversation
MAX_KEPT_CHARS = 5000  # longer texts from browser storage are not restored
FEEDBACK_STATES = ("", "saved", "unsaved", "limited")


@dataclass
class Turn:
    """A question; its answer once known, the part shown while streaming, an error, feedback.

    `feedback` is "" (not given), "saved", "unsaved" (the file could not be written) or
    "limited" (too much feedback from this session just now); `suggestions` are the
    questions offered after the answer; `restored` marks a turn read back from the browser.
    """

    question: str
    answer: Answer | None = None
    shown: str | None = None
    error: str | None = None
    rating: str | None = None
    feedback: str = ""
    suggestions: list[str] = field(default_factory=list)
    restored: bool = False

    @property
    def done(self) -> bool:
        return self.error is not None or (self.answer is not None and self.shown is None)

    def to_dict(self) -> dict:
        """What the browser keeps of a finished turn."""
        return {
            "question": self.question,
            "answer": self.answer.to_dict() if self.answer is not None else None,
            "error": self.error,
            "rating": self.rating,
            "feedback": self.feedback,
            "suggestions": list(self.suggestions),
        }

    @classmethod
    def from_dict(cls, data: object) -> Turn | None:
        """A turn read back from browser storage, or None when the data is not one.

        The browser's copy is not trusted: wrong types and over-long texts are dropped."""
        if not isinstance(data, dict):
            return None
        question, raw, error = data.get("question"), data.get("answer"), data.get("error")
        if not _text(question) or (raw is None and not _text(error)):
            return None
        answer = None
        if raw is not None:
            try:
                answer = Answer.from_dict(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                return None
            if not _text(answer.answer, empty=True) or not all(map(_citation, answer.citations)):
                return None
        rating = data.get("rating") if data.get("rating") in ("up", "down") else None
        feedback = data.get("feedback") if data.get("feedback") in FEEDBACK_STATES else ""
        suggestions = data.get("suggestions")
        if not isinstance(suggestions, list):
            suggestions = []
        return cls(
            question=question,
            answer=answer,
            error=error if answer is None else None,
            rating=rating,
            feedback=feedback if rating else "",
            suggestions=[s for s in suggestions[:3] if _text(s)],
            restored=True,
        )


def _text(value: object, empty: bool = False) -> bool:
    return (
        isinstance(value, str) and (empty or bool(value.strip())) and len(value) <= MAX_KEPT_CHARS
    )


def _citation(c) -> bool:
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (c.n, c.start, c.end))
    texts = _text(c.quote, empty=True) and _text(c.source)
    return ints and texts and (c.section is None or _text(c.section, empty=True))


def keep(turns: list[Turn]) -> list[dict]:
    """The finished turns (the newest MAX_KEPT_TURNS) as the browser stores them."""
    return [t.to_dict() for t in turns if t.done][-MAX_KEPT_TURNS:]


def restore(saved: object) -> list[Turn]:
    """Turns from what the browser stored; anything unreadable is left out."""
    if not isinstance(saved, list):
        return []
    turns = (Turn.from_dict(d) for d in saved[-MAX_KEPT_TURNS:])
    return [t for t in turns if t is not None]


def history(turns: list[Turn]) -> list[tuple[str, str]]:
    """The (question, answer) pairs a follow-up question is asked with."""
    return [(t.question, t.answer.answer) for t in turns if t.answer is not None and t.done]
