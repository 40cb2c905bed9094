"""A small forest of regression trees as data: the ranker and the refusal model fitted by
`python -m eval.fit` (gradient boosting), evaluated here with no machine-learning library at
answer time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np


def _depth(nodes, k: int = 0) -> int:
    """Splits on the longest path from node k down to a leaf."""
    if nodes[k][0] < 0:
        return 0
    return 1 + max(_depth(nodes, nodes[k][2]), _depth(nodes, nodes[k][3]))


@dataclass(frozen=True)
class Forest:
    """Boosted trees: each node is [feature, threshold, left, right, value]; a leaf has feature
    -1. The score is `base` plus one leaf value per tree; the probability its logistic."""

    base: float
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]

    def score(self, row) -> float:
        total = self.base
        for nodes in self.trees:
            k = 0
            while nodes[k][0] >= 0:
                feature, threshold, left, right, _ = nodes[k]
                value = row[feature]
                k = left if value <= threshold or value != value else right  # NaN goes left
            total += nodes[k][4]
        return total

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """`score` of every row of a matrix: every split of every tree is compared with every
        row at once, then all trees are walked together one level at a time."""
        feature, threshold, child, value, roots, deeper = self._arrays
        x = np.nan_to_num(np.asarray(matrix, dtype=np.float32), nan=-np.inf)  # NaN goes left
        if not len(x) or not len(roots):
            return np.full(len(x), self.base)
        goes_left = (x[:, feature] <= threshold).view(np.uint8).ravel()
        base = (np.arange(len(x), dtype=np.int64) * len(feature))[:, None]
        node = np.broadcast_to(roots, (len(x), len(roots))).copy()
        for k in deeper:  # the trees still above their leaves come first
            at = node[:, :k]
            node[:, :k] = child[2 * at + goes_left[base + at]]
        return self.base + value[node].sum(axis=1)

    @cached_property
    def _arrays(self):
        """The trees as flat arrays: each node's feature and threshold (a leaf compares
        feature 0 with +inf), its two children as [right, left] pairs with global indices (a
        leaf is its own child), its value; the roots, deepest tree first, and for each level
        how many trees still split there."""
        sizes = [len(t) for t in self.trees]
        starts = np.cumsum([0, *sizes])[:-1].astype(np.int64)
        offset = np.repeat(starts, sizes)
        table = np.array([n for t in self.trees for n in t], dtype=np.float64).reshape(-1, 5)
        leaf = table[:, 0] < 0
        own = np.arange(len(table))
        depths = np.array([_depth(tree) for tree in self.trees])
        order = np.argsort(-depths, kind="stable")
        depths = depths[order]
        child = np.empty(2 * len(table), dtype=np.int64)
        child[0::2] = np.where(leaf, own, table[:, 3].astype(np.int64) + offset)
        child[1::2] = np.where(leaf, own, table[:, 2].astype(np.int64) + offset)
        return (
            np.where(leaf, 0, table[:, 0]).astype(np.int64),
            np.where(leaf, np.inf, table[:, 1]),
            child,
            table[:, 4],
            starts[order],
            [int((depths > level).sum()) for level in range(int(depths.max(initial=0)))],
        )

    def probability(self, row) -> float:
        return 1.0 / (1.0 + math.exp(-self.score(row)))

    def to_dict(self) -> dict:
        return {"base": self.base, "trees": [[list(n) for n in t] for t in self.trees]}

    @classmethod
    def from_dict(cls, data: dict) -> Forest:
        trees = tuple(
            tuple((int(f), float(t), int(a), int(b), float(v)) for f, t, a, b, v in tree)
            for tree in data["trees"]
        )
        return cls(float(data["base"]), trees)
