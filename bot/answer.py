"""Say it: the answer from the best sentence, fact first and cut to whole clauses, with its
citation; or the refusal, naming what the documents do not say and what they say nearby."""

from __future__ import annotations

import re

from bot.cite import citation_for
from bot.extend import chance, extension_row
from bot.text import CLAUSE_ENDS, CLOSERS, SENTENCE_ENDS
from bot.trim import best_window
from bot.values import Answer
from bot.verdict import MEASURED, Reason, Verdict

MAX_NAMED = 2
LEADS_IN = "：:"
CLOSED = re.compile(f"[{re.escape(SENTENCE_ENDS)}][{re.escape(CLOSERS)}]+$")


def compose(snapshot, ranked, model) -> Answer:
    """The answer from the best sentence (cut to the clauses that hold the fact), with the next
    sentence of its paragraph when the first only leads in to it (「包括：」), when it holds what
    the first lacks (ranked.through), or when the next-sentence model says it likely holds or
    completes the fact, and with the sentence
    before it when the previous-sentence model says so (each model decides for its own side)."""
    query, best = ranked.query, ranked.order[0]
    chunk = snapshot.chunks[best]
    i, j = best_window(chunk.text, query, snapshot.typed[best], model.trim, model.shortening)
    parts = [(best, i, j)]
    before, after = snapshot.neighbours(best)
    if after is not None and (
        after == ranked.through
        or chunk.text[i:j].rstrip(CLOSERS)[-1:] in LEADS_IN
        or (j == len(chunk.text) and takes(snapshot, ranked, model, best, after, "next"))
    ):
        nxt = snapshot.chunks[after]
        parts.append((after, *best_window(nxt.text, query, snapshot.typed[after], model.trim)))
    if before is not None and i == 0 and takes(snapshot, ranked, model, best, before, "previous"):
        prev = snapshot.chunks[before]
        parts.insert(
            0, (before, *best_window(prev.text, query, snapshot.typed[before], model.trim))
        )
    citations = [citation_for(snapshot.chunks[k], a, b, n) for n, (k, a, b) in enumerate(parts, 1)]
    last = len(citations)
    text = "".join(_cited(c.quote, c.n, c.n == last) for c in citations)
    return Answer(text, citations=citations)


def takes(snapshot, ranked, model, best: int, other: int, side: str) -> bool:
    """Whether the neighbouring sentence on `side` (next, previous) likely holds or completes
    the answer (bot/extend.py)."""
    if ranked.x is None or ranked.raw is None or not len(ranked.raw):
        return False
    index = ranked.cands.index
    top = index.index(best)
    pos = index.index(other) if other in index else -1
    lengths = (len(snapshot.chunks[best].text), len(snapshot.chunks[other].text))
    row = extension_row(
        ranked.x, ranked.raw, top, pos, lengths, ranked.query.wants, side, snapshot.norm[best]
    )
    weights, at = model.extension(side)
    return chance(weights, row) >= at


# what the refusal says is missing when the evidence lacks the kind of answer asked for
LACKING = {Reason.NO_YEAR: "具体年份", Reason.NO_SHARE: "具体比例", Reason.NO_RANK: "具体排名"}


def _clip(quote: str) -> str:
    """A quote without the punctuation that ends it (the answer adds its own)."""
    return quote.rstrip(SENTENCE_ENDS + CLAUSE_ENDS + " ") or quote


def _cited(quote: str, n: int, last: bool) -> str:
    """A quote in the answer with its citation mark, ending as a sentence: with its own stop
    (。；：？) when another quote follows, with 。 when it is the last, and with nothing more
    when a quotation closes after its stop (……守尔。」[1])."""
    body = _clip(quote)
    if CLOSED.search(body):
        return f"{body}[{n}]"
    stop = quote[len(body) :].strip()[:1]
    if last or not stop or stop not in SENTENCE_ENDS + LEADS_IN:
        stop = "。"
    return f"{body}[{n}]{stop}"


def refusal(snapshot, query, verdict: Verdict, ranked: list[int], about: str) -> Answer:
    """「文章中没有提到……」 and, when the documents speak of the question's other terms, the
    nearest sentence that does (cited)."""
    if verdict.reason is Reason.TASK:
        return Answer(
            f"文章中没有提到这方面的内容：我只回答文章里写到的事实。{about}", refused=True
        )
    missing = [_as_asked(m, query) for m in verdict.missing]
    # the question's most telling words that the documents know (卫冕, not 一直), in its order
    known = [t for t in query.terms if t in query.own and t not in query.unknown]
    telling = sorted(known, key=query.terms.get, reverse=True)[:MAX_NAMED]
    present = [_as_asked(t, query) for t in known if t in telling]
    if verdict.reason is Reason.YEAR and present:
        topic = f"{'、'.join(missing)}的{'、'.join(present)}"
    elif verdict.reason is Reason.NUMBER and missing:
        # named alone: joined with 的 to the question's nouns it would read 「第二的全省」; the
        # nearby sentence that follows shows what the documents say instead
        topic = "、".join(f"“{m}”" for m in missing)
    elif verdict.reason is Reason.NO_COUNT:
        unit = verdict.missing[0]
        measured = unit in {name for name, _, _ in MEASURED}  # 面积 says what it is: 具体面积
        what = "具体金额" if unit == "钱" else f"具体{unit}" if measured else f"具体{unit}数"
        named = [t for t in present if not (measured and unit in t)]
        topic = f"{'、'.join(named)}的{what}" if named else what
    elif verdict.reason in LACKING:
        what = LACKING[verdict.reason]
        topic = f"{'、'.join(present)}的{what}" if present else what
    elif missing and len(missing) <= MAX_NAMED:
        topic = "、".join(missing)
    else:
        topic = "这个问题问的内容"
    text = f"文章中没有提到{topic}。"
    near = _nearby(snapshot, query, ranked)
    if near is not None and verdict.reason in (
        Reason.YEAR,
        Reason.NUMBER,
        Reason.NO_COUNT,
        *LACKING,
        Reason.UNKNOWN,
    ):
        chunk = snapshot.chunks[near]
        citation = citation_for(chunk, 0, len(chunk.text), 1)
        return Answer(
            f"{text}文章中相关的内容是：{_cited(citation.quote, 1, True)}", True, [citation]
        )
    return Answer(text + about, refused=True)


def _nearby(snapshot, query, ranked: list[int]) -> int | None:
    """The best-ranked sentence that names one of the question's known terms."""
    known = [t for t in query.own if t not in query.unknown]
    for k in ranked[:3]:
        if any(t in snapshot.norm[k] for t in known) and snapshot.chunks[k].kind == "text":
            return k
    return None


def _as_asked(term: str, query) -> str:
    """A normalised term as the question spelled it (GDP, not gdp), when it can be found."""
    at = query.asked.lower().find(term)
    return query.asked[at : at + len(term)] if at >= 0 else term
