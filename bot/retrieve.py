"""Retrieval: the candidate sentences for a query, from BM25 postings over the build's own
tokens and from dense search over the sentence vectors, each with what both searches said."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

LEXICAL_K = 30
DENSE_K = 30
RRF_K = 60  # reciprocal rank fusion's usual constant (Cormack et al. 2009)


class Dense(Protocol):
    """Nearest sentences by vector: Chroma's HNSW in the bot, a matrix when fitting."""

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk index, cosine similarity) of the k nearest chunks, nearest first."""

    def vectors(self, indices: list[int]) -> np.ndarray:
        """The stored vectors of these chunks, one row each."""


class MatrixDense:
    """Exact dense search over a matrix of unit vectors (one row per chunk)."""

    def __init__(self, matrix: np.ndarray):
        self.matrix = np.asarray(matrix, dtype=np.float32)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        sims = self.matrix @ vector
        k = min(k, len(sims))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(i), float(sims[i])) for i in top]

    def vectors(self, indices: list[int]) -> np.ndarray:
        return self.matrix[indices]


@dataclass
class Candidates:
    """Candidate chunks (indices into the snapshot) and what each search said of them."""

    index: list[int]
    bm25: np.ndarray
    bm25_rank: np.ndarray  # 1-based; 0 when BM25 did not return it
    dense: np.ndarray  # cosine similarity with the query
    dense_rank: np.ndarray
    fused: np.ndarray  # reciprocal rank fusion of both
    window: np.ndarray  # cosine similarity with the sentence and its neighbours together
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.index)


def candidates(
    snapshot, query, vector: np.ndarray | None, dense: Dense | None, background=None
) -> Candidates:
    """The union of the best BM25 and dense sentences for a question. `background` holds the
    vectors of a fixed sample of the documents' sentences: how similar the question is to
    sentences in general, the yardstick its best matches are measured against."""
    lexical = snapshot.sentences.top(list(query.tokens), LEXICAL_K)
    near = dense.search(vector, DENSE_K) if dense is not None and vector is not None else []
    asked = [i for kind in sorted(query.kinds) for i in snapshot.by_kind.get(kind, [])]
    order = list(dict.fromkeys([i for i, _ in lexical] + [i for i, _ in near] + asked[:LEXICAL_K]))
    n = len(order)
    pos = {i: k for k, i in enumerate(order)}
    bm25, bm25_rank = np.zeros(n, np.float32), np.zeros(n, np.float32)
    dense_rank, sims = np.zeros(n, np.float32), np.zeros(n, np.float32)
    for rank, (i, score) in enumerate(lexical, 1):
        bm25[pos[i]], bm25_rank[pos[i]] = score, rank
    for rank, (i, _) in enumerate(near, 1):
        dense_rank[pos[i]] = rank
    window = np.zeros(n, np.float32)
    if n and dense is not None and vector is not None:
        sims, window = _similarities(snapshot, order, vector, dense)
    fused = np.where(bm25_rank > 0, 1 / (RRF_K + bm25_rank), 0) + np.where(
        dense_rank > 0, 1 / (RRF_K + dense_rank), 0
    )
    cands = Candidates(order, bm25, bm25_rank, sims, dense_rank, fused.astype(np.float32), window)
    if background is not None and len(background) and vector is not None:
        base = background @ vector
        cands.extra["background"] = (float(base.mean()), float(base.std()) or 1.0)
    return cands


def _similarities(snapshot, order: list[int], vector, dense: Dense):
    """Each candidate's cosine similarity with the query, alone and with its neighbours (the
    mean of the three vectors), from one lookup of the stored vectors."""
    around = [snapshot.neighbours(i) for i in order]
    wanted = list(dict.fromkeys(order + [j for pair in around for j in pair if j is not None]))
    at = {i: k for k, i in enumerate(wanted)}
    vectors = dense.vectors(wanted)
    sims = (vectors[[at[i] for i in order]] @ vector).astype(np.float32)
    window = np.zeros(len(order), np.float32)
    for k, (i, pair) in enumerate(zip(order, around)):
        rows = vectors[[at[j] for j in (i, *pair) if j is not None]].sum(axis=0)
        norm = float(np.linalg.norm(rows)) or 1.0
        window[k] = float(rows @ vector) / norm
    return sims, window
