"""What the ranker and the refusal model see of a candidate sentence: features that hold for
any text (lexical and dense match, coverage of the question's terms in the sentence and
around it, whether the sentence holds the kind of answer asked for)."""

from __future__ import annotations

import numpy as np

from bot.text import bigrams, numbers, years

REASON_CUES = ("因为", "由于", "所以", "因此", "为了", "导致", "原因", "以致", "致使", "因而", "故")
MANNER_CUES = ("通过", "采用", "利用", "以", "方式", "方法", "办法", "途径")
TYPES = ("person", "place", "time", "year", "number", "org", "name")
# A sentence that opens with one of these leans on the one before it for its subject.
ANAPHORS = (
    "他",
    "她",
    "它",
    "其",
    "该",
    "此",
    "这",
    "那",
    "上述",
    "同年",
    "次年",
    "之后",
    "后来",
    "随后",
)

NAMES = (
    "bias",
    "bm25_rel",
    "bm25_log",
    "bm25_rr",
    "dense",
    "dense_gap",
    "dense_rr",
    "cover",
    "cover_context",
    "cover_window",
    "cover_para",
    "para_rel",
    "bigram",
    "bigram_window",
    "lcs",
    "fits_type",
    "lacks_type",
    "reason_cue",
    "novel",
    "length",
    "years_in",
    "years_other",
    "numbers_in",
    "first_in_para",
    "heading",
    "unknown_share",
    "focus",
    "kind_asked",
    "best_in_para",
    "para_dense",
    "cover_rank",
    "slot_left",
    "slot_right",
    "slot_fill",
    "aside",
    "cover_prev",
    "cover_next",
    "anaphor_prev",
    "dense_window",
    "local_cover",
    "local_gap",
    "dense_para_gap",
    "bigram_para_gap",
    "focus_unknown",
    "place_missing",
    "unit_missing",
    "dense_stands_out",
)
HEADINGS = ("title", "subtitle", "heading")
SLOT_FILL = 20


def _standardised(values: np.ndarray) -> np.ndarray:
    """Values as z-scores among the question's candidates (zeros when they are all alike)."""
    std = float(values.std()) if len(values) else 0.0
    return (values - values.mean()) / std if std > 1e-6 else np.zeros_like(values)


def shares(scores: np.ndarray) -> np.ndarray:
    """The ranker's scores of a question's candidates as shares summing to one (softmax)."""
    scores = np.asarray(scores)
    if not len(scores):
        return np.zeros(0, dtype=scores.dtype)
    e = np.exp(scores - scores.max())
    return e / e.sum()


def _coverage(terms: dict[str, float], text: str, total: float) -> float:
    if total <= 0:
        return 0.0
    return sum(w for t, w in terms.items() if t in text) / total


def _weighted_bigrams(query_text: str, char_idf: dict[str, float]) -> dict[str, float]:
    top = max(char_idf.values(), default=1.0)
    return {b: (char_idf.get(b[0], top) + char_idf.get(b[1], top)) / 2 for b in bigrams(query_text)}


def _bigram_share(qb: dict[str, float], text: str, total: float) -> float:
    if total <= 0:
        return 0.0
    return sum(w for b, w in qb.items() if b in text) / total


def _lcs(a: str, b: str) -> int:
    """Length of the longest common substring of a and b (a is the shorter, the question)."""
    best = 0
    for i in range(len(a)):
        n = best + 1
        while i + n <= len(a) and a[i : i + n] in b:
            best = n
            n += 1
    return best


