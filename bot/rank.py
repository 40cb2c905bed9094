"""The learned models: a linear ranker over candidate sentences and a boosted-tree refusal score,
both read from bot/model/ranker.json, which `python -m eval.fit` writes with the data it was
fitted on and the scores it reached on data it was not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from bot import features
from bot.errors import ConfigError
from bot.trees import Forest
from bot.trim import TRIM_FEATURES

MODEL_FILE = "ranker.json"

# What the refusal model sees of a question's ranked candidates (see `question_features`).
QUESTION_FEATURES = (
    "bias",
    "top_score",
    "margin",
    "top_share",
    "cover",
    "cover_context",
    "cover_window",
    "cover_para",
    "best_cover_para",
    "dense",
    "bigram_window",
    "lcs",
    "fits_type",
    "lacks_type",
    "unknown_share",
    "terms",
    "focus_unknown",
    "place_missing",
    "unit_missing",
    "dense_stands_out",
    "best_stands_out",
    "best_dense",
)


@dataclass(frozen=True)
class Model:
    """Ranker weights (over features.NAMES), the refusal forest (over QUESTION_FEATURES) with
    its threshold, and the trimmer's weights (over TRIM_FEATURES)."""

    ranker: np.ndarray
    refusal: Forest
    threshold: float
    trim: np.ndarray
    info: dict = field(default_factory=dict)

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The ranker's score of each candidate row."""
        return x @ self.ranker if len(x) else np.zeros(0, dtype=np.float32)

    def confidence(self, q: np.ndarray) -> float:
        """The refusal model's probability that the question is about these documents."""
        return self.refusal.probability(q)

    def to_dict(self) -> dict:
        return {
            "features": list(features.NAMES),
            "ranker": [round(float(w), 6) for w in self.ranker],
            "question_features": list(QUESTION_FEATURES),
            "refusal": self.refusal.to_dict(),
            "threshold": round(float(self.threshold), 6),
            "trim_features": list(TRIM_FEATURES),
            "trim": [round(float(w), 6) for w in self.trim],
            **self.info,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        if (
            data.get("features") != list(features.NAMES)
            or data.get("question_features") != list(QUESTION_FEATURES)
            or data.get("trim_features") != list(TRIM_FEATURES)
        ):
            raise ConfigError(
                "the ranker model was fitted on other features than this code computes; "
                "run `python -m eval.fit` to fit it again"
            )
        info = {
            k: v
            for k, v in data.items()
            if k
            not in (
                "features",
                "ranker",
                "question_features",
                "refusal",
                "threshold",
                "trim_features",
                "trim",
            )
        }
        return cls(
            np.array(data["ranker"], dtype=np.float32),
            Forest.from_dict(data["refusal"]),
            float(data["threshold"]),
            np.array(data["trim"], dtype=np.float32),
            info,
        )


@cache
def default_model() -> Model:
    """The model shipped in bot/model/."""
    raw = resources.files("bot").joinpath("model", MODEL_FILE).read_text(encoding="utf-8")
    return Model.from_dict(json.loads(raw))


def question_features(x: np.ndarray, scores: np.ndarray, terms: int) -> np.ndarray:
    """One row describing how well the best candidates answer a question of `terms` terms."""
    out = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    out[0] = 1.0
    out[15] = np.log1p(terms)
    if not len(scores):
        out[14] = out[16] = 1.0
        return out
    col = {name: k for k, name in enumerate(features.NAMES)}
    order = np.argsort(-scores)
    top = x[order[0]]
    out[1] = scores[order[0]]
    out[2] = scores[order[0]] - scores[order[1]] if len(order) > 1 else 1.0
    e = np.exp(scores - scores.max())
    out[3] = e[order[0]] / e.sum()
    for k, name in enumerate(QUESTION_FEATURES[4:8], 4):
        out[k] = top[col[name]]
    out[8] = x[:, col["cover_para"]].max()
    for k, name in enumerate(QUESTION_FEATURES[9:15], 9):
        out[k] = top[col[name]]
    out[16] = top[col["focus_unknown"]]
    out[17] = top[col["place_missing"]]
    out[18] = top[col["unit_missing"]]
    out[19] = top[col["dense_stands_out"]]
    out[20] = x[:, col["dense_stands_out"]].max()
    out[21] = x[:, col["dense"]].max()
    return out
