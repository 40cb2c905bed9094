"""BM25 as a sparse matrix: term weights are computed once at build time, so scoring a query
costs the postings of its own terms, not a pass over every document."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

# Okapi BM25's usual constants (Robertson and Zaragoza 2009), as rank_bm25 uses them.
K1 = 1.5
B = 0.75


class Postings:
    """BM25 weights of every (document, term) pair, stored column-wise (CSC) for fast lookup."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray, weights: sparse.csc_matrix):
        self.vocab = vocab
        self.idf_values = idf
        self.weights = weights

    @classmethod
    def build(cls, documents: list[list[str]]) -> Postings:
        """Postings of tokenised documents (one token list per document)."""
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        for row, tokens in enumerate(documents):
            for term, tf in Counter(tokens).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n = len(documents)
        tf = np.array(tfs, dtype=np.float64)
        cols_a = np.array(cols, dtype=np.int64)
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float64)
        idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0)  # never negative (Lucene's variant)
        avg = lengths.mean() if n else 1.0
        norm = K1 * (1 - B + B * lengths[np.array(rows, dtype=np.int64)] / max(avg, 1e-9))
        values = idf[cols_a] * tf * (K1 + 1) / (tf + norm)
        weights = sparse.csc_matrix(
            (values.astype(np.float32), (rows, cols)), shape=(n, len(vocab)), dtype=np.float32
        )
        return cls(vocab, idf.astype(np.float32), weights)

    def __len__(self) -> int:
        return self.weights.shape[0]

    def idf(self, term: str) -> float:
        """The term's inverse document frequency; 0 for a term no document has."""
        col = self.vocab.get(term)
        return float(self.idf_values[col]) if col is not None else 0.0

    def df(self, term: str) -> int:
        """How many documents hold the term."""
        col = self.vocab.get(term)
        if col is None:
            return 0
        return int(self.weights.indptr[col + 1] - self.weights.indptr[col])

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (repeats count)."""
        out = np.zeros(len(self), dtype=np.float32)
        w = self.weights
        for term, count in Counter(tokens).items():
            col = self.vocab.get(term)
            if col is None:
                continue
            lo, hi = w.indptr[col], w.indptr[col + 1]
            out[w.indices[lo:hi]] += count * w.data[lo:hi]
        return out

    def top(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """The k best (document, score) pairs with a positive score, best first."""
        scores = self.scores(tokens)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        order = hits[np.argsort(-scores[hits], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]

    def save(self, path: Path) -> None:
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez(
            path,
            terms=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
            idf=self.idf_values,
            data=self.weights.data,
            indices=self.weights.indices,
            indptr=self.weights.indptr,
            shape=np.array(self.weights.shape),
        )

    @classmethod
    def load(cls, path: Path) -> Postings:
        with np.load(path) as f:
            raw = f["terms"].tobytes().decode("utf-8")
            terms = raw.split("\n") if raw else []
            weights = sparse.csc_matrix(
                (f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"])
            )
            return cls({t: i for i, t in enumerate(terms)}, f["idf"], weights)


def idf_of(n: int, df: int) -> float:
    """The same idf formula for a count made elsewhere (e.g. characters)."""
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)
