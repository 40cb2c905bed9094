"""A small forest of regression trees as data: the refusal model fitted by `python -m eval.fit`
(gradient boosting), evaluated here with no machine-learning library at answer time."""

from __future__ import annotations

import math
from dataclasses import dataclass


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
