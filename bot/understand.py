"""Understand a question before retrieval: clean it, see whether it is a question at all, put
it in the documents' wording (dialect, the profile's synonyms and glossary, typos), lean a
follow-up on the question before it, and type it: its weighted terms, years, numbers and the
kind of answer it asks for."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot import frontdoor
from bot.definition import asked_term
from bot.followup import is_followup
from bot.profile import Profile
from bot.text import (
    dialect,
    has_words,
    normalize_chars,
    numbers,
    question_words,
    stopwords,
    structure_words,
    years,
)
from index.bm25 import idf_of

# A term of the previous question weighs this much of its own weight in a follow-up (chosen on
# the follow-up questions of eval/qa.jsonl; see eval/fit.py).
FOLLOWUP_WEIGHT = 0.3
FOCUS_TERMS = 2
SLOT_CHARS = 2
MAX_HISTORY_TURNS = 5
MAX_HISTORY_CHARS = 300
CONTROL = ("Cc", "Cf", "Cs", "Co", "Cn")
LATIN_WORD = re.compile(r"[a-z][a-z'\-]*")
UNIT = re.compile(
    r"(?:多少|几)(平方公里|公里|公顷|千米|万元|亿元|美元|亩|米|吨|元|岁|人|家|个|列|次|座|所|项|条|届|种|位|名|辆|台|架|艘|倍)"
)
ASKS = re.compile(r"[几多][\u4e00-\u9fff]?")  # 几篇, 几次, 多长: how many / how much


@dataclass(frozen=True)
class Query:
    """A typed question: what retrieval searches for and what the answer must hold."""

    kind: str  # "question", "smalltalk" or "unclear"
    asked: str = ""  # the question as the user typed it (cleaned)
    text: str = ""  # normalised, in the documents' wording
    previous: str = ""  # the earlier question a follow-up leans on (normalised)
    terms: dict[str, float] = field(default_factory=dict)  # content words -> weight
    own: frozenset[str] = frozenset()  # the terms this question itself names
    tokens: tuple[str, ...] = ()  # BM25 search tokens
    years: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    wants: str = ""  # person, place, time, number, reason, manner, thing, yesno or ""
    unknown: tuple[str, ...] = ()  # own terms the documents never use
    places: tuple[str, ...] = ()  # place names the question names
    unit: str = ""  # the measure word of 多少/几 (亩 in 占地多少亩)
    focus: tuple[str, ...] = ()  # the terms next to the question word: what is asked about
    kinds: frozenset[str] = frozenset()  # passage kinds asked for (title, byline, caption)
    slot: tuple[str, str] = ("", "")  # the words just before and after the question word
    # the term a question asks to have defined (什么是乙酰胺 -> 乙酰胺), or whose other name
    # it asks (凉茶舖又叫什么 -> 凉茶舖, with other_name)
    defines: str = ""
    other_name: bool = False
    notice: str = ""  # e.g. that the question was cut
    intent: str = ""  # the smalltalk intent

    @property
    def search_text(self) -> str:
        """The text the dense search embeds: the question, and the one it follows up."""
        return f"{self.text} {self.previous}".strip() if self.previous else self.text


def clean(raw: object, max_chars: int) -> tuple[str, str]:
    """(text, notice): control characters dropped, whitespace collapsed, cut to max_chars."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    text = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in raw[: max_chars * 4]
        if ch in "\t\r\n" or unicodedata.category(ch) not in CONTROL
    )
    text = " ".join(text.split())
    if len(text) > max_chars:
        return text[:max_chars], f"（问题太长，只看了前{max_chars}字。）"
    return text, ""


def understand(raw, history, wording: Wording, max_chars: int) -> Query:
    """The typed query for what the user typed, given the conversation so far, in the
    wording of one build's documents and the profile."""
    text, notice = clean(raw, max_chars)
    door = frontdoor.classify(text) if text else frontdoor.Door("unclear", intent="empty")
    if door.kind != "question":
        return Query(kind=door.kind, asked=text, notice=notice, intent=door.intent)
    own = wording.of(door.text)
    previous = ""
    for q, _ in reversed(_recent(history)):
        if q.strip() and is_followup(own, wording.content(own)):
            previous = wording.of(q)
        break
    return _typed(door.text, own, previous, wording, notice)


def _recent(history) -> list[tuple[str, str]]:
    """The last turns of a conversation, each entry cut to a bounded length."""
    out = []
    for item in list(history or [])[-MAX_HISTORY_TURNS:]:
        if isinstance(item, dict):
            item = (item.get("question", ""), item.get("answer", ""))
        if isinstance(item, (list, tuple)) and len(item) == 2:
            q, a = (str(x or "")[:MAX_HISTORY_CHARS] for x in item)
            out.append((clean(q, MAX_HISTORY_CHARS)[0], a))
    return out


class Wording:
    """Puts text in the documents' wording and picks out its content terms."""

    def __init__(self, snapshot, profile: Profile, speller):
        self.snapshot = snapshot
        self.speller = speller
        self.synonyms = {
            normalize_chars(k): normalize_chars(v) for k, v in profile.synonyms.items()
        }
        self.synonyms.update(dialect())
        self.glossary = {k.lower(): normalize_chars(v) for k, v in profile.glossary.items()}

    def of(self, text: str) -> str:
        """Normalised text with dialect and synonyms replaced word by word and typos fixed."""
        text = normalize_chars(text)
        if self.speller is not None:
            text = self.speller.correct(text)
        pieces = self.snapshot.tokenizer.pieces(text)
        return "".join(self.synonyms.get(p, p) for p in pieces)

    def content(self, text: str) -> list[str]:
        """The words that carry the question's meaning: no stopwords or punctuation; English
        words only through the glossary or when the documents use them."""
        out: list[str] = []
        pieces = self.snapshot.tokenizer.pieces(text)
        for word in _join_singles(pieces):
            if word in stopwords() or word in question_words() or ASKS.fullmatch(word):
                continue
            if word in structure_words():
                continue
            if word.isascii() and LATIN_WORD.fullmatch(word):
                word = self.glossary.get(word, word)
                if word in stopwords():
                    continue
            elif len(word) == 1 and not word.isdigit() and word in self.snapshot.grams:
                continue  # a lone common character says little; one the documents lack does
            if word not in out:
                out.append(word)
        return out


