"""Follow-up questions: 「那2015年呢？」 leans on the question before it."""

from __future__ import annotations

import re

FOLLOWUP = re.compile(
    r"^\s*(那|那么|那在|还有|另外|再问|又|其中|它|它们|这个|那个|同期|and\b|what about|how about)"
    r"|[呢嘞]\s*[？?。.!！]*\s*$",
    re.IGNORECASE,
)


def is_followup(question: str, content_terms: list[str]) -> bool:
    """A question that starts with 那/还有…, ends with 呢, or names nothing of its own (only
    a year, say) continues the conversation."""
    return bool(FOLLOWUP.search(question)) or not [
        t for t in content_terms if not re.fullmatch(r"[\d.%年]+", t)
    ]
