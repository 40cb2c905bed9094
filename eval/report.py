"""Tables, failure lists and charts of an evaluation: for the terminal and a Markdown report."""

from __future__ import annotations

import datetime
from pathlib import Path

from eval.metrics import LABELS, RETRIEVAL_KEYS
from eval.runner import BASELINE_NOTE, Evaluation

# Metric families: one table and one chart each.
FAMILIES = {
    "retrieval": ("hit_at_1", "hit_at_3", "hit_at_5", "mrr", "retrieved_chars"),
    "answers": ("answer_correctness", "grounding"),
    "citations": ("citation_precision", "citation_recall", "citation_validity"),
    "refusals": ("refusal_accuracy", "false_refusal_rate"),
    "speed": ("median_answer_chars", "latency_p50_ms", "latency_p95_ms"),
}
COUNTS = {
    "retrieval": "answerable",
    "answers": "answerable",
    "citations": "items",
    "refusals": "items",
    "speed": "items",
}


def fmt(name: str, value) -> str:
    """A metric value as shown in tables: shares with 3 decimals, times and lengths rounded."""
    if value is None:
        return "–"
    if name.endswith("_ms"):
        return f"{value:.1f}"
    if name.endswith("_chars") or isinstance(value, int):
        return f"{value:.0f}"
    return f"{value:.3f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (also readable as plain text)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def family_table(evaluation: Evaluation, family: str) -> str:
    """One family's metrics: a row for all items, then one per kind."""
    names = FAMILIES[family]
    count = COUNTS[family]
    rows = [("overall", evaluation.overall())] + list(evaluation.per_kind().items())
    body = [[kind, str(m[count])] + [fmt(n, m[n]) for n in names] for kind, m in rows if m[count]]
    return table(["kind", count] + [LABELS[n] for n in names], body)


def baseline_tables(evaluation: Evaluation) -> str:
    """Our retrieval next to each baseline's: overall, then hit@5 and MRR per kind."""
    ours = evaluation.overall()
    baselines = evaluation.baseline_metrics()
    keys = RETRIEVAL_KEYS + ("retrieved_chars",)
    rows = [["ours (sentence pieces, hybrid)"] + [fmt(k, ours[k]) for k in keys]]
    rows += [
        [f"{name}: {b['description']}"] + [fmt(k, b["overall"][k]) for k in keys]
        for name, b in baselines.items()
    ]
    overall = table(["retriever"] + [LABELS[k] for k in keys], rows)
    header = ["kind", "n"]
    for name in ["ours", *baselines]:
        header += [f"{name} hit@5", f"{name} MRR"]
    per_kind = []
    for kind, m in evaluation.per_kind().items():
        if not m["answerable"]:
            continue
        row = [kind, str(m["answerable"]), fmt("hit_at_5", m["hit_at_5"]), fmt("mrr", m["mrr"])]
        for b in baselines.values():
            k = b["per_kind"][kind]
            row += [fmt("hit_at_5", k["hit_at_5"]), fmt("mrr", k["mrr"])]
        per_kind.append(row)
    return overall + "\n\n" + table(header, per_kind)


def failure_lines(evaluation: Evaluation) -> list[str]:
    """Every failed item: id, kind, question, the answer, and what was wrong."""
    lines = []
    for r in evaluation.failures():
        answer = " ".join(r.answer.split())
        lines.append(f"- **{r.id}** ({r.kind}) {r.question}")
        lines.append(f"  - answer{' (refused)' if r.refused else ''}: {answer}")
        for problem in r.problems():
            lines.append(f"  - {problem}")
    return lines


def summary_line(evaluation: Evaluation) -> str:
    m = evaluation.overall()
    return (
        f"{evaluation.qa}: {m['items']} questions ({m['answerable']} answerable, "
        f"{m['unanswerable']} unanswerable), mode {evaluation.mode}, "
        f"embedding model {evaluation.embed_model}"
    )


def text(evaluation: Evaluation) -> str:
    """The report as printed in the terminal."""
    parts = [summary_line(evaluation)]
    for family in FAMILIES:
        parts += ["", f"## {family}", family_table(evaluation, family)]
    if evaluation.baselines:
        parts += ["", "## retrieval against the LangChain baselines", baseline_tables(evaluation)]
        parts += ["", BASELINE_NOTE]
    failures = failure_lines(evaluation)
    parts += ["", f"## failures ({len(evaluation.failures())})"] + (failures or ["none"])
    return "\n".join(parts)


