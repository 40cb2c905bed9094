"""SQuAD-format reading-comprehension sets as corpora: units (passages or whole articles), a
fixed fit/validate split, reproducible samples, and a docs folder the bot can index.

A sample is N units written into a docs folder, one file each with its title as a `#` heading.
Its in-corpus questions are those of the units; its out-of-corpus questions, as many, come
from units outside the folder, and the bot should refuse them.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import JJQAError

SPLITS = ("all", "fit", "validate")
VALIDATE_SHARE = 0.5
UNSAFE = re.compile(r"[^\w\u4e00-\u9fff-]+")


class SquadError(JJQAError):
    """A SQuAD-format file cannot be read or holds nothing to ask."""


PARAGRAPH_BREAK = "\n\n"


@dataclass
class Question:
    """One question and its acceptable answers (any of them counts)."""

    id: str
    text: str
    answers: list[str]
    unit: str = ""
    # where the dataset marks each answer, as offsets into the unit's document (Unit.document)
    at: list[int] = field(default_factory=list)


@dataclass
class Unit:
    """What goes into one file of the docs folder: a passage, or every passage of an article."""

    key: str
    title: str
    paragraphs: list[str]
    questions: list[Question] = field(default_factory=list)

    @property
    def split(self) -> str:
        """'fit' or 'validate', fixed by a hash of the unit's key (the same on every machine)."""
        digest = hashlib.sha256(self.key.encode("utf-8")).digest()
        return "validate" if digest[0] / 256 < VALIDATE_SHARE else "fit"

    def filename(self, n: int) -> str:
        """A safe file name: a number for order, then the title."""
        return f"{n:04d}-{UNSAFE.sub('_', self.title)[:40] or 'untitled'}.md"

    def document(self) -> str:
        """The file's text: the title as a `#` heading, then the paragraphs."""
        return self._heading() + PARAGRAPH_BREAK.join(p.strip() for p in self.paragraphs) + "\n"

    def offset(self, k: int, at: int) -> int:
        """Where character `at` of paragraph k, as the dataset gives it, lies in the document."""
        before = sum(len(p.strip()) + len(PARAGRAPH_BREAK) for p in self.paragraphs[:k])
        given = self.paragraphs[k]
        return len(self._heading()) + before + at - (len(given) - len(given.lstrip()))

    def _heading(self) -> str:
        return f"# {self.title}\n\n"


@dataclass
class Sample:
    """The units in the corpus and the questions asked of it."""

    units: list[Unit]
    inside: list[Question]
    outside: list[Question]

    def write(self, docs_dir: Path) -> None:
        """One Markdown file per unit in docs_dir (created)."""
        docs_dir.mkdir(parents=True, exist_ok=True)
        for n, unit in enumerate(self.units):
            (docs_dir / unit.filename(n)).write_text(unit.document(), encoding="utf-8")


def load_units(path: str | Path, by_article: bool = False) -> list[Unit]:
    """The units of a SQuAD-format file: one per paragraph, or one per article."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SquadError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise SquadError(f"{path}: not a readable SQuAD JSON file ({e})") from e
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise SquadError(f"{path}: expected a SQuAD file with a top-level 'data' list")
    units: list[Unit] = []
    for a, article in enumerate(articles):
        title = str(article.get("title") or f"article {a}").strip()
        paragraphs = [p for p in article.get("paragraphs", []) if p.get("context", "").strip()]
        groups = [paragraphs] if by_article else [[p] for p in paragraphs]
        for g, group in enumerate(groups):
            key = f"{title}#{a}" if by_article else f"{title}#{a}.{g}"
            unit = Unit(key, title, [p["context"] for p in group])
            document = unit.document()
            for k, p in enumerate(group):
                for qa in p.get("qas", []):
                    given = [x for x in qa.get("answers", []) if x.get("text", "").strip()]
                    if qa.get("question", "").strip() and given:
                        answers = [x["text"] for x in given]
                        at = _marked(unit, k, document, given)
                        unit.questions.append(
                            Question(
                                str(qa.get("id", "")), qa["question"].strip(), answers, key, at
                            )
                        )
            if unit.questions:
                units.append(unit)
    if not units:
        raise SquadError(f"{path}: no passage with an answered question")
    return units


def _marked(unit: Unit, k: int, document: str, given: list[dict]) -> list[int]:
    """Offsets in the document of paragraph k's answers whose `answer_start` points at their
    text."""
    out = []
    for x in given:
        at = x.get("answer_start")
        if isinstance(at, int) and at >= 0:
            at = unit.offset(k, at)
            if document[at : at + len(x["text"])] == x["text"]:
                out.append(at)
    return out


def sample(units: list[Unit], n: int | None, seed: int = 0, split: str = "all") -> Sample:
    """n units of the split (all of them when n is None) and as many questions from outside."""
    if split not in SPLITS:
        raise SquadError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    pool = [u for u in units if split == "all" or u.split == split]
    rng = random.Random(seed)
    chosen = pool if n is None or n >= len(pool) else rng.sample(pool, n)
    keys = {u.key for u in chosen}
    inside = [q for u in chosen for q in u.questions]
    others = [q for u in pool if u.key not in keys for q in u.questions]
    outside = rng.sample(others, min(len(inside), len(others)))
    return Sample(chosen, inside, outside)
