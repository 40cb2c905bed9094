"""Whether an answer takes in a neighbouring sentence: small learned models say how likely the
next sentence of the best one's paragraph holds (or completes) the asked fact, and how likely
the sentence before does (「因此它被称为……」 answers 为什么 with the sentence before it), from
how the ranker saw both; the answer takes the neighbour when that chance is high enough."""

from __future__ import annotations

import numpy as np

from bot import features

WANTS = ("thing", "person", "place", "time", "year", "number", "reason", "manner", "")
SIDES = ("next", "previous")
# Words a sentence opens with when it leans on the one before it: pronouns and the
# connectives of consequence, contrast and addition.
CONNECTIVES = (
    "因此",
    "所以",
    "因而",
    "于是",
    "但",
    "然而",
    "而",
    "并",
    "同时",
    "此外",
    "另外",
    "其中",
)
OPENS = features.ANAPHORS + CONNECTIVES
EXTEND_FEATURES = (
    "bias",
    "top_share",
    "other_share",
    "other_is_candidate",
    "other_gap",
    "top_length",
    "other_length",
    "has_other",
    "top_fits_type",
    "top_lacks_type",
    "other_fits_type",
    "top_cover_other",
    "other_cover",
    "top_cover",
    "other_dense_gap",
    "top_leans_back",
    *(f"wants_{w or 'other'}" for w in WANTS),
)
# The gap given when the neighbour was not among the candidates: below any the ranker's
# scores put between two candidates of one question in the fitting data.
ABSENT_GAP = -5.0
_COL = {name: k for k, name in enumerate(features.NAMES)}
_TOP_COVER_OTHER = {"next": _COL["cover_next"], "previous": _COL["cover_prev"]}


def extension_row(
    x: np.ndarray,
    scores: np.ndarray,
    top: int,
    other: int,
    lengths: tuple[int, int],
    wants: str,
    side: str,
    top_text: str,
) -> np.ndarray:
    """One row of EXTEND_FEATURES: `x` and `scores` are the candidates' features and ranker
    scores, `top` the best one's position, `other` its neighbour's on `side` (-1 when that is
    not a candidate), `lengths` the two sentences' lengths (0 when there is no neighbour),
    `top_text` the best sentence (normalised)."""
    share = features.shares(scores)
    present = other >= 0
    top_row = x[top]
    other_row = x[other] if present else np.zeros_like(top_row)
    row = [
        1.0,
        share[top],
        share[other] if present else 0.0,
        float(present),
        scores[other] - scores[top] if present else ABSENT_GAP,
        np.log1p(lengths[0]),
        np.log1p(lengths[1]),
        float(lengths[1] > 0),
        top_row[_COL["fits_type"]],
        top_row[_COL["lacks_type"]],
        other_row[_COL["fits_type"]],
        top_row[_TOP_COVER_OTHER[side]],
        other_row[_COL["cover"]],
        top_row[_COL["cover"]],
        other_row[_COL["dense"]] - top_row[_COL["dense"]] if present else 0.0,
        float(top_text.startswith(OPENS)),
        *(float(wants == w) for w in WANTS),
    ]
    return np.array(row, dtype=np.float32)


def chance(weights: np.ndarray, row: np.ndarray) -> float:
    """The model's probability that the neighbour holds or completes the answer."""
    return float(1.0 / (1.0 + np.exp(-float(row @ weights))))
