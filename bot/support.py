"""Decide whether the evidence supports an answer, or whether to say the article doesn't say."""

from __future__ import annotations

from dataclasses import dataclass, field

import jieba

from bot.answer import Query, Span
from bot.text import normalize

MISSING_SHARE = 0.5


@dataclass
class Support:
    """The verdict: supported or not, and what the question asks about that nothing mentions."""

    supported: bool
    missing: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)


def term_in(term: str, corpus: str) -> bool:
    """A term occurs when it, or every one of its two-character-plus parts, is in the corpus."""
    if term in corpus:
        return True
    parts = [p for p in jieba.lcut_for_search(term) if len(p) >= 2 and p != term]
    return bool(parts) and all(p in corpus for p in parts)


def check_support(query: Query, spans: list[Span], corpus: str) -> Support:
    """Years and numbers must be in the chosen sentences; key terms must occur in the article."""
    evidence = normalize(" ".join(s.chunk.text for s in spans))
    missing = [f"{y}年" for y in query.years if y not in evidence]
    missing += [n for n in query.numbers if n not in evidence]
    absent = [t for t in query.terms if not term_in(t, corpus)]
    present = [t for t in query.terms if t not in absent]
    total = sum(query.terms.values()) or 1.0
    share = sum(query.terms[t] for t in absent) / total
    matched = any(s.matched for s in spans)
    if missing or (absent and share >= MISSING_SHARE) or not spans or not matched:
        return Support(False, missing + absent, present)
    return Support(True, [], present)