def matrix(snapshot, query, cands) -> np.ndarray:
    """One row of features (in NAMES order) per candidate."""
    n = len(cands)
    out = np.zeros((n, len(NAMES)), dtype=np.float32)
    if not n:
        return out
    terms = query.terms
    total = sum(terms.values())
    qb = _weighted_bigrams(query.text, snapshot.char_idf)
    qb_total = sum(qb.values())
    bare_q = "".join(ch for ch in query.text if ch.isalnum())
    para_scores = snapshot.paragraphs.scores(list(query.tokens))
    rows = [snapshot.para_of[i] for i in cands.index]
    para_max = max((para_scores[r] for r in rows), default=0.0) or 1.0
    bm25_max = float(cands.bm25.max()) or 1.0
    # Cosine similarities are on the embedding model's own scale (the model file says which
    # model its weights were fitted with); standardised within the question they are not.
    dense = _standardised(cands.dense)
    dense_window = _standardised(cands.window)
    unknown = sum(terms.get(t, 0.0) for t in query.unknown) / total if total else 0.0
    qwords = set(query.text)
    for k, i in enumerate(cands.index):
        chunk = snapshot.chunks[i]
        text = snapshot.norm[i]
        before, after = snapshot.neighbours(i)
        window = "".join(snapshot.norm[j] for j in (before, i, after) if j is not None)
        head = snapshot.head(i)
        para = snapshot.para_text[snapshot.para_of[i]]
        typed = snapshot.typed[i]
        new_types = {t for w, t in typed if w not in query.text}
        f = out[k]
        f[0] = 1.0
        f[1] = cands.bm25[k] / bm25_max
        f[2] = np.log1p(cands.bm25[k])
        f[3] = 1.0 / cands.bm25_rank[k] if cands.bm25_rank[k] else 0.0
        f[4] = cands.dense[k]
        f[5] = dense[k] - dense.max()
        f[6] = 1.0 / cands.dense_rank[k] if cands.dense_rank[k] else 0.0
        f[7] = _coverage(terms, text, total)
        f[8] = _coverage(terms, text + head, total)
        f[9] = _coverage(terms, window + head, total)
        f[10] = _coverage(terms, para + head, total)
        f[11] = para_scores[snapshot.para_of[i]] / para_max
        f[12] = _bigram_share(qb, text, qb_total)
        f[13] = _bigram_share(qb, window + head, qb_total)
        f[14] = _lcs(bare_q, text) / max(len(bare_q), 1)
        if query.wants in TYPES:
            f[15] = float(query.wants in new_types)
            f[16] = float(query.wants not in new_types)
        elif query.wants == "reason":
            f[17] = float(any(c in text for c in REASON_CUES))
        elif query.wants == "manner":
            f[17] = float(any(c in text for c in MANNER_CUES))
        f[18] = sum(ch not in qwords for ch in text if ch.isalnum()) / max(len(text), 1)
        f[19] = np.log1p(len(text))
        if query.years:
            found = set(years(text))
            f[20] = sum(y in found for y in query.years) / len(query.years)
            f[21] = float(bool(found - set(query.years)))
        if query.numbers:
            found = set(numbers(text))
            f[22] = sum(x in found for x in query.numbers) / len(query.numbers)
        f[23] = float(before is None)
        f[24] = float(chunk.kind in HEADINGS)
        f[25] = unknown
        if query.focus:
            f[26] = sum(t in text + head for t in query.focus) / len(query.focus)
        f[27] = float(chunk.kind in query.kinds)
        f[31:34] = _slot(query, text)
        f[34] = float(chunk.kind in ("caption", "byline"))
        prev_cover = _coverage(terms, snapshot.norm[before], total) if before is not None else 0.0
        f[35] = prev_cover
        f[36] = _coverage(terms, snapshot.norm[after], total) if after is not None else 0.0
        f[37] = prev_cover * float(text.startswith(ANAPHORS))
        f[38] = dense_window[k]
        if "background" in cands.extra:
            mean, std = cands.extra["background"]
            f[46] = (cands.dense[k] - mean) / std
        context = head + (snapshot.norm[before] if before is not None else "") + text
        if query.places:
            f[44] = sum(p not in context for p in query.places) / len(query.places)
        if query.unit:
            f[45] = float(query.unit not in text)
    if query.focus:
        out[:, NAMES.index("focus_unknown")] = sum(t in query.unknown for t in query.focus) / len(
            query.focus
        )
    _relative(out, snapshot, cands)
    _local(out, snapshot, query, cands)
    return out


def _local(out: np.ndarray, snapshot, query, cands) -> None:
    """How a candidate stands among the sentences of its own paragraph: coverage weighted by
    how few of them hold each term (the paragraph's topic says nothing about which sentence
    answers), and its distance from the paragraph's best dense and character matches."""
    col = {name: k for k, name in enumerate(NAMES)}
    weights: dict[int, dict[str, float]] = {}
    local = np.zeros(len(cands))
    for k, i in enumerate(cands.index):
        p = snapshot.para_of[i]
        if p not in weights:
            texts = [snapshot.norm[j] for j in snapshot.members[p]]
            n = len(texts)
            weights[p] = {
                t: w * np.log1p(n / max(1, sum(t in x for x in texts)))
                for t, w in query.terms.items()
            }
        w = weights[p]
        total = sum(w.values())
        local[k] = sum(v for t, v in w.items() if t in snapshot.norm[i]) / total if total else 0.0
    out[:, col["local_cover"]] = local
    paras = [snapshot.para_of[i] for i in cands.index]
    for name, source in (
        ("local_gap", local),
        ("dense_para_gap", out[:, col["dense"]]),
        ("bigram_para_gap", out[:, col["bigram"]]),
    ):
        best: dict[int, float] = {}
        for p, v in zip(paras, source):
            best[p] = max(best.get(p, -1e9), float(v))
        out[:, col[name]] = [float(v) - best[p] for p, v in zip(paras, source)]


def _slot(query, text: str) -> tuple[float, float, float]:
    """Whether the sentence holds the words around the question word, and something new
    between them where the question word stood."""
    left, right = query.slot
    has_left = float(len(left) >= 1 and left in text)
    has_right = float(len(right) >= 1 and right in text)
    return has_left, has_right, float(_filled(query.text, text, left[-1:], right[:1]))


def _filled(question: str, text: str, left: str, right: str) -> bool:
    """True when text has `left`, then within SLOT_FILL characters `right` (or the clause end
    when there is no right), with words between that the question does not have."""
    if not left and not right:
        return False
    start = 0
    while True:
        at = text.find(left, start) + len(left) if left else 0
        if left and at < len(left):
            return False
        end = text.find(right, at) if right else len(text)
        if end < 0:
            return False
        middle = text[at : min(end, at + SLOT_FILL)]
        if middle and any(c.isalnum() and c not in question for c in middle):
            return True
        if not left:
            return False
        start = at


def _relative(out: np.ndarray, snapshot, cands) -> None:
    """Features that compare a candidate with the others: the best of its paragraph by
    coverage, its paragraph's best dense match, and its rank by coverage."""
    cover = out[:, NAMES.index("cover_context")]
    paras = [snapshot.para_of[i] for i in cands.index]
    best_cover: dict[int, float] = {}
    best_dense: dict[int, float] = {}
    for p, c, d in zip(paras, cover, out[:, NAMES.index("dense")]):
        best_cover[p] = max(best_cover.get(p, -1.0), c)
        best_dense[p] = max(best_dense.get(p, -1.0), d)
    ranks = np.empty(len(cover))
    ranks[np.argsort(-cover, kind="stable")] = np.arange(1, len(cover) + 1)
    for k, p in enumerate(paras):
        out[k, NAMES.index("best_in_para")] = float(cover[k] >= best_cover[p])
        out[k, NAMES.index("para_dense")] = best_dense[p]
        out[k, NAMES.index("cover_rank")] = 1.0 / ranks[k]
