"""Keep a long sentence's answer short: of the runs of whole clauses that fit the answer's
length, the one a small learned model says holds the asked fact (fitted with the ranker)."""

from __future__ import annotations

import numpy as np

from bot.features import REASON_CUES, TYPES
from bot.text import normalize_chars, split_clauses, years

# The longest answer, in characters, before it is cut to whole clauses (a product choice:
# an answer a phone shows in three lines).
MAX_ANSWER_CHARS = 100

TRIM_FEATURES = (
    "bias",
    "cover",
    "fits_type",
    "reason_cue",
    "years_in",
    "at_start",
    "at_end",
    "length",
    "before_match",
)


def windows(text: str) -> list[tuple[int, int]]:
    """Every run of whole clauses of text no longer than MAX_ANSWER_CHARS (at least one
    clause each, even a long one)."""
    clauses = split_clauses(text)
    out = []
    for a in range(len(clauses)):
        for b in range(a, len(clauses)):
            i, j = clauses[a][0], clauses[b][1]
            if j - i > MAX_ANSWER_CHARS and b > a:
                break
            out.append((i, j))
    return out


def window_features(text: str, spans: list[tuple[int, int]], query, typed) -> np.ndarray:
    """One row of TRIM_FEATURES per window of text."""
    total = sum(query.terms.values()) or 1.0
    new_words = [w for w, t in typed if t == query.wants and w not in query.text]
    out = np.zeros((len(spans), len(TRIM_FEATURES)), dtype=np.float32)
    norm = normalize_chars(text)
    if len(norm) != len(text):  # NFKC changed lengths: match on the text as written
        norm = text.lower()
    first_match = min((norm.find(t) for t in query.terms if t in norm), default=0)
    for k, (i, j) in enumerate(spans):
        piece = norm[i:j]
        f = out[k]
        f[0] = 1.0
        f[1] = sum(w for t, w in query.terms.items() if t in piece) / total
        if query.wants in TYPES:
            f[2] = float(any(w in piece for w in new_words))
        elif query.wants == "reason":
            f[3] = float(any(c in piece for c in REASON_CUES))
        if query.years:
            f[4] = float(all(y in years(piece) for y in query.years))
        f[5] = float(i == 0)
        f[6] = float(j >= len(text.rstrip("。！？!?；;")))
        f[7] = (j - i) / MAX_ANSWER_CHARS
        f[8] = float(i <= first_match)
    return out


def best_window(text: str, query, typed, weights: np.ndarray) -> tuple[int, int]:
    """(i, j) of the part of the sentence to answer with: all of it when short enough."""
    if len(text) <= MAX_ANSWER_CHARS:
        return 0, len(text)
    spans = windows(text)
    if not spans:
        return 0, len(text)
    scores = window_features(text, spans, query, typed) @ weights
    return spans[int(np.argmax(scores))]
