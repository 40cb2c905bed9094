"""Scoring one answer against its item, and summing scores into the suite's metrics."""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from dataclasses import asdict, dataclass, field

from bot.values import Answer
from eval.dataset import QAItem
from eval.spans import Span, load_source, squeeze

MARKER = re.compile(r"\[\d+\]")
RETRIEVAL_K = 10  # pieces asked for (the bot may return fewer); MRR is over those
HIT_AT = (1, 3, 5)

# Every metric the suite reports, with the label used in tables and charts.
LABELS = {
    "hit_at_1": "hit@1",
    "hit_at_3": "hit@3",
    "hit_at_5": "hit@5",
    "mrr": "MRR",
    "retrieved_chars": "chars per retrieved piece",
    "answer_correctness": "answer correctness",
    "grounding": "grounding",
    "citation_precision": "citation precision",
    "citation_recall": "citation recall",
    "citation_validity": "citation validity",
    "refusal_accuracy": "refusal accuracy",
    "false_refusal_rate": "false refusals",
    "median_answer_chars": "median answer chars",
    "latency_p50_ms": "latency p50 ms",
    "latency_p95_ms": "latency p95 ms",
}
RETRIEVAL_KEYS = ("hit_at_1", "hit_at_3", "hit_at_5", "mrr")


def normalize(text: str) -> str:
    """Text as compared for facts: NFKC, no `[n]` markers, no whitespace, lower case."""
    return squeeze(MARKER.sub("", unicodedata.normalize("NFKC", text))).lower()


def missing_groups(facts: list[list[str]], texts: list[str]) -> list[list[str]]:
    """The fact groups none of whose alternatives occurs inside any one of `texts`."""
    normalized = [normalize(t) for t in texts]
    return [
        group
        for group in facts
        if not any(normalize(alt) in t for alt in group for t in normalized)
    ]


def evidence_rank(evidence: list[list[Span]], pieces: list[Span]) -> int | None:
    """The smallest k such that the first k pieces cover every evidence string, else None.

    A piece covers an evidence string when their spans share at least half of the shorter one
    (a piece is one sentence; evidence may be a clause of it or run over two sentences).
    """
    if not evidence:
        return None
    worst = 0
    for places in evidence:
        first = next((r for r, p in enumerate(pieces, 1) if any(p.covers(s) for s in places)), None)
        if first is None:
            return None
        worst = max(worst, first)
    return worst


@dataclass
class ItemResult:
    """How the bot did on one item; the raw counts the summary adds up."""

    id: str
    kind: str
    question: str
    answerable: bool
    answer: str
    refused: bool
    latency_ms: float
    rank: int | None = None
    retrieved_chars: float = 0.0
    missing_in_answer: list[list[str]] = field(default_factory=list)
    missing_in_quotes: list[list[str]] = field(default_factory=list)
    citations: int = 0
    citations_on_evidence: int = 0
    evidence: int = 0
    evidence_cited: int = 0
    invalid_citations: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        """Answerable: answered with every fact group. Unanswerable: refused."""
        if not self.answerable:
            return self.refused
        return not self.refused and not self.missing_in_answer

    @property
    def grounded(self) -> bool:
        return not self.refused and not self.missing_in_quotes

    def problems(self) -> list[str]:
        """What went wrong, in words; empty when nothing did."""
        found = []
        if self.answerable and self.refused:
            found.append("refused although the article answers it")
        if not self.answerable and not self.refused:
            found.append("answered although the article does not say (should refuse)")
        if self.answerable and not self.refused:
            if self.missing_in_answer:
                found.append("answer lacks " + _groups(self.missing_in_answer))
            if self.missing_in_quotes:
                found.append("cited quotes lack " + _groups(self.missing_in_quotes))
        if self.answerable and (self.rank is None or self.rank > max(HIT_AT)):
            found.append(f"evidence not in the top {max(HIT_AT)} retrieved pieces")
        found.extend(self.invalid_citations)
        return found

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ItemResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _groups(groups: list[list[str]]) -> str:
    return ", ".join(" / ".join(group) for group in groups)


