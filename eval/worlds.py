"""Corpora for fitting and checking the ranker without the full bot: the fit (or validate)
units of a SQuAD-format set cut into "worlds" of N units, each indexed in memory as the build
would (chunks, snapshot, sentence vectors from a disk cache), with its own questions and as
many from other worlds, which should be refused."""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.profile import Profile
from bot.retrieve import MatrixDense
from eval.squad import Question, Unit
from index.build import embedding_text
from index.chunk import chunk_document
from index.load import load_document
from index.snapshot import Snapshot, build_snapshot


@dataclass
class World:
    """An indexed corpus and the questions asked of it."""

    name: str
    snapshot: Snapshot
    dense: MatrixDense
    files: dict[str, str]  # unit key -> source name
    inside: list[Question]
    outside: list[Question]
    profile: Profile


def worlds(
    units: list[Unit], size: int, name: str, cache, seed: int = 0, limit: int | None = None
) -> list[World]:
    """The units shuffled and cut into worlds of `size`; questions outside come from the
    other worlds."""
    rng = random.Random(seed)
    units = list(units)
    rng.shuffle(units)
    groups = [units[i : i + size] for i in range(0, len(units), size)]
    groups = [g for g in groups if len(g) == size or len(groups) == 1][:limit]
    out = []
    for n, group in enumerate(groups):
        others = [q for g in groups if g is not group for u in g for q in u.questions]
        others += [
            q for u in units if all(u is not x for g in groups for x in g) for q in u.questions
        ]
        inside = [q for u in group for q in u.questions]
        outside = rng.sample(others, min(len(inside), len(others)))
        out.append(index_world(f"{name}-{n}", group, inside, outside, cache))
    return out


def index_world(name, group: list[Unit], inside, outside, cache, profile=None) -> World:
    """Chunk, snapshot and embed one world's units as the build does."""
    with tempfile.TemporaryDirectory() as tmp:
        chunks, titles, files = [], {}, {}
        for n, unit in enumerate(group):
            path = Path(tmp) / unit.filename(n)
            path.write_text(unit.document(), encoding="utf-8")
            source = f"docs/{path.name}"
            doc = load_document(path, source)
            titles[source] = doc.title or unit.title
            files[unit.key] = source
            chunks += chunk_document(doc)
    return indexed(name, chunks, titles, files, inside, outside, cache, profile or Profile())


def indexed(name, chunks, titles, files, inside, outside, cache, profile: Profile) -> World:
    """A world from chunks already made (the Jiangjin article, say)."""
    words = (
        list(profile.synonyms) + list(profile.synonyms.values()) + list(profile.glossary.values())
    )
    snapshot = build_snapshot(chunks, titles, profile_words=words)
    vectors = cache.get([embedding_text(c) for c in chunks], query=False)
    return World(name, snapshot, MatrixDense(vectors), files, inside, outside, profile)


def question_vectors(cache, texts: list[str]) -> dict[str, np.ndarray]:
    """Query vectors for the texts, from the cache."""
    texts = list(dict.fromkeys(texts))
    return dict(zip(texts, cache.get(texts, query=True))) if texts else {}
