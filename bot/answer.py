"""Extractive answering: pick the one to three clauses of the retrieved sentences that answer
the question, fact first, each to be cited by its exact span in the source file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import bigrams, content_terms, normalize, noun_terms, numbers, years
from index.chunk import Chunk

CLAUSE_END = re.compile(r"[，,：:；;。！？!?…]+[”’」』）)》]*")
QUANTITY = re.compile(
    r"多少|几|百分|比例|比重|多大|多高|多快|多长|规模|数量|总量|增长|达到|提高到|目标|数据"
    r"|how many|how much|percent|rate|target"
)
NUMERIC = re.compile(r"[\d.%]+")
# Plans (将, 力争…) answer questions about the future; done things answer 现在/已经/了吗.
PLAN = re.compile(r"将|力争|争取|计划|目标|要|规划|今后|到20\d\d年")
ASKS_WHEN = re.compile(r"哪一年|哪年|什么时候|何时|啥时候|\bwhen\b|which year")
# Characters of question words and of the article's own name: pairs with them say nothing.
GENERIC_CHARS = set("江津区的是了吗呢什么多少哪些怎样要把将有在和与及")
PAIR_WEIGHT = 0.6
ASKS_PLAN = re.compile(r"将|要|计划|打算|目标|规划|今后|未来|以后|准备|力争|会不会")
ASKS_DONE = re.compile(
    r"现在|目前|已经|了吗|没有|有没有|如何了|怎么样|咋样|取得|成绩|成效|过去|这几年|五年来"
)
# Questions about the article itself point to its title, byline or photo captions.
STRUCTURE_WORDS = {
    "标题": "title",
    "题目": "title",
    "作者": "byline",
    "记者": "byline",
    "署名": "byline",
    "谁写": "byline",
    "摄影": "caption",
    "拍摄": "caption",
    "图片": "caption",
    "照片": "caption",
    "配图": "caption",
}
NOVEL = 4
MIN_ANSWER_CHARS = 16
MAX_ANSWER_CHARS = 150
TOO_SHORT = 8
COMPLETE = 90
MAX_SPANS = 3


@dataclass
class Span:
    """A contiguous piece `chunk.text[i:j]` chosen for the answer."""

    chunk: Chunk
    i: int
    j: int
    score: float = 0.0
    matched: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.chunk.text[self.i : self.j]


@dataclass
class Query:
    """What the answerer looks for: weighted content terms, years, numbers, whether a quantity."""

    terms: dict[str, float]
    years: list[str]
    numbers: list[str]
    wants_quantity: bool
    text: str = ""
    kinds: set[str] = field(default_factory=set)
    nouns: set[str] = field(default_factory=set)
    tense: str = ""
    pairs: set[str] = field(default_factory=set)
    asks_when: bool = False
    own: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, primary: str, secondary: str, idf, known=lambda term: True) -> Query:
        """Terms of the question weigh fully; those of the question it follows up, 0.3.
        A term the article never uses weighs most: it is the most specific thing asked."""
        top = max((idf(t) for t in content_terms(primary + secondary)), default=1.0)
        nouns = noun_terms(content_terms(primary) + (content_terms(secondary) if secondary else []))

        def weigh(term: str) -> float:
            if term in nouns and not known(term):
                return 1.5 * max(top, 3.0)
            return max(idf(term), 1.0) * (1.5 if len(term) >= 3 else 1.0)

        ys = years(primary)
        own = [t for t in content_terms(primary) if not NUMERIC.fullmatch(t)]
        if not ys and not own and secondary:
            ys = years(secondary)
        nums = [n for n in numbers(primary) if n not in ys and not _is_year_part(n, primary)]
        weights = {t: weigh(t) for t in own}
        for term in content_terms(secondary) if secondary else []:
            if not NUMERIC.fullmatch(term) and term not in weights:
                weights[term] = 0.3 * weigh(term)
        text = normalize(primary)
        kinds = {kind for word, kind in STRUCTURE_WORDS.items() if word in text}
        tense = "plan" if ASKS_PLAN.search(text) else "done" if ASKS_DONE.search(text) else ""
        pairs = {p for p in bigrams(text) if not (set(p) & GENERIC_CHARS)}
        for word in STRUCTURE_WORDS:
            weights.pop(word, None)
        return cls(
            weights,
            ys,
            nums,
            bool(QUANTITY.search(text)),
            text,
            kinds,
            nouns,
            tense,
            pairs,
            bool(ASKS_WHEN.search(text)),
            set(own) & set(weights),
        )


def _is_year_part(number: str, text: str) -> bool:
    return f"{number}年" in text and len(number) == 4


def echo(clause: str, question: str) -> bool:
    """True when the question repeats the clause, leaving under NOVEL characters of it unsaid:
    then the answer is the clause next to it (「对标…，江津要打造什么？」)."""
    covered = [False] * len(clause)
    for i in range(len(clause) - 1):
        if clause[i : i + 2] in question:
            covered[i] = covered[i + 1] = True
    return len(clause) >= 4 and covered.count(False) < NOVEL


def clause_bounds(text: str) -> list[tuple[int, int]]:
    """(i, j) of each clause, without the punctuation that ends it."""
    out, begin = [], 0
    for match in CLAUSE_END.finditer(text):
        stop = match.start()
        closers = match.group().lstrip("，,：:；;。！？!?…")
        if closers:
            stop = match.end()
        if stop > begin:
            out.append((begin, stop))
        begin = match.end()
    if begin < len(text):
        out.append((begin, len(text)))
    return [(i, j) for i, j in out if text[i:j].strip()]


def score_text(text: str, context: str, query: Query) -> tuple[float, set[str]]:
    """How well a clause (inside its sentence `context`) matches the query."""
    norm, ctx = normalize(text), normalize(context)
    score, matched = 0.0, set()
    for term, weight in query.terms.items():
        if term in norm:
            score += weight
            matched.add(term)
        elif term in ctx:
            score += 0.3 * weight
        elif len(term) >= 3 and any(p in norm for p in _parts(term)):
            score += 0.4 * weight
    clause_years = set(years(text))
    for y in query.years:
        if y in clause_years:
            score += 4.0
            matched.add(y)
        elif y in ctx:
            score += 1.0
    if query.years and clause_years - set(query.years):
        score -= 3.0
    for n in query.numbers:
        if n in numbers(norm):
            score += 3.0
            matched.add(n)
    if query.wants_quantity and re.search(r"\d", text):
        score += 1.5
    if query.pairs:
        score += PAIR_WEIGHT * len(query.pairs & bigrams(norm))
    if query.asks_when and years(text):
        score += 2.0
    if query.tense and PLAN.search(context):
        score += 0.8 if query.tense == "plan" else -0.8
    return score, matched


def _parts(term: str) -> list[str]:
    import jieba

    return [p for p in jieba.lcut_for_search(term) if len(p) >= 2 and p != term]


def rerank(query: Query, chunks: list[Chunk]) -> list[Chunk]:
    """The chunks ordered by their best clause's score for the query (ties keep their order)."""
    best: dict[str, float] = {}
    for span in _candidates(query, chunks):
        best[span.chunk.id] = max(best.get(span.chunk.id, float("-inf")), span.score)
    return sorted(chunks, key=lambda c: -best.get(c.id, float("-inf")))


