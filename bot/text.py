"""Chinese text as every stage sees it: one normalisation, one set of sentence and clause
punctuation, and the language data (stopwords, question words, dialect) that holds for any
Chinese text. Nothing here knows a particular document."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

# Sentences end at these (closing quotes and brackets after them stay with the sentence);
# clauses also end at commas, colons and enumeration commas.
SENTENCE_ENDS = "。！？；!?;…"
CLAUSE_ENDS = SENTENCE_ENDS + "，,：:、"
CLOSERS = "”’」』）)》】"
SENTENCE_END = re.compile(f"[{SENTENCE_ENDS}]+[{CLOSERS}]*")
CLAUSE_END = re.compile(f"[{CLAUSE_ENDS}]+[{CLOSERS}]*")

# Brackets a sentence never ends inside: （…） and 《…》 hold asides and titles, whatever
# punctuation they contain (《卡拉OK.LIVE！‧台北‧我》), as long as they close soon enough.
BRACKETS = {"（": "）", "(": ")", "《": "》", "〈": "〉", "【": "】"}
MAX_BRACKETED = 120

_YEAR = re.compile(
    r"(?<!\d)(?<!\d[.,])((?:1[0-9]|20)\d{2})(?!\d|[.,]\d|\s*(?:多|余|万|千|亿|个|人|名|米|元))"
)
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_WORDLIKE = re.compile(r"[0-9a-zA-Z\u3400-\u9fff\uf900-\ufaff]")
_HAN_OR_ALNUM = re.compile(r"[\u3400-\u9fff]+|[a-z0-9.%]+")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def normalize_chars(text: str) -> str:
    """NFKC, traditional to simplified, lower-case Latin letters. Keeps the length of text
    whose characters NFKC leaves alone (all CJK, ASCII and full-width punctuation)."""
    return _converter().convert(unicodedata.normalize("NFKC", text)).lower()


def years(text: str) -> list[str]:
    """Four-digit years (1000–2099) mentioned in the text."""
    return _YEAR.findall(unicodedata.normalize("NFKC", text))


def numbers(text: str) -> list[str]:
    """Every number in the text (NFKC-normalised, thousands separators dropped)."""
    return [n.replace(",", "") for n in _NUMBER.findall(unicodedata.normalize("NFKC", text))]


_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_FRACTION = re.compile(
    r"([零〇一二两三四五六七八九十百千\d]+)分之([零〇一二两三四五六七八九十百千\d]+)"
)


def cn_number(run: str) -> int | None:
    """The value of a Chinese numeral (二十三 -> 23, 一千零五 -> 1005), None if it is not one."""
    total = section = digit = 0
    seen = False
    for ch in run:
        if ch in _CN_DIGIT:
            digit, seen = _CN_DIGIT[ch], True
        elif ch in _CN_UNIT:
            section += (digit or 1) * _CN_UNIT[ch]
            digit, seen = 0, True
        elif ch in _CN_BIG:
            total += (section + digit) * _CN_BIG[ch]
            section = digit = 0
        else:
            return None
    return total + section + digit if seen else None


def number_values(text: str) -> set[str]:
    """The numbers a text states, however written: 4 and 四, 350,000 and 350000, 1/3 and
    三分之一 come out the same."""
    text = unicodedata.normalize("NFKC", text)
    out = {
        n.replace(",", "").rstrip("0").rstrip(".") if "." in n else n.replace(",", "")
        for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)
    }
    for m in _FRACTION.finditer(text):
        den, num = (str(cn_number(x)) if not x.isdigit() else x for x in m.groups())
        out.add(f"{num}/{den}")
    for run in _CN_RUN.findall(text):
        value = cn_number(run)
        if value is not None:
            out.add(str(value))
    return out


def has_words(text: str) -> bool:
    """True when the text holds at least one letter, digit or Chinese character."""
    return bool(_WORDLIKE.search(text))


def bigrams(text: str) -> set[str]:
    """Character pairs of the Chinese (and alphanumeric) runs of normalised text."""
    out = set()
    for run in _HAN_OR_ALNUM.findall(text):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def bracketed(text: str) -> list[tuple[int, int]]:
    """(open, close) positions of the outermost bracket pairs that close within
    MAX_BRACKETED characters."""
    out, i = [], 0
    while i < len(text):
        closer = BRACKETS.get(text[i])
        if closer is None:
            i += 1
            continue
        depth, j = 0, i
        while j < len(text) and j - i <= MAX_BRACKETED:
            if text[j] == text[i]:
                depth += 1
            elif text[j] == closer:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j < len(text) and depth == 0 and j - i <= MAX_BRACKETED:
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def split_clauses(text: str) -> list[tuple[int, int]]:
    """(i, j) of each clause of text, without the punctuation that ends it (closing quotes and
    brackets stay with their clause); blank clauses are dropped."""
    out, begin = [], 0
    for match in CLAUSE_END.finditer(text):
        closers = match.group().lstrip(CLAUSE_ENDS)
        stop = match.end() if closers else match.start()
        if stop > begin:
            out.append((begin, stop))
        begin = match.end()
    if begin < len(text):
        out.append((begin, len(text)))
    return [(i, j) for i, j in out if text[i:j].strip()]


# -- language data (bot/data/) -----------------------------------------------------------------
def _data(name: str) -> list[str]:
    """Non-comment lines of a file in bot/data."""
    raw = resources.files("bot").joinpath("data", name).read_text(encoding="utf-8")
    return [line for line in raw.splitlines() if line.strip() and not line.startswith("#")]


@cache
def stopwords() -> frozenset[str]:
    """Words that carry no content in any question: function words, question words, pronouns."""
    return frozenset(w for line in _data("stopwords.txt") for w in line.split())


@cache
def question_words() -> dict[str, str]:
    """Question word -> the type of answer it asks for (person, place, time, number, ...)."""
    return dict(line.split("\t")[:2] for line in _data("question_words.tsv"))


@cache
def structure_words() -> dict[str, str]:
    """Words that ask about a document itself -> the passage kind that answers (标题 -> title)."""
    return dict(line.split("\t")[:2] for line in _data("structure.tsv"))


@cache
def dialect() -> dict[str, str]:
    """Dialect and colloquial question words -> standard Mandarin (好多 -> 多少)."""
    return dict(line.split("\t")[:2] for line in _data("dialect.tsv"))
