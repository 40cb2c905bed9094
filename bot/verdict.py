"""Answer or refuse: a calibrated score that the question is about these documents, and the
hard checks that hold for any text (an asked year or number must be in the evidence; an
instruction to invent or to ignore the documents is not a question)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.text import number_values, years

TASK = re.compile(
    r"^(请|帮我|给我|麻烦)?\s*(写|编|创作|作|生成|翻译|画|背|唱)(一|个|首|篇|段|几)"
    r"|编一个|编个|随便编|编造|瞎编|捏造|虚构|make up|invent"
    r"|(忽略|无视|别管|不用管|不要管|抛开|ignore).{0,8}(规则|文章|限制|指令|要求|rules|article)"
)
ORDINAL = re.compile(r"第([零一二三四五六七八九十\d]+)")
FIRST = re.compile(r"首[任位个個家次座届屆批部条條款枚颗顆]")  # 首任 is 第一任
# A calendar year however written: 645年, 公元前216年, 民国34年, 一九九八年, 民国三十四年,
# 十六年三月, 庚申年; not a span of years (五年累计, 历时30年, 三年来, 年代, 年间). Of the 158
# questions asking which year on DRCD's fit half, 7 have a gold answer that four digits miss;
# this finds 5 of them (770年, 民國三十四年, 955年...), and the other two name no year (二次大戰,
# 九十年代).
_SPAN_BEFORE = "累计 历时 长达 为期 经过 近 约 超过 多达 用了 这 过去 每 连续 共".split()
_NOT_AFTER = "(?![代来间内多余以半级前后里中])"
YEAR_WRITTEN = re.compile(
    "(?<![\\d.])"
    + "".join(f"(?<!{w})" for w in _SPAN_BEFORE)
    + "\\d{1,4}\\s*年"
    + _NOT_AFTER
    + "|[一二三四五六七八九〇零]{4}年"
    + "|(?:民国|公元前|公元|西元前|西元)[元一二三四五六七八九十〇零]{1,4}年"
    + _NOT_AFTER
    + "|[元一二三四五六七八九十〇零]{1,4}年(?=[正一二三四五六七八九十]+月|[春夏秋冬初底末])"
    + "|[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年"
)
# Asked for a share or a rank, the evidence must give one. Measured on the 4,526 questions of
# CMRC 2018 trial and DRCD dev (answer sentences): of 22 asking a share's value, 21 have one
# in the answer's sentence; of 16 asking a rank, 16.
SHARE_ASKED = re.compile(r"比例|比重|占比|比率|百分比|百分之几|几成")
SHARE = re.compile(
    r"[%％‰]|百分之|千分之|[一二三四五六七八九十两\d]成|分之|倍|半数|一半|\d\s*[:：]\s*\d"
)
RANK_ASKED = re.compile(r"排名?第几|第几[名位]|排名")
RANK = re.compile(
    r"第[零一二三四五六七八九十百\d]+|首位|榜首|冠军|之首|最|前[一二三四五六七八九十\d]+"
)
# Asked how many of a unit (占地多少亩, 开行多少列, 多少钱), the evidence must count in it: a
# number, however written, right before the unit or one of its kin. Measured on the sentence
# the shipped ranker puts first for each development question that asks in a unit (个, which
# any measure word answers, questions asking which ones or a rank aside): 4 of 84 answerable
# ones lack such a count (2 of them the wrong sentence), 5 of 44 near misses do, and so do
# both of eval/qa.jsonl's unanswerable ones.
COUNT_KIN = (
    ("人", "名", "位"),
    ("元", "美元", "欧元", "英镑", "日元", "港币", "港元", "镑", "块", "钱"),
    ("公里", "千米"),
    ("平方公里", "平方千米"),
)
MONEY_ASKED = re.compile(r"多少钱|几块钱")
# Asked how big, long or high something is by the quantity's name (面积有多大, 海拔多少), the
# evidence must measure in one of its units. Measured on CMRC 2018 trial and DRCD dev (the
# gold answer's sentence and the sentences before it in its passage): 12 of 12 questions
# asking an area, 12 of 12 asking a length and 16 of 16 asking a height have one.
LENGTHS = (
    "公里",
    "千米",
    "米",
    "英里",
    "公尺",
    "公分",
    "厘米",
    "毫米",
    "英尺",
    "尺",
    "码",
    "海里",
    "km",
    "cm",
    "mm",
    "m",
    "ft",
)
MEASURED = (
    (
        "面积",
        re.compile(r"面积|占地"),
        ("平方公里", "平方千米", "平方米", "平方英里", "公顷", "亩", "英亩", "km2", "km²", "㎡"),
    ),
    ("长度", re.compile(r"长度|全长|(?<![许很])多长(?!时间)|多远|距离"), LENGTHS),
    ("高度", re.compile(r"海拔|高度|身高"), LENGTHS),
)
HOW_MUCH = re.compile(r"多大|多少|几|多高|多长|多远|多广|多宽|多深")
NUMBER_WRITTEN = r"[\d.零〇一二三四五六七八九十百千万亿两几多余]"
CN_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")}


class Reason(StrEnum):
    """Why the bot answers or refuses."""

    SUPPORTED = "supported"
    TASK = "task"  # an instruction to write, invent or ignore the documents
    NOTHING = "nothing"  # nothing in the documents matches
    UNKNOWN = "unknown"  # the question names things the documents never mention
    UNSURE = "unsure"  # the best sentence does not answer it well enough
    YEAR = "year"  # an asked year is not in the evidence
    NUMBER = "number"  # an asked number or ordinal is not in the evidence
    NO_YEAR = "no_year"  # asked which year, and the evidence names none
    NO_SHARE = "no_share"  # asked for a share (比例, 比重), and the evidence gives none
    NO_RANK = "no_rank"  # asked for a rank (排第几), and the evidence gives none
    NO_COUNT = "no_count"  # asked how many of a unit (多少亩) or how big (面积), and none given


# The refusals that say the evidence lacks something asked (a year, a number, a measure), which
# more text can mend; the others judge the question or the match.
LACKS = frozenset(
    {Reason.YEAR, Reason.NUMBER, Reason.NO_YEAR, Reason.NO_SHARE, Reason.NO_RANK, Reason.NO_COUNT}
)


@dataclass(frozen=True)
class Verdict:
    """The decision, its reason, the model's confidence and what was missing or present."""

    reason: Reason
    confidence: float = 0.0
    missing: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return self.reason is Reason.SUPPORTED


