"""Texts the WeChat and WeCom channels send: compact answers with sources, split to fit."""

from __future__ import annotations

import re

from bot.values import Answer

MAX_REPLY_BYTES = 2048
MORE_HINT = '\n回复"继续"查看剩余内容'
TEXT_ONLY = "抱歉，我目前只能理解文字消息，请直接用文字提问，例如：{example}"
PENDING = '正在查询，请稍后发送"结果"查看'
STILL_PENDING = '还在查询中，请稍后再发送"结果"查看'
NO_PENDING = "目前没有等待中的查询结果，请直接提问。"
NO_MORE = "没有更多内容了，请继续提问。"
RESTARTED = "好的，已清空对话记录，我们重新开始。请提问吧。"
BUSY = "抱歉，系统暂时无法回答，请稍后再试。"
TOO_FAST = "您发送得太快了，请稍等一会儿再提问。"


def question_too_long(limit: int) -> str:
    """The reply to a question longer than `limit` characters."""
    return f"问题太长了，请控制在{limit}字以内。"


# Characters XML 1.0 forbids, plus lone surrogates and the two non-characters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…\n])")


def xml_safe(text: str) -> str:
    """Drop characters XML cannot carry and break `]]>` so the text is safe inside CDATA."""
    text = _XML_ILLEGAL.sub("", text)
    while "]]>" in text:
        text = text.replace("]]>", "]] >")
    return text


def compact(answer: Answer) -> str:
    """The answer text followed by one line of sources: 「来源：[1] 小节标题；[2] …」.

    Citations from the same section are merged: 「[1][2] 小节标题」.
    """
    text = answer.answer.strip()
    if answer.refused or not answer.citations:
        return xml_safe(text)
    by_place: dict[str, list[int]] = {}
    for c in sorted(answer.citations, key=lambda c: c.n):
        place = (c.section or c.source or "").strip() or "原文"
        by_place.setdefault(place, []).append(c.n)
    sources = "；".join("".join(f"[{n}]" for n in ns) + f" {p}" for p, ns in by_place.items())
    return xml_safe(f"{text}\n来源：{sources}")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_split(text: str, limit: int) -> list[str]:
    """Cut a sentence longer than `limit` bytes between characters."""
    pieces, current = [], ""
    for ch in text:
        if current and _utf8_len(current + ch) > limit:
            pieces.append(current)
            current = ""
        current += ch
    return pieces + [current] if current else pieces


def split_reply(text: str, limit: int = MAX_REPLY_BYTES, hint: str = MORE_HINT) -> list[str]:
    """Split `text` into parts of at most `limit` UTF-8 bytes, cutting after sentence ends.

    Every part but the last ends with `hint`; joining the parts without it gives `text` back.
    """
    if _utf8_len(text) <= limit:
        return [text]
    budget = limit - _utf8_len(hint)
    sentences = []
    for sentence in _SENTENCE_END.split(text):
        sentences.extend(
            _hard_split(sentence, budget) if _utf8_len(sentence) > budget else [sentence]
        )
    parts, current = [], ""
    for sentence in sentences:
        if current and _utf8_len(current + sentence) > budget:
            parts.append(current)
            current = ""
        current += sentence
    if current:
        parts.append(current)
    # The last part may use the bytes the hint would have taken.
    if len(parts) > 1 and _utf8_len(parts[-2] + parts[-1]) <= limit:
        parts[-2:] = [parts[-2] + parts[-1]]
    return [p + hint for p in parts[:-1]] + [parts[-1]]