def _candidates(query: Query, chunks: list[Chunk]) -> list[Span]:
    """Every clause of the ranked chunks with its score (match plus a prior from the rank)."""
    candidates: list[Span] = []
    for rank, chunk in enumerate(chunks):
        if chunk.kind in ("subtitle", "heading"):
            continue
        prior = 1.0 / (rank + 2)
        if chunk.kind in ("title", "byline", "caption"):
            prior += 6.0 if chunk.kind in query.kinds else -1.0
        for i, j in clause_bounds(chunk.text):
            score, matched = score_text(chunk.text[i:j], chunk.text, query)
            if chunk.kind in query.kinds:
                matched.add(chunk.kind)
            candidates.append(Span(chunk, i, j, score + prior, matched))
    return candidates


def select_spans(query: Query, chunks: list[Chunk]) -> list[Span]:
    """The best clauses for the query among the ranked chunks, extended to read as a fact."""
    candidates = _candidates(query, chunks)
    if not candidates:
        return []
    candidates.sort(key=lambda s: -s.score)
    chosen = [_extend(candidates[0], query)]
    covered = set(chosen[0].matched) | _context_terms(chosen[0], query)
    wanted = set(query.terms) | set(query.years)
    for cand in candidates[1:]:
        if len(chosen) >= MAX_SPANS or covered >= wanted:
            break
        new = cand.matched - covered
        if not new or cand.score < 0.5 * chosen[0].score or _overlaps(cand, chosen):
            continue
        span = _extend(cand, query)
        chosen.append(span)
        covered |= span.matched | _context_terms(span, query)
    first, rest = chosen[0], chosen[1:]
    return [first] + sorted(rest, key=lambda s: (s.chunk.source, s.chunk.order, s.i))


