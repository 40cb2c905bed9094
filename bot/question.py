"""Clean what a user typed before it reaches retrieval: control characters, length, emptiness."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.text import has_words


@dataclass
class CleanQuestion:
    """The question to answer, a note for the user if it was changed, or why there is none."""

    text: str
    notice: str | None = None
    problem: str | None = None


EMPTY = "请输入一个问题，例如：「江津2019年GDP是多少？」"
NO_WORDS = "没有看懂这个问题：请用文字提问，例如：「江津的森林覆盖率提高到了多少？」"


def clean_question(raw: object, max_chars: int) -> CleanQuestion:
    """Strip control and format characters, cut overly long input, flag empty input."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    text = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in raw
        if ch in "\t\r\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    text = " ".join(text.split())
    if not text:
        return CleanQuestion("", problem=EMPTY)
    notice = None
    if len(text) > max_chars:
        text = text[:max_chars]
        notice = f"（问题太长，只读取了前 {max_chars} 个字。）"
    if not has_words(text):
        return CleanQuestion(text, notice, problem=NO_WORDS)
    return CleanQuestion(text, notice)