def _join_singles(pieces: list[str]) -> list[str]:
    """The words of segmented text (punctuation and spaces dropped), with each run of single
    Chinese characters that stand side by side joined into one word: jieba cuts a name it does
    not know into characters (萱/侬/律 is the name 萱侬律; 高/登 is 高登)."""
    out: list[str] = []
    run = ""
    for piece in pieces + [""]:
        if len(piece) == 1 and "\u4e00" <= piece <= "\u9fff" and piece not in stopwords():
            run += piece
            continue
        if run:
            out.append(run)
        run = ""
        if has_words(piece) and piece.strip():
            out.append(piece.strip())
    return out


def _typed(asked: str, own: str, previous: str, wording: Wording, notice: str) -> Query:
    snapshot = wording.snapshot
    idf = snapshot.sentences.idf
    own_terms = [t for t in wording.content(own) if not _numeric(t)]
    prev_terms = [t for t in wording.content(previous) if not _numeric(t)] if previous else []
    # a term no sentence holds is rarer than any that one does: it weighs what df 0 would
    top = idf_of(len(snapshot.sentences), 0)
    # In a question asked mostly in Latin letters, a word the documents lack is most likely
    # just not translated (the multilingual vectors still read it), not a thing they lack.
    latin = sum(ch.isascii() and ch.isalpha() for ch in own)
    foreign = latin > sum("\u4e00" <= ch <= "\u9fff" for ch in own)
    unknown = [t for t in own_terms if not _occurs(t, snapshot) and not (foreign and t.isascii())]

    def weight(term: str) -> float:
        return idf(term) if idf(term) > 0 else top

    terms = {t: weight(t) for t in own_terms}
    for t in prev_terms:
        terms.setdefault(t, FOLLOWUP_WEIGHT * weight(t))
    ys = years(own) or (years(previous) if previous and not own_terms else [])
    nums = [n for n in numbers(own) if n not in ys and not (len(n) == 4 and f"{n}年" in own)]
    tokens = snapshot.tokenizer.search_tokens(own, normalized=True)
    if previous:
        tokens += snapshot.tokenizer.search_tokens(previous, normalized=True)
    term, other_name = asked_term(own)
    return Query(
        kind="question",
        asked=asked,
        text=own,
        previous=previous,
        terms=terms,
        own=frozenset(own_terms),
        tokens=tuple(t for t in tokens if t not in stopwords()),
        years=tuple(ys),
        numbers=tuple(nums),
        wants=answer_type(own),
        unknown=tuple(unknown),
        focus=focus_terms(own, own_terms),
        kinds=frozenset(k for w, k in structure_words().items() if w in own),
        slot=answer_slot(own),
        places=tuple(
            w
            for w, f in snapshot.tokenizer.tagged(own, normalized=True)
            if f == "ns" and len(w) > 1
        ),
        unit=asked_unit(own),
        defines=term,
        other_name=other_name,
        notice=notice,
    )


def focus_terms(text: str, terms: list[str], n: int = FOCUS_TERMS) -> tuple[str, ...]:
    """The n terms nearest the question word (「…什么时候再次复出」 asks about 复出)."""
    at = [text.find(w) for w in question_words() if w in text]
    if not at or not terms:
        return tuple(terms[-n:])
    q = min(at)
    placed = [(abs(text.find(t) - q), t) for t in terms if text.find(t) >= 0]
    return tuple(t for _, t in sorted(placed)[:n])


def answer_slot(text: str, size: int = SLOT_CHARS) -> tuple[str, str]:
    """The characters around the question word: a question is often its answer's sentence with
    the answer swapped for 什么/谁/哪里 (「被谁所杀」 asks for what stands in 「被…所杀」)."""
    found = [(text.find(w) + len(w), len(w), w) for w in question_words() if w in text]
    if not found:
        return "", ""
    end, _, word = min(found)
    at = end - len(word)
    left = re.split(r"[^\w]", text[:at])[-1][-size:]
    right = re.split(r"[^\w]", text[at + len(word) :])[0][:size]
    return left, right


def asked_unit(text: str) -> str:
    """The measure word a how-many question asks in (多少亩 -> 亩, 几家 -> 家, 多少公里 -> 公里)."""
    m = UNIT.search(text)
    return m.group(1) if m else ""


def answer_type(text: str) -> str:
    """The kind of answer the question asks for, from its question words (the longest wins)."""
    found = [(len(w), t) for w, t in question_words().items() if w in text]
    return max(found)[1] if found else ""


def _numeric(term: str) -> bool:
    return bool(re.fullmatch(r"[\d.%]+", term))


def _occurs(term: str, snapshot) -> bool:
    """A term occurs when it, or every one of its parts of two or more characters, does."""
    if term in snapshot.grams:
        return True
    parts = [p for p in snapshot.tokenizer.search_tokens(term, normalized=True) if len(p) >= 2]
    parts = [p for p in parts if p != term]
    return bool(parts) and all(p in snapshot.grams for p in parts)