def _context_terms(span: Span, query: Query) -> set[str]:
    """Query terms that the span's whole sentence mentions (years count only in the span)."""
    ctx = normalize(span.chunk.text)
    return {t for t in query.terms if t in ctx}


def _overlaps(span: Span, chosen: list[Span]) -> bool:
    return any(s.chunk.id == span.chunk.id and s.i < span.j and span.i < s.j for s in chosen)


def _extend(span: Span, query: Query) -> Span:
    """Grow a short clause with a neighbour in the same sentence when the neighbour names more of
    what was asked (or the clause is too short to read alone), never past a clause that names a
    year the question did not ask about."""
    text = span.chunk.text
    bounds = clause_bounds(text)
    lo = hi = next(k for k, (i, j) in enumerate(bounds) if i == span.i and j == span.j)
    matched = set(span.matched)

    def quoted() -> bool:
        return echo(normalize(text[bounds[lo][0] : bounds[hi][1]]), query.text)

    def lacks_year() -> bool:
        return query.asks_when and not years(text[bounds[lo][0] : bounds[hi][1]])

    def adds_terms(k: int) -> bool:
        if lacks_year() and years(text[bounds[k][0] : bounds[k][1]]):
            return True
        _, found = score_text(text[bounds[k][0] : bounds[k][1]], text, query)
        new = found - matched
        return bool(new) and sum(query.terms.get(t, 2.0) for t in new) >= 0.12 * total

    total = sum(query.terms.values()) + 2.0 * len(query.years)
    while (
        bounds[hi][1] - bounds[lo][0] < MIN_ANSWER_CHARS
        or quoted()
        or any(
            0 <= k < len(bounds)
            and adds_terms(k)
            and bounds[max(hi, k)][1] - bounds[min(lo, k)][0] <= COMPLETE
            for k in (lo - 1, hi + 1)
        )
    ):
        options = []
        for k in (lo - 1, hi + 1):
            if not 0 <= k < len(bounds):
                continue
            clause = text[bounds[k][0] : bounds[k][1]]
            if query.years and set(years(clause)) - set(query.years):
                continue
            score, found = score_text(clause, text, query)
            if (
                found - matched
                or quoted()
                or bounds[hi][1] - bounds[lo][0] < TOO_SHORT
                or (lacks_year() and years(clause))
            ):
                # a "when" answer takes the year before (the subject of a clause chain comes
                # first); otherwise read on
                ahead = k < lo if lacks_year() else k > hi
                options.append((len(found - matched), ahead, score, k, found))
        if not options:
            break
        *_, k, found = max(options)
        lo, hi = min(lo, k), max(hi, k)
        matched |= found
        if bounds[hi][1] - bounds[lo][0] > MAX_ANSWER_CHARS:
            break
    i, j = bounds[lo][0], bounds[hi][1]
    score, found = score_text(text[i:j], text, query)
    return Span(span.chunk, i, j, max(score, span.score), found | span.matched)
