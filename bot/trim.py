"""Keep a long sentence's answer short: of the runs of whole clauses that fit the answer's
length, the one a small learned model says holds the asked fact (fitted with the ranker); and
a sentence of middling length cut to a shorter run only when a second model is sure that run
keeps the fact."""

from __future__ import annotations

import numpy as np

from bot.extend import chance
from bot.features import REASON_CUES, TYPES
from bot.text import normalize_chars, split_clauses, years

# The longest answer, in characters, before it is cut to whole clauses (a product choice:
# an answer a phone shows in three lines).
MAX_ANSWER_CHARS = 100

# A sentence longer than this, though within MAX_ANSWER_CHARS, is cut to its best run of
# clauses that fits in it when the shortening model is sure the run keeps the asked fact (a
# product choice: two lines on a phone).
SHORT_ANSWER_CHARS = 60

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


# What the shortening model reads of a sentence's best short run: the kind of answer asked,
# the run's trimming features beside the whole sentence's, and how far ahead of the other
# runs and of the whole sentence the trimming model puts it.
WANTS = ("year", "person", "place", "time", "number", "thing", "", "reason", "manner")
SHORTEN_FEATURES = (
    "bias",
    *(f"wants_{w or 'other'}" for w in WANTS),
    "cover",
    "cover_lost",
    "fits_type",
    "sentence_fits_type",
    "years_in",
    "at_start",
    "at_end",
    "length",
    "sentence_length",
    "behind_sentence",
    "ahead_of_next",
    "runs",
)
AHEAD_CAP = 5.0
ENUMERATION = "、"


def windows(text: str, longest: int = MAX_ANSWER_CHARS) -> list[tuple[int, int]]:
    """Every run of whole clauses of text no longer than `longest` (at least one clause each,
    even a long one)."""
    clauses = split_clauses(text)
    out = []
    for a in range(len(clauses)):
        for b in range(a, len(clauses)):
            i, j = clauses[a][0], clauses[b][1]
            if j - i > longest and b > a:
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


def short_runs(text: str, query) -> list[tuple[int, int]]:
    """Every run of whole clauses of text within SHORT_ANSWER_CHARS that keeps each year and
    number the question asks and the sentence holds (「2019年和2020年…分别是多少」 keeps both),
    and cuts through no enumeration (「小学、中学分别达41所、17所」 stays whole)."""
    asked = [y for y in query.years if y in years(text)]
    named = [n for n in query.numbers if n in text]
    return [
        (i, j)
        for i, j in windows(text, SHORT_ANSWER_CHARS)
        if j - i <= SHORT_ANSWER_CHARS
        and all(y in years(text[i:j]) for y in asked)
        and all(n in text[i:j] for n in named)
        and text[j : j + 1] != ENUMERATION
        and text[i - 1 : i] != ENUMERATION
    ]


def shorten_row(f: np.ndarray, scores: np.ndarray, wants: str, length: int):
    """Of a sentence's short runs' trimming features `f` and `scores` (the whole sentence's
    last): the best run's index, and the row of SHORTEN_FEATURES the shortening model reads."""
    k = int(np.argmax(scores[:-1]))
    ranked = np.sort(scores[:-1])[::-1]
    run, whole = f[k], f[-1]
    col = {name: n for n, name in enumerate(TRIM_FEATURES)}
    row = np.array(
        [
            1.0,
            *(float(wants == w) for w in WANTS),
            run[col["cover"]],
            run[col["cover"]] - whole[col["cover"]],
            run[col["fits_type"]],
            whole[col["fits_type"]],
            run[col["years_in"]],
            run[col["at_start"]],
            run[col["at_end"]],
            run[col["length"]],
            length / MAX_ANSWER_CHARS,
            scores[k] - scores[-1],
            min(ranked[0] - ranked[1], AHEAD_CAP) if len(ranked) > 1 else AHEAD_CAP,
            (len(scores) - 1) / 10,
        ],
        dtype=np.float32,
    )
    return k, row


def best_window(text: str, query, typed, weights: np.ndarray, shorten=None) -> tuple[int, int]:
    """(i, j) of the part of the sentence to answer with: all of it when short enough, or
    when `shorten` (the shortening model's weights and the chance it needs) is not sure that a
    run within SHORT_ANSWER_CHARS keeps the fact."""
    if len(text) <= SHORT_ANSWER_CHARS or (len(text) <= MAX_ANSWER_CHARS and shorten is None):
        return 0, len(text)
    if len(text) <= MAX_ANSWER_CHARS:
        spans = short_runs(text, query)
        if not spans:
            return 0, len(text)
        f = window_features(text, [*spans, (0, len(text))], query, typed)
        k, row = shorten_row(f, f @ weights, query.wants, len(text))
        sure_of, needed = shorten
        return spans[k] if chance(sure_of, row) >= needed else (0, len(text))
    spans = windows(text)
    if not spans:
        return 0, len(text)
    scores = window_features(text, spans, query, typed) @ weights
    return spans[int(np.argmax(scores))]