def write(evaluation: Evaluation, directory: str | Path, command: str = "python -m eval") -> Path:
    """Write README.md and one PNG per metric family into `directory`; return the Markdown path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    charts = {family: chart(evaluation, family, directory) for family in FAMILIES}
    m = evaluation.overall()
    parts = [
        "# 江津问答评测报告 / Evaluation report",
        "",
        f"Generated {datetime.date.today().isoformat()} by `{command}`.",
        "",
        summary_line(evaluation) + ".",
        "",
        (
            "How to read it: *hit@k* and *MRR*: the article passages an item's answer rests on "
            "(its evidence) are among the first k retrieved pieces; a piece covers a passage when "
            "they share at least half of the shorter. *answer correctness*: every key fact is in "
            "the answer; *grounding*: every key fact is inside a cited quote; *citation precision*: "
            "share of citations that quote the evidence; *citation recall*: share of evidence "
            "passages cited; *citation validity*: share of quotes equal to their source span; "
            "*refusal accuracy*: unanswerable questions refused; *false refusals*: answerable "
            "questions refused. Latency is per question with a warm bot."
        ),
        "",
        "## Overall",
        "",
        table(
            ["metric", "value"],
            [[LABELS[k], fmt(k, m[k])] for k in LABELS],
        ),
    ]
    for family in FAMILIES:
        parts += ["", f"## {family.capitalize()}", "", family_table(evaluation, family), ""]
        parts += [f"![{family}]({charts[family].name})"]
    if evaluation.baselines:
        parts += ["", "## Retrieval against plain LangChain pipelines", ""]
        parts += [baseline_tables(evaluation), "", BASELINE_NOTE, ""]
        parts += [
            (
                "Their pieces are about 300 characters long, ours one sentence, so a baseline "
                "piece covers short evidence more easily; the chars column shows how much text "
                "each retrieved piece hands to the answerer."
            )
        ]
    failures = failure_lines(evaluation)
    parts += ["", f"## Failures ({len(evaluation.failures())})", ""] + (failures or ["None."])
    path = directory / "README.md"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def chart(evaluation: Evaluation, family: str, directory: Path) -> Path:
    """A grouped bar chart of one metric family, overall and per kind (ASCII labels only)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("overall", evaluation.overall())] + list(evaluation.per_kind().items())
    rows = [(kind, m) for kind, m in rows if m[COUNTS[family]]]
    groups = _groups(family)
    baselines = family == "retrieval" and bool(evaluation.baselines)
    fig, axes = plt.subplots(
        1,
        len(groups) + baselines,
        figsize=(11, 4.2),
        squeeze=False,
        gridspec_kw={"width_ratios": [3] * len(groups) + [1.4] * baselines},
    )
    for ax, (names, unit) in zip(axes[0], groups):
        _bars(ax, [kind for kind, _ in rows], names, [[m[n] for n in names] for _, m in rows])
        ax.set_ylabel(unit)
    if baselines:
        systems = [("ours", evaluation.overall())] + [
            (name, b["overall"]) for name, b in evaluation.baseline_metrics().items()
        ]
        names = list(RETRIEVAL_KEYS)
        _bars(
            axes[0][-1], [s for s, _ in systems], names, [[m[n] for n in names] for _, m in systems]
        )
        axes[0][-1].set_title("overall vs baselines")
    fig.suptitle(f"{family}: overall and per kind")
    fig.tight_layout()
    path = directory / f"{family}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _groups(family: str) -> list[tuple[list[str], str]]:
    """The metrics of a family split by unit, one subplot each."""
    names = list(FAMILIES[family])
    if family == "retrieval":
        return [(list(RETRIEVAL_KEYS), "share / MRR")]
    if family == "speed":
        return [(["latency_p50_ms", "latency_p95_ms"], "ms"), (["median_answer_chars"], "chars")]
    return [(names, "share")]


def _bars(ax, groups: list[str], names: list[str], values: list[list]) -> None:
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [g + (i - (len(names) - 1) / 2) * width for g in range(len(groups))]
        ys = [0 if row[i] is None else row[i] for row in values]
        ax.bar(xs, ys, width, label=LABELS[name])
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=35, ha="right")
    top = max([y for row in values for y in row if y is not None] or [1.0])
    ax.set_ylim(0, top * 1.25 if top > 0 else 1.0)
    ax.legend(fontsize=7, loc="upper center", ncol=len(names), frameon=False)
    ax.grid(axis="y", alpha=0.3)
