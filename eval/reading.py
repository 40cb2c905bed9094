"""Evaluate the bot on a SQuAD-format sample: index its passages with the project's own build,
ask their questions and as many from outside, and compare with a one-line baseline.

Measured: the gold answer in the answer, the gold answer inside a cited quote (grounded),
false refusals, out-of-corpus questions refused, median answer length and latency. Beside
them: the best sentence by jieba BM25 (the baseline) and the share of questions whose gold
answer lies inside one sentence of its passage (the ceiling of a one-sentence answer).
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from eval.metrics import percentile
from eval.squad import Question, Sample

MARKER = re.compile(r"\[\d+\]")
DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds-reading.toml"
LABELS = {
    "gold_in_answer": "gold answer in the answer",
    "grounded": "gold answer in a cited quote",
    "false_refusals": "false refusals",
    "outside_refused": "out-of-corpus questions refused",
    "median_answer_chars": "median answer chars",
    "second_clause_share": "answers citing a second piece",
    "latency_p50_ms": "latency p50 ms",
    "latency_p95_ms": "latency p95 ms",
    "baseline_gold_in_sentence": "BM25 best sentence: gold in it",
    "baseline_median_chars": "BM25 best sentence: median chars",
    "ceiling_one_sentence": "gold inside one sentence (ceiling)",
}
SHOWN_FAILURES = 40


def canonical(text: str) -> str:
    """Text as compared for gold answers: NFKC, simplified, lower case, no whitespace or [n]."""
    from bot.text import normalize_chars

    return "".join(normalize_chars(MARKER.sub("", text)).split())


def contains_gold(text: str, answers: list[str]) -> bool:
    """True when any acceptable answer occurs in the text."""
    body = canonical(text)
    return any(canonical(a) and canonical(a) in body for a in answers)


@dataclass
class Asked:
    """One question, what the bot said and how it scored."""

    id: str
    question: str
    inside: bool
    answer: str
    kind: str
    refused: bool
    in_answer: bool
    in_quote: bool
    chars: int
    latency_ms: float
    answers: list[str] = field(default_factory=list)


@dataclass
class ReadingEvaluation:
    """A sample's results and its baseline and ceiling."""

    source: str
    units: int
    chunks: int
    asked: list[Asked]
    baseline: dict
    ceiling: float
    build_s: float
    command: str = ""

    def metrics(self) -> dict:
        inside = [a for a in self.asked if a.inside]
        outside = [a for a in self.asked if not a.inside]
        answered = [a for a in inside if not a.refused]

        def share(values) -> float | None:
            values = list(values)
            return sum(values) / len(values) if values else None

        latencies = [a.latency_ms for a in self.asked]
        return {
            "questions": len(inside),
            "outside_questions": len(outside),
            "gold_in_answer": share(a.in_answer and not a.refused for a in inside),
            "grounded": share(a.in_quote and not a.refused for a in inside),
            "false_refusals": share(a.refused for a in inside),
            "outside_refused": share(a.refused for a in outside),
            "median_answer_chars": statistics.median(a.chars for a in answered)
            if answered
            else None,
            "second_clause_share": share("[2]" in a.answer for a in answered),
            "latency_p50_ms": percentile(latencies, 50),
            "latency_p95_ms": percentile(latencies, 95),
            "baseline_gold_in_sentence": self.baseline["gold_in_sentence"],
            "baseline_median_chars": self.baseline["median_chars"],
            "ceiling_one_sentence": self.ceiling,
        }

    def failures(self) -> list[Asked]:
        return [
            a
            for a in self.asked
            if (a.inside and (a.refused or not a.in_answer)) or (not a.inside and not a.refused)
        ]

    def to_dict(self) -> dict:
        return {
            "command": self.command,
            "source": self.source,
            "units": self.units,
            "chunks": self.chunks,
            "build_s": self.build_s,
            "metrics": self.metrics(),
            "failures": [asdict(a) for a in self.failures()],
        }


def evaluate(
    sample: Sample, source: str, *, bot_overrides: dict | None = None, progress: bool = True
) -> ReadingEvaluation:
    """Index the sample in a temporary folder and ask every question, in and out of it."""
    from bot.chain import Bot
    from bot.settings import Settings
    from index.build import build_index
    from index.chunk import chunk_document
    from index.load import find_documents, load_document, source_name

    with tempfile.TemporaryDirectory(prefix="jjqa-squad-") as tmp:
        docs = Path(tmp) / "docs"
        sample.write(docs)
        overrides = dict(bot_overrides or {})
        overrides.setdefault("llm_base_url", None)
        settings = Settings.from_env(
            data_dir=Path(tmp) / "data",
            docs_dir=docs,
            profile_path=docs / "profile.toml",
            **overrides,
        )
        started = time.perf_counter()
        build_index(settings, progress=progress)
        build_s = time.perf_counter() - started
        bot = Bot(settings).warm()
        files = {
            source_name(docs, p): load_document(p, source_name(docs, p))
            for p in find_documents(docs)
        }
        sentences = {
            name: [c.text for c in chunk_document(doc) if c.kind == "text"]
            for name, doc in files.items()
        }
        unit_file = {u.key: f"docs/{u.filename(n)}" for n, u in enumerate(sample.units)}
        asked = []
        questions = [(q, True) for q in sample.inside] + [(q, False) for q in sample.outside]
        bot.ask(sample.inside[0].text if sample.inside else "你好")  # warm-up, not timed
        for q, inside in tqdm(
            questions, desc="questions", unit="q", file=sys.stderr, disable=not progress
        ):
            asked.append(_ask(bot, q, inside))
        baseline = _bm25_baseline(sentences, sample.inside)
        ceiling = _ceiling(sentences, unit_file, sample.inside)
    return ReadingEvaluation(
        source=source,
        units=len(sample.units),
        chunks=sum(len(s) for s in sentences.values()),
        asked=asked,
        baseline=baseline,
        ceiling=ceiling,
        build_s=round(build_s, 1),
    )


