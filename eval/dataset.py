"""The question set: one JSON object per line, checked line by line against the article."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import JJQAError
from bot.settings import PROJECT_ROOT
from eval.spans import Span, load_source

DEFAULT_QA = PROJECT_ROOT / "eval" / "qa.jsonl"
DEFAULT_ARTICLE = "docs/jiangjin.txt"
KINDS = (
    "fact",
    "number",
    "list",
    "comparison",
    "paraphrase",
    "colloquial",
    "traditional",
    "typo",
    "english",
    "followup",
    "unanswerable",
)


class QASetError(JJQAError):
    """The question set cannot be read or an item in it is malformed."""


@dataclass
class QAItem:
    """One question with what a correct answer must contain and where the article says it.

    `facts` are groups of acceptable alternatives: every group must appear in the answer.
    `evidence` are exact article passages (whitespace ignored) that support the answer.
    """

    id: str
    kind: str
    question: str
    answerable: bool
    facts: list[list[str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    history: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {"id": self.id, "kind": self.kind, "question": self.question}
        if self.history:
            data["history"] = [list(turn) for turn in self.history]
        data.update(answerable=self.answerable, facts=self.facts, evidence=self.evidence)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> QAItem:
        """An item from its JSON form; raises QASetError saying which field is wrong."""
        if not isinstance(data, dict):
            raise QASetError("expected a JSON object")
        for name in ("id", "kind", "question"):
            if not isinstance(data.get(name), str) or not data[name].strip():
                raise QASetError(f"{name!r} must be a non-empty string")
        if not isinstance(data.get("answerable"), bool):
            raise QASetError("'answerable' must be true or false")
        facts = data.get("facts", [])
        if not isinstance(facts, list) or not all(
            isinstance(g, list) and g and all(isinstance(a, str) and a for a in g) for g in facts
        ):
            raise QASetError("'facts' must be a list of non-empty lists of strings")
        evidence = data.get("evidence", [])
        if not isinstance(evidence, list) or not all(isinstance(e, str) and e for e in evidence):
            raise QASetError("'evidence' must be a list of non-empty strings")
        history = data.get("history") or []
        if not isinstance(history, list) or not all(
            isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t)
            for t in history
        ):
            raise QASetError("'history' must be a list of [question, answer] pairs")
        if data["answerable"] and not (facts and evidence):
            raise QASetError("an answerable item needs 'facts' and 'evidence'")
        if not data["answerable"] and (facts or evidence):
            raise QASetError("an unanswerable item must have empty 'facts' and 'evidence'")
        return cls(
            id=data["id"],
            kind=data["kind"],
            question=data["question"],
            answerable=data["answerable"],
            facts=facts,
            evidence=evidence,
            history=[(q, a) for q, a in history],
        )


@dataclass
class QASet:
    """The items of one file and, for each evidence string, where it is in the article."""

    path: Path
    article: str
    items: list[QAItem]
    spans: dict[str, list[list[Span]]]

    def evidence_spans(self, item: QAItem) -> list[list[Span]]:
        """For each evidence string of the item, every place it occurs in the article."""
        return self.spans.get(item.id, [])


def load_qa(path: str | Path = DEFAULT_QA, article: str = DEFAULT_ARTICLE) -> QASet:
    """Read and check a question set; raises QASetError naming the file and line."""
    path = Path(path)
    source = load_source(article)
    if source is None:
        raise QASetError(f"cannot read the article {article}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise QASetError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise QASetError(f"{path}: cannot read it ({e})") from e
    items, spans, seen = [], {}, {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            item = QAItem.from_dict(json.loads(line))
        except json.JSONDecodeError as e:
            raise QASetError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from e
        except QASetError as e:
            raise QASetError(f"{where}: {e}") from e
        if item.id in seen:
            raise QASetError(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        found = [source.find_all(e) for e in item.evidence]
        for text, places in zip(item.evidence, found):
            if not places:
                raise QASetError(f"{where}: evidence {text!r} is not in {article}")
        items.append(item)
        spans[item.id] = found
    if not items:
        raise QASetError(f"{path}: no questions in it")
    return QASet(path=path, article=article, items=items, spans=spans)
