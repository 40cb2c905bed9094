"""Whether an answer goes on into the next sentence: a small learned model says how likely the
next sentence of the best one's paragraph holds (or completes) the asked fact, from how the
ranker saw both, and the answer takes it when that chance is high enough."""

from __future__ import annotations

import numpy as np

from bot import features

WANTS = ("thing", "person", "place", "time", "year", "number", "reason", "manner", "")
EXTEND_FEATURES = (
    "bias",
    "top_share",
    "next_share",
    "next_is_candidate",
    "next_gap",
    "top_length",
    "next_length",
    "has_next",
    "top_fits_type",
    "top_lacks_type",
    "next_fits_type",
    "top_cover_next",
    "next_cover",
    "top_cover",
    "next_dense_gap",
    *(f"wants_{w or 'other'}" for w in WANTS),
)
# The gap given when the next sentence was not among the candidates: below any the ranker's
# scores put between two candidates of one question in the fitting data.
ABSENT_GAP = -5.0
_COL = {name: k for k, name in enumerate(features.NAMES)}


def extension_row(
    x: np.ndarray, scores: np.ndarray, top: int, after: int, lengths: tuple[int, int], wants: str
) -> np.ndarray:
    """One row of EXTEND_FEATURES: `x` and `scores` are the candidates' features and ranker
    scores, `top` the best one's position, `after` the next sentence's position (-1 when it
    is not a candidate), `lengths` the two sentences' lengths (0 when there is no next)."""
    share = features.shares(scores)
    present = after >= 0
    top_row = x[top]
    next_row = x[after] if present else np.zeros_like(top_row)
    row = [
        1.0,
        share[top],
        share[after] if present else 0.0,
        float(present),
        scores[after] - scores[top] if present else ABSENT_GAP,
        np.log1p(lengths[0]),
        np.log1p(lengths[1]),
        float(lengths[1] > 0),
        top_row[_COL["fits_type"]],
        top_row[_COL["lacks_type"]],
        next_row[_COL["fits_type"]],
        top_row[_COL["cover_next"]],
        next_row[_COL["cover"]],
        top_row[_COL["cover"]],
        next_row[_COL["dense"]] - top_row[_COL["dense"]] if present else 0.0,
        *(float(wants == w) for w in WANTS),
    ]
    return np.array(row, dtype=np.float32)


def chance(weights: np.ndarray, row: np.ndarray) -> float:
    """The model's probability that the next sentence holds or completes the answer."""
    return float(1.0 / (1.0 + np.exp(-float(row @ weights))))
