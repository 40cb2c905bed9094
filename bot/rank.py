"""The learned models: boosted trees ranking candidate sentences, a boosted-tree refusal score,
the trimmer's and the neighbouring-sentence choices' weights, all read from
bot/model/ranker.json, which `python -m eval.fit` writes with the data it was fitted on and the
scores it reached on data it was not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from bot import features
from bot.errors import ConfigError
from bot.extend import EXTEND_FEATURES
from bot.trees import Forest
from bot.trim import SHORTEN_FEATURES, TRIM_FEATURES

MODEL_FILE = "ranker.json"

# Features the ranker also sees relative to the question's other candidates: the gap to the
# best of them and the rank among them (cross-validated top-1 0.892 with them, 0.885 without).
RELATIVE = (
    "bm25_rel",
    "dense",
    "cover",
    "cover_context",
    "cover_window",
    "bigram",
    "bigram_window",
    "lcs",
    "dense_window",
    "local_cover",
)
_RELATIVE_COLS = [features.NAMES.index(name) for name in RELATIVE]


def ranker_inputs(x: np.ndarray) -> np.ndarray:
    """A question's candidate features with, for each RELATIVE one, its gap to the best
    candidate's and the reciprocal of its rank (1 for the best)."""
    if not len(x):
        return np.zeros((0, x.shape[1] + 2 * len(RELATIVE)), dtype=np.float32)
    values = x[:, _RELATIVE_COLS]
    ranks = np.argsort(np.argsort(-values, axis=0, kind="stable"), axis=0, kind="stable") + 1
    return np.hstack([x, values - values.max(axis=0), 1.0 / ranks]).astype(np.float32)


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
    """The ranker's trees (over `ranker_inputs` of features.NAMES), the refusal forest (over
    QUESTION_FEATURES) with its threshold, the trimmer's weights (over TRIM_FEATURES), and the
    next- and previous-sentence choices' weights (over EXTEND_FEATURES) with the chance each
    needs."""

    ranker: Forest
    refusal: Forest
    threshold: float
    trim: np.ndarray
    extend: np.ndarray
    extend_at: float
    back: np.ndarray
    back_at: float
    info: dict = field(default_factory=dict)
    # the shortening model's weights (over trim.SHORTEN_FEATURES; none: never shorten) and the
    # chance it needs
    shorten: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    shorten_at: float = 1.0

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The ranker's score of each candidate row."""
        if not len(x):
            return np.zeros(0, dtype=np.float32)
        return self.ranker.scores(ranker_inputs(x)).astype(np.float32)

    def confidence(self, q: np.ndarray) -> float:
        """The refusal model's probability that the question is about these documents."""
        return self.refusal.probability(q)

    def extension(self, side: str) -> tuple[np.ndarray, float]:
        """The weights and the chance needed to take in the next or the previous sentence."""
        return (self.extend, self.extend_at) if side == "next" else (self.back, self.back_at)

    def to_dict(self) -> dict:
        fields = {
            "features": list(features.NAMES),
            "relative": list(RELATIVE),
            "ranker": self.ranker.to_dict(),
            "question_features": list(QUESTION_FEATURES),
            "refusal": self.refusal.to_dict(),
            "threshold": round(float(self.threshold), 6),
            "trim_features": list(TRIM_FEATURES),
            "trim": [round(float(w), 6) for w in self.trim],
            "extend_features": list(EXTEND_FEATURES),
            "extend": [round(float(w), 6) for w in self.extend],
            "extend_at": round(float(self.extend_at), 6),
            "back": [round(float(w), 6) for w in self.back],
            "back_at": round(float(self.back_at), 6),
            "shorten_features": list(SHORTEN_FEATURES),
            "shorten": [round(float(w), 6) for w in self.shorten],
            "shorten_at": round(float(self.shorten_at), 6),
        }
        # what the fitting recorded beside the weights never overrides them
        return fields | {k: v for k, v in self.info.items() if k not in fields}

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        if (
            data.get("features") != list(features.NAMES)
            or data.get("question_features") != list(QUESTION_FEATURES)
            or data.get("trim_features") != list(TRIM_FEATURES)
            or data.get("relative") != list(RELATIVE)
            or data.get("extend_features") != list(EXTEND_FEATURES)
            or data.get("shorten_features", list(SHORTEN_FEATURES)) != list(SHORTEN_FEATURES)
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
                "relative",
                "extend_features",
                "extend",
                "extend_at",
                "back",
                "back_at",
                "shorten_features",
                "shorten",
                "shorten_at",
            )
        }
        return cls(
            Forest.from_dict(data["ranker"]),
            Forest.from_dict(data["refusal"]),
            float(data["threshold"]),
            np.array(data["trim"], dtype=np.float32),
            np.array(data["extend"], dtype=np.float32),
            float(data["extend_at"]),
            np.array(data["back"], dtype=np.float32),
            float(data["back_at"]),
            info,
            np.array(data.get("shorten", []), dtype=np.float32),
            float(data.get("shorten_at", 1.0)),
        )

    @property
    def shortening(self) -> tuple[np.ndarray, float] | None:
        """The shortening model's weights and the chance it needs; None when it has none."""
        return (self.shorten, self.shorten_at) if len(self.shorten) else None


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
    out[3] = features.shares(scores)[order[0]]
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
