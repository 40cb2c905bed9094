"""Follow-up questions: read 「那2015年呢？」 in the light of the question before it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import content_terms, years

FOLLOWUP = re.compile(
    r"^\s*(那|那么|那在|还有|另外|再问|又|其中|它|它们|这个|那个|同期|and\b|what about|how about)"
    r"|[呢嘞]\s*[？?。.!！]*\s*$",
    re.IGNORECASE,
)


@dataclass
class Resolved:
    """The question to answer (`primary`) and, for a follow-up, the earlier one it leans on."""

    primary: str
    secondary: str = ""

    @property
    def search_text(self) -> str:
        """What retrieval searches for: the follow-up with the earlier question's topic."""
        if not self.secondary:
            return self.primary
        new_years = years(self.primary)
        if new_years and not [t for t in content_terms(self.primary) if t not in new_years]:
            base = self.secondary
            for old in years(self.secondary):
                base = base.replace(old, new_years[0])
            return base
        return f"{self.primary} {self.secondary}"


def resolve(question: str, history: list[tuple[str, str]] | None) -> Resolved:
    """Pair a follow-up with the last question asked; other questions stand alone."""
    if not history:
        return Resolved(question)
    previous = next((q for q, _ in reversed(history) if q and q.strip()), "")
    if not previous or not is_followup(question):
        return Resolved(question)
    return Resolved(question, previous)


def is_followup(question: str) -> bool:
    """Short questions that start with 那/还有… or end with 呢 lean on the previous one."""
    return bool(FOLLOWUP.search(question)) or len(content_terms(question)) == 0
