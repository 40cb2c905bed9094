"""Decide whether the evidence supports an answer, or whether to say the article doesn't say."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import jieba
import jieba.posseg

from bot.answer import Query, Span
from bot.text import normalize

MISSING_SHARE = 0.5
STRONG_SHARE = 0.8
COVERAGE = 0.4
CN_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")}
ORDINAL = re.compile(r"第([零一二三四五六七八九十\d]+)")
ASKS_NAME = re.compile(
    r"是谁|谁是|哪位|姓名|\bwho\b|(主任|书记|区长|市长|县长|局长|负责人|领导|作者|记者|人).{0,6}(叫什么|名字)"
)
INVENT = re.compile(
    r"编一个|编个|随便编|编造|瞎编|捏造|虚构|编一|make up|invent"
    r"|(忽略|无视|别管|不用管|不要管|抛开|ignore).{0,8}(规则|文章|限制|指令|要求|rules|article)"
)
ASKS_RATIO = re.compile(r"比例|比重|占比|百分之几|百分比|percent|share of")
ASKS_RANK = re.compile(r"第几|排名|排第|排在|rank")
RELATIVE_YEAR = re.compile(r"明年|今年|去年|前年|后年|下一年|上一年|next year|last year|this year")
SCOPES = re.compile(r"全国|全市|全省|全区|全球|世界|全世界")
ASKS_AMOUNT = re.compile(
    r"多少|几[个家项次倍年亩条座所人万亿]|多大|多长|多高|多快|多远|百分之几|how many|how much"
)
NUMERAL = re.compile(r"[\d零一二三四五六七八九十百千万亿两]")
TASK = re.compile(
    r"^(请|帮我|给我|麻烦)?\s*(写|编|创作|作|生成|翻译|画|讲|背|唱)(一|个|首|篇|段|几)"
)


@dataclass
class Support:
    """The verdict: supported or not, what is missing, what is present, and why."""

    supported: bool
    missing: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    reason: str = ""


def term_in(term: str, corpus: str) -> bool:
    """A term occurs when it, or every one of its two-character-plus parts, is in the corpus."""
    if term in corpus:
        return True
    parts = [p for p in jieba.lcut_for_search(term) if len(p) >= 2 and p != term]
    return bool(parts) and all(p in corpus for p in parts)


class CharWeights:
    """How telling each character is: rare characters of the article say more than 的 or 年."""

    def __init__(self, corpus: str):
        counts = Counter(c for c in corpus if not c.isspace())
        self._top = math.log(1 + len(corpus))
        self._weights = {c: math.log(1 + len(corpus) / (1 + n)) for c, n in counts.items()}

    def presence(self, term: str, sentence: str) -> float:
        """Share (0 to 1) of a term's character weight that the sentence contains: an unknown
        word that shares its telling characters with the cited sentence is likely a paraphrase
        (外商 of 外资, 植被覆盖 of 森林覆盖率), one that shares nothing is something else."""
        chars = [c for c in term if c.isalnum()]
        total = sum(self._weights.get(c, self._top) for c in chars)
        found = sum(self._weights.get(c, self._top) for c in chars if c in sentence)
        return found / total if total else 0.0


def check_support(
    query: Query, spans: list[Span], corpus: str, chars: CharWeights | None = None
) -> Support:
    """The first span's sentence must hold the years, numbers and ordinals asked about, a name
    when a name is asked for and a figure when an amount is; the question's key terms must
    occur in the article; and an instruction to write something is not a question."""
    absent = [t for t in query.terms if not term_in(t, corpus)]
    present = [t for t in query.terms if t not in absent]
    if TASK.search(query.text) or INVENT.search(query.text):
        return Support(False, [], present, "task")
    if not spans or not any(s.matched for s in spans):
        return Support(False, absent, present, "nothing")
    lead = spans[0]
    sentence = normalize(lead.chunk.text)
    missing = [f"{y}年" for y in query.years if y not in sentence]
    missing += [n for n in query.numbers if n not in sentence]
    missing += [f"第{o}" for o in _ordinals(query.text) if o not in _ordinals(sentence)]
    missing += [w for w in RELATIVE_YEAR.findall(query.text) if w not in sentence]
    if query.years or ASKS_AMOUNT.search(query.text) or ASKS_RANK.search(query.text):
        missing += [p for p in _places(query.text) if p not in sentence]
        missing += [w for w in SCOPES.findall(query.text) if w not in sentence]
    # a follow-up with words of its own is judged on them, not on the question it follows
    asked = query.own or set(query.terms)
    total = sum(query.terms[t] for t in asked) or 1.0
    chars = chars or CharWeights(corpus)
    share = (
        sum(query.terms[t] * (1 - chars.presence(t, sentence)) for t in absent if t in asked)
        / total
    )
    known = {t: w for t, w in query.terms.items() if t not in absent}
    own_known = {t: w for t, w in known.items() if t in asked}
    if missing or (absent and share >= _tolerance(own_known, sentence, query)):
        return Support(False, missing + absent, present, "missing")
    if known and sum(w for t, w in known.items() if t in sentence) < COVERAGE * sum(known.values()):
        gaps = [t for t in known if t not in sentence and t in query.nouns]
        return Support(False, gaps, [t for t in known if t in sentence], "missing")
    if ASKS_NAME.search(query.text) and not _has_name(lead):
        return Support(False, [], present, "name")
    if ASKS_AMOUNT.search(query.text) and not NUMERAL.search(lead.text):
        return Support(False, [], present, "amount")
    if ASKS_RATIO.search(query.text) and not re.search(r"%|百分", lead.text):
        return Support(False, [], present, "amount")
    if ASKS_RANK.search(query.text) and not ORDINAL.search(lead.text):
        return Support(False, [], present, "amount")
    if query.asks_when and not re.search(r"\d{4}年|十三五|十四五", lead.text):
        return Support(False, [], present, "time")
    return Support(True, [], present)


def _tolerance(known: dict[str, float], sentence: str, query: Query) -> float:
    """How much of the question may be words the article never uses. More when the cited
    sentence holds two or more of the question's other words (or one and the year asked):
    then the unknown words are most likely the asker's own wording for the same thing."""
    hits = [t for t in known if t in sentence] + [y for y in query.years if y in sentence]
    weight = sum(known.get(t, 0.0) for t in hits)
    if len(hits) >= 2 and weight >= 0.5 * (sum(known.values()) or 1.0):
        return STRONG_SHARE
    return MISSING_SHARE


def _ordinals(text: str) -> set[str]:
    """Ordinals written either way, as digits: 第六 and 第6 are both '6'."""
    out = set()
    for raw in ORDINAL.findall(text):
        if raw.isdigit():
            out.add(raw)
        elif raw == "十":
            out.add("10")
        elif len(raw) == 1:
            out.add(CN_DIGITS.get(raw, raw))
    return out


def _has_name(span: Span) -> bool:
    """A person's name in the span (or the span is the byline, which is names)."""
    if span.chunk.kind == "byline":
        return True
    return any(flag == "nr" for _, flag in jieba.posseg.lcut(span.text))


HOME = {"江津", "江津区", "津"}


def _places(text: str) -> list[str]:
    """Place names in the question other than Jiangjin itself (重庆市, 成都…)."""
    return [
        w for w, flag in jieba.posseg.lcut(text) if flag == "ns" and w not in HOME and len(w) >= 2
    ]
