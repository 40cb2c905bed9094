"""Runs a finished bot over a question set, one item at a time, and scores each answer."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from bot.values import Hit
from eval.baseline import BaselineResult
from eval.dataset import QASet
from eval.metrics import (
    HIT_AT,
    RETRIEVAL_K,
    ItemResult,
    by_kind,
    retrieval_summary,
    score,
    summarize,
)
from eval.spans import Span, load_source

WARM_UP = "江津2019年GDP是多少？"
BASELINE_NOTE = (
    "The baselines only retrieve: they do not answer, cite or refuse, so they have no answer, "
    "citation or refusal metrics. They get the question without its history."
)


def hit_span(hit: Hit) -> Span:
    """Where a retrieved piece lies in its source file (empty when the file is unreadable)."""
    source = load_source(hit.source)
    return source.span(hit.start, hit.end) if source else Span(hit.source, 0, 0)


def run(bot, qa: QASet, *, progress: bool = True, label: str = "bot") -> list[ItemResult]:
    """Ask `bot` every question (with its history), time it, and score answer and retrieval.

    One question is asked before timing starts so that latencies are those of a warm bot.
    """
    bot.ask(WARM_UP)
    results = []
    for item in tqdm(qa.items, desc=label, unit="q", file=sys.stderr, disable=not progress):
        history = list(item.history)
        started = time.perf_counter()
        answer = bot.ask(item.question, history=history)
        latency_ms = (time.perf_counter() - started) * 1000
        pieces, chars = [], 0.0
        if item.answerable:
            hits = bot.retrieve(item.question, history=history, k=RETRIEVAL_K)
            pieces = [hit_span(h) for h in hits]
            top = hits[: max(HIT_AT)]
            chars = sum(len(h.text) for h in top) / len(top) if top else 0.0
        spans = qa.evidence_spans(item)
        results.append(score(item, spans, answer, pieces, latency_ms, retrieved_chars=chars))
    return results


@dataclass
class Evaluation:
    """Everything one run found: the bot's scored items and the baselines' retrieval ranks."""

    qa: str
    mode: str
    embed_model: str
    results: list[ItemResult]
    baselines: list[BaselineResult] = field(default_factory=list)

    def overall(self) -> dict:
        return summarize(self.results)

    def per_kind(self) -> dict[str, dict]:
        return by_kind(self.results)

    def baseline_metrics(self) -> dict[str, dict]:
        """For each baseline: retrieval metrics overall and per kind, over the same items."""
        answerable = [r for r in self.results if r.answerable]
        kinds = list(dict.fromkeys(r.kind for r in answerable))
        metrics = {}
        for b in self.baselines:
            overall = retrieval_summary([b.ranks.get(r.id) for r in answerable])
            overall["retrieved_chars"] = b.retrieved_chars
            metrics[b.name] = {
                "description": b.description,
                "chunks": b.chunks,
                "overall": overall,
                "per_kind": {
                    kind: retrieval_summary(
                        [b.ranks.get(r.id) for r in answerable if r.kind == kind]
                    )
                    for kind in kinds
                },
            }
        return metrics

    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if r.problems()]

    def to_dict(self) -> dict:
        """The metrics as printed by `--json`: overall, per kind, baselines, failures."""
        return {
            "qa": self.qa,
            "mode": self.mode,
            "embed_model": self.embed_model,
            "overall": self.overall(),
            "per_kind": self.per_kind(),
            "baselines": self.baseline_metrics(),
            "baselines_note": BASELINE_NOTE if self.baselines else None,
            "failures": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "question": r.question,
                    "answer": r.answer,
                    "refused": r.refused,
                    "problems": r.problems(),
                }
                for r in self.failures()
            ],
        }