def _ask(bot, q: Question, inside: bool) -> Asked:
    started = time.perf_counter()
    answer = bot.ask(q.text)
    latency = (time.perf_counter() - started) * 1000
    body = MARKER.sub("", answer.answer)
    return Asked(
        id=q.id,
        question=q.text,
        inside=inside,
        answer=answer.answer,
        kind=answer.kind,
        refused=answer.refused,
        in_answer=contains_gold(body, q.answers),
        in_quote=any(contains_gold(c.quote, q.answers) for c in answer.citations),
        chars=len(body),
        latency_ms=round(latency, 2),
        answers=q.answers,
    )


def _bm25_baseline(sentences: dict[str, list[str]], questions: list[Question]) -> dict:
    """The single best sentence of the whole corpus by jieba BM25, for each question."""
    import jieba
    from rank_bm25 import BM25Okapi

    from bot.text import normalize_chars

    flat = [s for texts in sentences.values() for s in texts]
    if not flat or not questions:
        return {"gold_in_sentence": None, "median_chars": None}
    bm25 = BM25Okapi([jieba.lcut_for_search(normalize_chars(s)) or ["_"] for s in flat])
    hits, lengths = [], []
    for q in questions:
        scores = bm25.get_scores(jieba.lcut_for_search(normalize_chars(q.text)) or ["_"])
        best = flat[max(range(len(flat)), key=scores.__getitem__)]
        hits.append(contains_gold(best, q.answers))
        lengths.append(len(best))
    return {"gold_in_sentence": sum(hits) / len(hits), "median_chars": statistics.median(lengths)}


def _ceiling(
    sentences: dict[str, list[str]], unit_file: dict[str, str], questions: list[Question]
) -> float | None:
    """Share of questions whose gold answer lies inside one sentence of their own unit."""
    if not questions:
        return None
    found = [
        any(contains_gold(s, q.answers) for s in sentences.get(unit_file[q.unit], []))
        for q in questions
    ]
    return sum(found) / len(found)


def _fmt(name: str, value) -> str:
    if value is None:
        return "–"
    if name.endswith("_ms"):
        return f"{value:.1f}"
    if name.endswith("_chars"):  # a median of an even count can fall halfway: 60.5, not 60
        return f"{value:g}"
    return f"{value:.3f}"


def table(ev: ReadingEvaluation) -> str:
    """The sample's figures beside the baseline and the ceiling, as a Markdown table."""
    m = ev.metrics()
    head = (
        "| questions | out-of-corpus | gold in answer | grounded | false refusals "
        "| out-of-corpus refused | median chars | p50 / p95 ms | BM25 best sentence "
        "| ceiling (one sentence) |"
    )
    row = (
        f"| {m['questions']} | {m['outside_questions']} | {_fmt('x', m['gold_in_answer'])} "
        f"| {_fmt('x', m['grounded'])} | {_fmt('x', m['false_refusals'])} "
        f"| {_fmt('x', m['outside_refused'])} | {_fmt('_chars', m['median_answer_chars'])} "
        f"| {_fmt('_ms', m['latency_p50_ms'])} / {_fmt('_ms', m['latency_p95_ms'])} "
        f"| {_fmt('x', m['baseline_gold_in_sentence'])} "
        f"| {_fmt('x', m['ceiling_one_sentence'])} |"
    )
    return "\n".join([head, "|" + "---|" * 10, row])


def text(ev: ReadingEvaluation) -> str:
    """What a terminal shows: the sample, the table, and the first failures."""
    lines = [
        f"{ev.source}: {ev.units} documents, {ev.chunks} sentences, index built in {ev.build_s} s",
        "",
        table(ev),
        "",
        f"failures ({len(ev.failures())}, first {SHOWN_FAILURES}):",
    ]
    for a in ev.failures()[:SHOWN_FAILURES]:
        where = "in" if a.inside else "out"
        gold = f" (gold: {a.answers[0]})" if a.inside and a.answers else ""
        lines.append(f"  [{where}] {a.question}{gold}\n        -> {a.answer[:120]}")
    return "\n".join(lines)


def write(ev: ReadingEvaluation, folder: str) -> Path:
    """A Markdown report of the sample in `folder`, named after the set."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"reading-{Path(ev.source).stem}.md"
    body = [
        f"# Reading comprehension: {ev.source}",
        "",
        f"Command: `{ev.command}`" if ev.command else "",
        "",
        f"{ev.units} documents ({ev.chunks} sentences) indexed by the project's own build in "
        f"{ev.build_s} s. Out-of-corpus questions come from documents not indexed; a correct "
        "reply refuses them.",
        "",
        table(ev),
        "",
        "## Failures",
        "",
        "```",
        *text(ev).split("\n")[4:],
        "```",
    ]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path