def decide(
    query, evidence: str | None, confidence: float, threshold: float, kind: str = ""
) -> Verdict:
    """The verdict on a question whose best candidate reads `evidence` (its sentence with
    its document title and section; None when there is no candidate) and is a passage of
    `kind` (text, title, byline, caption)."""
    if TASK.search(query.text):
        return Verdict(Reason.TASK, confidence)
    if evidence is None:
        return Verdict(Reason.NOTHING, confidence, query.unknown)
    if kind in query.kinds and not query.unknown:
        return Verdict(Reason.SUPPORTED, confidence)  # asked for the title, the byline...
    if confidence < threshold:
        if query.unknown:
            return Verdict(Reason.UNKNOWN, confidence, query.unknown)
        return Verdict(Reason.UNSURE, confidence)
    found_years = set(years(evidence))
    if query.wants == "year" and not found_years and not YEAR_WRITTEN.search(evidence):
        return Verdict(Reason.NO_YEAR, confidence)
    if (
        query.wants in ("number", "")
        and SHARE_ASKED.search(query.text)
        and not SHARE.search(evidence)
    ):
        return Verdict(Reason.NO_SHARE, confidence)
    if RANK_ASKED.search(query.text) and not RANK.search(evidence):
        return Verdict(Reason.NO_RANK, confidence)
    unit = counted_unit(query)
    if unit and not counts_in(unit, evidence):
        return Verdict(Reason.NO_COUNT, confidence, (unit,))
    missing = tuple(f"{y}年" for y in query.years if y not in found_years)
    if missing:
        return Verdict(Reason.YEAR, confidence, missing)
    found = number_values(evidence)
    missing = tuple(n for n in query.numbers if not number_values(n) <= found)
    lacking = ordinals(query.text) - ordinals(evidence)
    missing += tuple(w for w, o in _ordinals_written(query.text).items() if o in lacking)
    if missing:
        return Verdict(Reason.NUMBER, confidence, missing)
    return Verdict(Reason.SUPPORTED, confidence)


def counted_unit(query) -> str:
    """The unit a how-many question asks in, when the answer must count in it: not 个, which
    any measure word answers (几个孩子: 3名子女), nor one asking which ones (哪几座: a list) or
    a rank (前几名: 前五); or the quantity a how-big question names (面积有多大: 面积), when it
    asks for its measure rather than a share or a multiple of another."""
    if re.search("哪几|[第前]几", query.text):
        return ""
    if MONEY_ASKED.search(query.text):
        return "钱"
    if query.unit:
        return "" if query.unit == "个" else query.unit
    if SHARE_ASKED.search(query.text) or "倍" in query.text or not HOW_MUCH.search(query.text):
        return ""
    return next((name for name, asked, _ in MEASURED if asked.search(query.text)), "")


def counts_in(unit: str, text: str) -> bool:
    """Whether text gives a number in `unit` or one of its kin (3名 for 多少人, 2.5亿美元 for
    多少钱), or in a unit of the quantity `unit` names (3216平方公里 for 面积)."""
    measures = {name: units for name, _, units in MEASURED}
    kin = measures.get(unit) or next((k for k in COUNT_KIN if unit in k), (unit,))
    alternatives = "|".join(re.escape(u) for u in sorted(kin, key=len, reverse=True))
    return re.search(f"{NUMBER_WRITTEN}\\s*(?:{alternatives})", text) is not None


def ordinals(text: str) -> set[str]:
    """Ordinals written either way, as digits: 第六 and 第6 are both '6'."""
    return set(_ordinals_written(text).values())


def _ordinals_written(text: str) -> dict[str, str]:
    """Each ordinal as the text writes it, with its value as digits (第六 -> '6', 首任 -> '1')."""
    out = {m.group(0): "1" for m in FIRST.finditer(text)}
    for m in ORDINAL.finditer(text):
        raw = m.group(1)
        if raw.isdigit():
            out[m.group(0)] = raw
        elif raw == "十":
            out[m.group(0)] = "10"
        elif len(raw) == 1:
            out[m.group(0)] = CN_DIGITS.get(raw, raw)
    return out