def score(
    item: QAItem,
    evidence: list[list[Span]],
    answer: Answer,
    pieces: list[Span],
    latency_ms: float,
    retrieved_chars: float = 0.0,
) -> ItemResult:
    """Score one answer: facts in the answer and in its quotes, citations against the evidence
    and against their source files, and where retrieval ranked the evidence."""
    result = ItemResult(
        id=item.id,
        kind=item.kind,
        question=item.question,
        answerable=item.answerable,
        answer=answer.answer,
        refused=answer.refused,
        latency_ms=latency_ms,
        retrieved_chars=retrieved_chars,
        citations=len(answer.citations),
        evidence=len(evidence),
    )
    cited: list[Span] = []
    for c in answer.citations:
        source = load_source(c.source)
        if source is None:
            result.invalid_citations.append(f"citation [{c.n}] names an unreadable {c.source}")
            continue
        if not source.matches(c.quote, c.start, c.end):
            result.invalid_citations.append(
                f"citation [{c.n}] quote differs from {c.source}[{c.start}:{c.end}]"
            )
        cited.append(source.span(c.start, c.end))
    if item.answerable:
        result.rank = evidence_rank(evidence, pieces)
        result.missing_in_answer = missing_groups(item.facts, [answer.answer])
        result.missing_in_quotes = missing_groups(item.facts, [c.quote for c in answer.citations])
        result.citations_on_evidence = sum(
            any(span.covers(s) for places in evidence for s in places) for span in cited
        )
        result.evidence_cited = sum(
            any(span.covers(s) for span in cited for s in places) for places in evidence
        )
    return result


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (q in 0..100), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def retrieval_summary(ranks: list[int | None]) -> dict[str, float | None]:
    """hit@k and MRR over the ranks at which each answerable item's evidence was retrieved."""
    summary = {
        f"hit_at_{k}": _share(sum(r is not None and r <= k for r in ranks), len(ranks))
        for k in HIT_AT
    }
    summary["mrr"] = _share(sum(1 / r for r in ranks if r is not None), len(ranks))
    return summary


def summarize(results: list[ItemResult]) -> dict[str, float | int | None]:
    """The suite's metrics over some results (None where nothing was measured)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    latencies = [r.latency_ms for r in results]
    lengths = [len(r.answer) for r in answerable]
    summary: dict[str, float | int | None] = {
        "items": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    summary.update(retrieval_summary([r.rank for r in answerable]))
    summary["retrieved_chars"] = (
        statistics.fmean(r.retrieved_chars for r in answerable) if answerable else None
    )
    summary.update(
        answer_correctness=_share(sum(r.correct for r in answerable), len(answerable)),
        grounding=_share(sum(r.grounded for r in answerable), len(answerable)),
        citation_precision=_share(
            sum(r.citations_on_evidence for r in answerable),
            sum(r.citations for r in answerable),
        ),
        citation_recall=_share(
            sum(r.evidence_cited for r in answerable), sum(r.evidence for r in answerable)
        ),
        citation_validity=_share(
            sum(r.citations - len(r.invalid_citations) for r in results),
            sum(r.citations for r in results),
        ),
        refusal_accuracy=_share(sum(r.refused for r in unanswerable), len(unanswerable)),
        false_refusal_rate=_share(sum(r.refused for r in answerable), len(answerable)),
        median_answer_chars=statistics.median(lengths) if lengths else None,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )
    return summary


def by_kind(results: list[ItemResult]) -> dict[str, dict]:
    """summarize() for each kind, in the order kinds first appear."""
    kinds = list(dict.fromkeys(r.kind for r in results))
    return {kind: summarize([r for r in results if r.kind == kind]) for kind in kinds}
