"""`python -m eval.fit`: fit the ranker, the refusal model, the answer trimmer and the
neighbouring-sentence choices on the development data and write bot/model/ranker.json with the
data they came from and the scores they reach on data they were not fitted on.

Fitting data: the fit half of CMRC 2018 trial (corpora of 40 passages) and of DRCD dev
(corpora of 12 articles), plus eval/qa.jsonl on the article in docs/. The validate halves
measure the fitted models on passages they never saw; those are the figures recorded. The
held-out sets of both sources are never read here, and neither is eval/holdout.jsonl.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bot import features
from bot.extend import SIDES, chance, extension_row
from bot.pipeline import evidence
from bot.rank import MODEL_FILE, Model, question_features, ranker_inputs
from bot.settings import PROJECT_ROOT
from bot.spelling import speller_for
from bot.text import normalize_chars, question_words, stopwords, years
from bot.trim import (
    MAX_ANSWER_CHARS,
    SHORT_ANSWER_CHARS,
    short_runs,
    shorten_row,
    window_features,
    windows,
)
from bot.understand import Wording, understand
from bot.verdict import Reason, decide
from eval import learn
from eval.reading import contains_gold
from eval.squad import Question, load_units
from eval.vectors import VectorCache
from eval.worlds import World, indexed, question_vectors, worlds
from index.onnx_model import int8_cpu

# name: (file, one document per article?, documents per corpus, corpora at most)
DATASETS = {
    "cmrc": (PROJECT_ROOT / "eval" / "datasets" / "cmrc2018_trial.json", False, 40, None),
    "drcd": (PROJECT_ROOT / "eval" / "datasets" / "drcd_dev.json", True, 12, None),
    # one article alone, as a deployer with a single report has it
    "single": (PROJECT_ROOT / "eval" / "datasets" / "drcd_dev.json", True, 1, 60),
}
QA = PROJECT_ROOT / "eval" / "qa.jsonl"
OUT = PROJECT_ROOT / "bot" / "model" / MODEL_FILE
L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
FOLDS = 4
# The neighbouring-sentence models' L2 strength, and the least share of the answers they lengthen
# that must gain the gold answer (a product choice: at most three needless sentences for one that
# completes an answer).
EXTEND_L2 = 1e-3
EXTEND_PRECISION = 0.25
# The refusal threshold refuses at most this share of the fitting questions the documents
# answer (cross-fitted scores); the validate halves then say what it does on new data (validated
# false refusals 0.022 / 0.033 on CMRC / DRCD at 0.025, with others refused 0.969 / 0.967; when
# 0.025 was chosen, 0.02 let others refused fall to 0.943 on CMRC).
TARGET_FALSE_REFUSALS = 0.025
# What the refusal model learns from besides the questions the hard checks let through: those
# only the count check (Reason.NO_COUNT) refuses. It refuses on top of the model; taking its
# near misses out of the model's data moved the fitted threshold from 0.19 to 0.17, and the
# refitted model then answered off-topic questions (房价) that it had refused.
LEARNED_OVER = (Reason.SUPPORTED, Reason.NO_COUNT)
# The shortening model's L2 strength, and the least share of the answers it shortens that must
# keep the gold answer (a product choice: a short answer must almost never lose the fact).
SHORTEN_L2 = 0.1
SHORTEN_PRECISION = 0.97
MAX_CHARS = 1000
# The share of the fitting weight given to eval/qa.jsonl (a news report, as deployers' documents
# are) beside the encyclopedia passages, which outnumber it 20 to 1.
QA_SHARE = 0.25


@dataclass
class Group:
    """One question's candidates: features, labels, and what it was."""

    world: str
    question: str
    inside: bool
    x: np.ndarray
    y: np.ndarray
    texts: list[str] = field(default_factory=list)
    trims: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    # per answering candidate of middling length (see trim.SHORT_ANSWER_CHARS): its position,
    # its short runs' trimming features (the whole sentence's last), whether each keeps the
    # gold, and its length
    shorts: list[tuple[int, np.ndarray, np.ndarray, int]] = field(default_factory=list)
    near_miss: bool = False
    unit: str = ""  # the passage or article the question was written from
    terms: int = 0
    index: list[int] = field(default_factory=list)
    hard: np.ndarray | None = None  # per candidate: refused by the hard checks if it led
    wants: str = ""
    # per candidate, the next sentence of its paragraph: its position among the candidates
    # (-1 when it is not one), its length, and whether the gold answer is in it, or in the two
    # sentences together (0 when there is none); and the same of the sentence before it
    after: np.ndarray | None = None
    before: np.ndarray | None = None
    # per candidate: whether it holds the gold answer where the dataset marks it (None when the
    # dataset marks no place); `y` counts the answer anywhere, as the evaluation does
    located: np.ndarray | None = None

    @property
    def target(self) -> np.ndarray:
        """What the ranker learns to put first: the candidate where the dataset marks the
        answer (a short answer such as a year is often in other sentences too), else `y`."""
        return self.located if self.located is not None and self.located.any() else self.y

    def neighbours(self, side: str) -> np.ndarray | None:
        return self.after if side == "next" else self.before


def groups_of(world: World, cache, asked=None, label=None) -> list[Group]:
    """Feature rows for questions of a world: `asked` is [(question, history, inside)] (by
    default the world's own questions and those from outside); `label(question, chunk)` says
    whether a chunk answers it (by default: the gold answer is in it, in the right file)."""
    from bot.retrieve import candidates

    wording = Wording(world.snapshot, world.profile, speller_for(world.snapshot))
    if asked is None:
        asked = [(q, [], True) for q in world.inside] + [(q, [], False) for q in world.outside]
    label = label or (
        lambda q, chunk: (
            chunk.source == world.files.get(q.unit) and contains_gold(chunk.text, q.answers)
        )
    )
    queries = [understand(q.text, h, wording, MAX_CHARS) for q, h, _ in asked]
    vectors = question_vectors(cache, [q.search_text for q in queries if q.kind == "question"])
    background = world.dense.vectors(world.snapshot.background)
    out = []
    for (q, _, inside), query in zip(asked, queries):
        if query.kind != "question":
            continue
        cands = candidates(
            world.snapshot, query, vectors[query.search_text], world.dense, background
        )
        x = features.matrix(world.snapshot, query, cands)
        chunks = [world.snapshot.chunks[i] for i in cands.index]
        y = np.array([inside and label(q, c) for c in chunks], dtype=np.float32)
        group = Group(world.name, q.text, inside, x, y, [c.text for c in chunks], unit=q.unit)
        if inside and getattr(q, "at", None):
            group.located = y * np.array(
                [any(c.start <= a < c.end for a in q.at) for c in chunks], dtype=np.float32
            )
        group.terms = len(query.terms)
        group.wants = query.wants
        group.index = list(cands.index)
        group.hard = np.array(
            [
                decide(query, evidence(world.snapshot, i), 1.0, 0.0).reason not in LEARNED_OVER
                for i in cands.index
            ],
            dtype=bool,
        )
        for k, (i, c) in enumerate(zip(cands.index, chunks)):
            if inside and label(q, c) and len(c.text) > 0:
                group.trims += _trim_rows(world, query, i, q)
                group.shorts += [(k, *row) for row in _short_rows(world, query, i, q)]
        asked_q = q if inside else None
        group.after = _neighbour_rows(world, cands.index, asked_q, label, "next")
        group.before = _neighbour_rows(world, cands.index, asked_q, label, "previous")
        out.append(group)
    return out


def _neighbour_rows(world: World, index: list[int], q, label, side: str) -> np.ndarray:
    """Per candidate, of its next or previous sentence: [position among the candidates or -1,
    its length, gold answer in it, gold answer in both sentences together]."""
    pos = {i: k for k, i in enumerate(index)}
    out = np.zeros((len(index), 4), dtype=np.float32)
    out[:, 0] = -1
    answers = getattr(q, "answers", None) or []
    for k, i in enumerate(index):
        before, after = world.snapshot.neighbours(i)
        other = after if side == "next" else before
        if other is None:
            continue
        chunk, near = world.snapshot.chunks[i], world.snapshot.chunks[other]
        out[k, 0] = pos.get(other, -1)
        out[k, 1] = len(near.text)
        if q is not None:
            out[k, 2] = float(label(q, near))
            both = chunk.text + near.text if side == "next" else near.text + chunk.text
            out[k, 3] = float(bool(answers) and contains_gold(both, answers))
    return out


def _trim_rows(world: World, query, i: int, q) -> list[tuple[np.ndarray, np.ndarray]]:
    """The clause windows of a long answering sentence, labelled by whether they keep the
    gold answer."""
    text = world.snapshot.chunks[i].text
    spans = windows(text)
    if len(spans) < 2 or len(text) <= MAX_ANSWER_CHARS:
        return []
    answers = getattr(q, "answers", None) or []
    y = np.array([contains_gold(text[a:b], answers) for a, b in spans], dtype=np.float32)
    if not y.any() or y.all():
        return []
    return [(window_features(text, spans, query, world.snapshot.typed[i]), y)]


def _short_rows(world: World, query, i: int, q) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The short runs of a middling answering sentence, labelled by whether they keep the gold
    answer."""
    text = world.snapshot.chunks[i].text
    if not SHORT_ANSWER_CHARS < len(text) <= MAX_ANSWER_CHARS:
        return []
    spans = short_runs(text, query)
    if not spans:
        return []
    answers = getattr(q, "answers", None) or []
    y = np.array([contains_gold(text[a:b], answers) for a, b in spans], dtype=np.float32)
    f = window_features(text, [*spans, (0, len(text))], query, world.snapshot.typed[i])
    return [(f, y, len(text))]


def jiangjin_world(cache) -> tuple[World, list]:
    """The article in docs/ with its profile, and eval/qa.jsonl asked of it."""
    from bot.settings import Settings
    from index.chunk import chunk_document
    from index.load import find_documents, load_document, source_name

    settings = Settings()
    docs = [
        load_document(p, source_name(settings.docs_dir, p))
        for p in find_documents(settings.docs_dir)
    ]
    chunks = [c for d in docs for c in chunk_document(d)]
    titles = {d.source: d.title or Path(d.source).stem for d in docs}
    items = [
        json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    asked = []
    for item in items:
        answers = [a for group in item.get("facts", []) for a in group[:1]]
        q = Question(item["id"], item["question"], answers, "")
        q.evidence = item.get("evidence", [])
        asked.append((q, [tuple(t) for t in item.get("history", [])], item["answerable"]))
    world = indexed("qa", chunks, titles, {}, [], [], cache, settings.profile())
    return world, asked


def _evidence_label(q, chunk) -> bool:
    squeezed = "".join(chunk.text.split())
    return any("".join(e.split()) in squeezed or squeezed in "".join(e.split()) for e in q.evidence)


def near_misses(world: World, rng: random.Random, pool: list[str]) -> list:
    """Questions of a world with a year moved, a name swapped, or what they ask about swapped
    for a word the documents never use (江津的GDP -> 江津的失业率): the documents do not
    answer them, though they look like questions that they do."""
    out = []
    names = sorted({w for typed in world.snapshot.typed for w, t in typed if t == "person"})
    wording = Wording(world.snapshot, world.profile, None)
    for n, q in enumerate(world.inside):
        text = q.text
        if n % 3 == 0:
            query = understand(text, [], wording, MAX_CHARS)
            focus = [t for t in query.focus if t in world.snapshot.corpus and len(t) >= 2]
            strange = [
                w for w in rng.sample(pool, min(20, len(pool))) if w not in world.snapshot.corpus
            ]
            if focus and strange:
                swapped = normalize_chars(text).replace(focus[0], strange[0], 1)
                out.append(Question(q.id + "-a", swapped, [], q.unit))
                continue
        digits = years(text)
        if digits:
            moved = str(int(digits[0]) + rng.choice((-7, -3, 3, 7)))
            if moved not in world.snapshot.corpus:
                out.append(Question(q.id + "-y", text.replace(digits[0], moved, 1), [], q.unit))
                continue
        people = [w for w in names if len(w) >= 2 and w in text]
        if people:
            other = rng.choice(names)
            if other not in text:
                out.append(Question(q.id + "-n", text.replace(people[0], other, 1), [], q.unit))
    return out


def _question_words(units) -> list[str]:
    """Content words of the units' questions: what near misses swap in."""
    from bot.tokenizer import Tokenizer

    tokenizer = Tokenizer()
    words = {
        w
        for u in units
        for q in u.questions
        for w in tokenizer.words(q.text)
        if 2 <= len(w) <= 4
        and "\u4e00" <= w[0] <= "\u9fff"
        and w not in stopwords()
        and w not in question_words()
    }
    return sorted(words)


def collect(split: str, cache, limit: int | None = None, names=tuple(DATASETS)) -> list[Group]:
    """Groups of every world of the datasets' split (near misses marked as such)."""
    out = []
    rng = random.Random(0)
    for name in names:
        path, by_article, size, most = DATASETS[name]
        caps = [x for x in (limit, most) if x is not None]
        units = [u for u in load_units(path, by_article) if u.split == split]
        pool = _question_words(units)
        for world in tqdm(
            worlds(units, size, f"{name}-{split}", cache, limit=min(caps) if caps else None),
            desc=name,
        ):
            out += groups_of(world, cache)
            misses = near_misses(world, rng, pool)
            misses = groups_of(world, cache, [(q, [], False) for q in misses])
            for g in misses:
                g.near_miss = True
            out += misses
    return out


def _folds(groups: list[Group]) -> list[int]:
    """A fold number per group, by the passage or article its question was written from (by
    world for questions of none), so that an article's questions are never on both sides of a
    fold, though the same article is in a DRCD corpus and a one-article one."""
    return [zlib.crc32((g.unit or g.world).encode()) % FOLDS for g in groups]


def choose_l2(pairs: list[tuple[np.ndarray, np.ndarray, int]]) -> tuple[float, dict]:
    """The L2 strength of a linear listwise model (the trimmer) with the best cross-validated
    top-1 over (features, labels, fold) triples."""
    scores = {}
    for l2 in L2_GRID:
        hits = []
        for k in range(FOLDS):
            train = [(x, y) for x, y, f in pairs if f != k]
            test = [(x, y) for x, y, f in pairs if f == k]
            if train and test:
                hits.append(learn.top1(test, learn.fit_ranker(train, l2)) * len(test))
        scores[l2] = sum(hits) / max(len(pairs), 1)
    return max(scores, key=scores.get), scores


def cross_scores(groups: list[Group], weights: list[float]) -> list[np.ndarray]:
    """Each group's candidate scores from a ranker fitted on the other folds."""
    folds = _folds(groups)
    out: list[np.ndarray | None] = [None] * len(groups)
    for k in range(FOLDS):
        train = [(g, w) for g, w, f in zip(groups, weights, folds) if f != k and g.inside]
        forest = learn.fit_lambdarank(
            [(ranker_inputs(g.x), g.target) for g, _ in train], [w for _, w in train]
        )
        for n, (g, f) in enumerate(zip(groups, folds)):
            if f == k:
                out[n] = forest.scores(ranker_inputs(g.x)) if len(g.x) else np.zeros(0)
    return out


def cross_fitted(x: np.ndarray, y: np.ndarray, folds: np.ndarray, l2: float) -> np.ndarray:
    """Each row's probability by a logistic model fitted on the other folds."""
    probability = np.zeros(len(x))
    for k in range(FOLDS):
        w = learn.fit_logistic(x[folds != k], y[folds != k].astype(float), l2)
        probability[folds == k] = 1 / (1 + np.exp(-(x[folds == k] @ w)))
    return probability


def lowest_chance(probability, right, usable, precision: float) -> float:
    """The lowest chance at which at least `precision` of the usable cases taken (10 or more)
    are right; 1.0 when there is none."""
    for at in np.arange(0.05, 0.991, 0.01):
        taken = usable & (probability >= at)
        if taken.sum() >= 10 and right[taken].mean() >= precision:
            return float(round(at, 2))
    return 1.0


def fit_shortening(
    groups: list[Group], scores: list[np.ndarray], trim: np.ndarray
) -> tuple[np.ndarray, float, dict]:
    """The weights of the model that cuts a middling answering sentence to its best short run
    (chosen by the `trim` weights), and the chance it needs: the lowest at which, with
    cross-fitted probabilities, at least SHORTEN_PRECISION of the runs it keeps hold the gold.
    It learns from the sentences the cross-fitted ranker puts first, as it will be used."""
    rows, kept, index = [], [], []
    for n, (g, s) in enumerate(zip(groups, scores)):
        top = int(np.argmax(s)) if len(s) else -1
        for position, f, y, length in g.shorts:
            if position != top:
                continue
            k, row = shorten_row(f, f @ trim, g.wants, length)
            rows.append(row)
            kept.append(bool(y[k]))
            index.append(n)
    if len(rows) < FOLDS * 10:
        return np.zeros(0, dtype=np.float32), 1.0, {"rows": len(rows)}
    x, kept = np.array(rows), np.array(kept)
    folds = np.array(_folds(groups))[index]
    probability = cross_fitted(x, kept, folds, SHORTEN_L2)
    chosen = lowest_chance(probability, kept, np.ones(len(x), dtype=bool), SHORTEN_PRECISION)
    taken = probability >= chosen
    report = {
        "rows": len(rows),
        "best_run_keeps_gold": round(float(kept.mean()), 4),
        "at": chosen,
        "cross_fitted_share_taken": round(float(taken.mean()), 4),
        "cross_fitted_precision": round(float(kept[taken].mean()), 4) if taken.any() else None,
    }
    return learn.fit_logistic(x, kept.astype(float), SHORTEN_L2), chosen, report


def extension_rows(groups: list[Group], scores: list[np.ndarray], side: str):
    """For each answerable question, the features of its best candidate's neighbour on `side`
    and whether that neighbour holds the gold answer (or completes it) when the best does not;
    and whether the best holds it, with both sentences' lengths."""
    rows, gains, hits, lengths, index = [], [], [], [], []
    for n, (g, s) in enumerate(zip(groups, scores)):
        near = g.neighbours(side)
        if not g.inside or not len(s) or near is None:
            continue
        top = int(np.argmax(s))
        other, other_len, other_gold, both_gold = near[top]
        lengths.append((len(g.texts[top]), int(other_len)))
        text = normalize_chars(g.texts[top])
        rows.append(extension_row(g.x, s, top, int(other), lengths[-1], g.wants, side, text))
        hits.append(bool(g.y[top]))
        gains.append(not g.y[top] and bool(other_gold or both_gold))
        index.append(n)
    return np.array(rows), np.array(gains), np.array(hits), np.array(lengths), index


def fit_extension(
    groups: list[Group], scores: list[np.ndarray], side: str
) -> tuple[np.ndarray, float, dict]:
    """The weights of the model that takes in the neighbour on `side`, and the chance it
    needs: the lowest at which, with cross-fitted probabilities, at least EXTEND_PRECISION of
    the answers it lengthens gain the gold answer."""
    x, gain, _, lengths, index = extension_rows(groups, scores, side)
    folds = np.array(_folds(groups))[index]
    probability = cross_fitted(x, gain, folds, EXTEND_L2)
    usable = lengths[:, 1] > 0
    chosen = lowest_chance(probability, gain, usable, EXTEND_PRECISION)
    taken = usable & (probability >= chosen)
    w = learn.fit_logistic(x, gain.astype(float), EXTEND_L2)
    report = {
        "at": chosen,
        "cross_fitted_share_taken": round(float(taken.mean()), 4),
        "cross_fitted_precision": round(float(gain[taken].mean()), 4) if taken.any() else None,
    }
    return w, chosen, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit", description=__doc__)
    parser.add_argument("--out", default=str(OUT), help=f"model file to write (default {OUT})")
    parser.add_argument("--limit", type=int, help="at most this many worlds per dataset")
    parser.add_argument(
        "--datasets", default=",".join(DATASETS), help="which development sets (cmrc,drcd)"
    )
    parser.add_argument(
        "--false-refusals",
        type=float,
        default=TARGET_FALSE_REFUSALS,
        help="share of answerable fit questions the refusal threshold may refuse "
        f"(default {TARGET_FALSE_REFUSALS})",
    )
    args = parser.parse_args(argv)
    from bot.settings import Settings
    from index.embed import get_embedder

    settings = Settings.from_env()
    cache = VectorCache(get_embedder(settings), settings.data_dir / "fit" / "vectors.sqlite")
    started = time.perf_counter()
    names = [n for n in args.datasets.split(",") if n]
    fit = collect("fit", cache, args.limit, names)
    world, asked = jiangjin_world(cache)
    fit += groups_of(world, cache, asked, _evidence_label)
    validate = collect("validate", cache, args.limit, names)
    model, report = fit_models(fit, validate, args.false_refusals)
    model.info.update(
        fitted=datetime.date.today().isoformat(),
        command="python -m eval.fit"
        + (
            f" --false-refusals {args.false_refusals}"
            if args.false_refusals != TARGET_FALSE_REFUSALS
            else ""
        ),
        false_refusals=args.false_refusals,
        embed_model=cache.embedder.name,
        embed_cpu=int8_cpu(),
        seconds=round(time.perf_counter() - started),
        **report,
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


def fit_models(
    fit: list[Group], validate: list[Group], false_refusals: float = TARGET_FALSE_REFUSALS
) -> tuple[Model, dict]:
    """Fit all four models on `fit`, refusing at most `false_refusals` of its answerable
    questions; measure them on `validate`."""
    weights = _weights(fit)
    answered = [(g, w) for g, w in zip(fit, weights) if g.inside and not g.near_miss]
    forest = learn.fit_lambdarank(
        [(ranker_inputs(g.x), g.target) for g, _ in answered], [w for _, w in answered]
    )
    scores = cross_scores(fit, weights)
    extend, extend_at, extend_report = fit_extension(fit, scores, "next")
    back, back_at, back_report = fit_extension(fit, scores, "previous")
    # the refusal model learns from what the hard checks let through
    passed = [
        (g, s, w)
        for g, s, w in zip(fit, scores, weights)
        if not (len(s) and g.hard[int(np.argmax(s))])
    ]
    qx = np.array([_question_row(g, s) for g, s, _ in passed])
    qy = np.array([float(g.inside) for g, _, _ in passed])
    refusal = learn.fit_forest(qx, qy, np.array([w for _, _, w in passed]))
    conf = np.array([refusal.probability(row) for row in qx])
    # the hard checks already refuse some answerable questions: the model may refuse the rest
    # of the budget
    inside = sum(g.inside for g in fit)
    hard = inside - int(qy.sum())
    budget = max(0.0, (false_refusals * inside - hard) / max(qy.sum(), 1))
    threshold = learn.threshold_for(conf, qy, budget)
    folds = _folds(fit)
    trims = [(x, y, f) for g, f in zip(fit, folds) for x, y in g.trims]
    l2, cv = choose_l2(trims)
    t = learn.fit_ranker([(x, y) for x, y, _ in trims], l2) if trims else np.zeros(1)
    shorten, shorten_at, shorten_report = fit_shortening(fit, scores, t)
    model = Model(
        forest,
        refusal,
        threshold,
        t.astype(np.float32),
        extend.astype(np.float32),
        extend_at,
        back.astype(np.float32),
        back_at,
        shorten=shorten.astype(np.float32),
        shorten_at=shorten_at,
    )
    report = {
        "fitted_on": _counts(fit),
        "validated_on": _counts(validate),
        "cross_validated_top1": round(_top1(fit, scores), 4),
        "trim_l2": l2,
        "trim_cross_validated": {str(k): round(v, 4) for k, v in cv.items()},
        "extension": {"next": extend_report, "previous": back_report},
        "shortening": shorten_report,
        "validated": measure(model, validate),
    }
    return model, report


def _top1(fit: list[Group], scores: list[np.ndarray]) -> float:
    """Share of the answerable fitting questions whose cross-fitted best candidate holds the
    gold answer."""
    return float(
        np.mean(
            [
                len(g.y) > 0 and bool(g.y[int(np.argmax(s))])
                for g, s in zip(fit, scores)
                if g.inside and not g.near_miss
            ]
        )
    )


def _weights(groups: list[Group]) -> list[float]:
    """How much each question counts: those on the article the product ships with
    (eval/qa.jsonl, a news report, unlike the encyclopedia passages) together weigh QA_SHARE of
    all."""
    qa = sum(g.world.startswith("qa") for g in groups)
    if not qa or qa == len(groups) or not QA_SHARE:
        return [1.0] * len(groups)
    on_qa = QA_SHARE * len(groups) / qa
    others = (1 - QA_SHARE) * len(groups) / (len(groups) - qa)
    return [on_qa if g.world.startswith("qa") else others for g in groups]


def _question_row(g: Group, scores: np.ndarray) -> np.ndarray:
    return question_features(g.x, scores, g.terms)


def measure(model: Model, groups: list[Group]) -> dict:
    """Top-1, false refusals and refused out-of-corpus questions, per world family."""
    out = {}
    for family in sorted({g.world.split("-")[0] for g in groups}):
        gs = [g for g in groups if g.world.split("-")[0] == family]
        inside = [g for g in gs if g.inside]
        outside = [g for g in gs if not g.inside and not g.near_miss]
        misses = [g for g in gs if g.near_miss]

        def refused(g):
            s = model.scores(g.x)
            if len(s) and g.hard is not None and g.hard[int(np.argmax(s))]:
                return True
            return model.confidence(_question_row(g, s)) < model.threshold

        answered = [g for g in inside if not refused(g)]
        scores = [model.scores(g.x) for g in inside]
        hits, next_taken, next_gains, back_taken, back_gains = _extended(model, inside, scores)
        out[family] = {
            "questions": len(inside),
            "top1": round(
                float(
                    np.mean(
                        [len(s) > 0 and bool(g.y[np.argmax(s)]) for g, s in zip(inside, scores)]
                    )
                ),
                4,
            ),
            "top1_extended": round(
                float(np.sum(hits | (next_taken & next_gains) | (back_taken & back_gains)))
                / len(inside),
                4,
            )
            if len(hits)
            else None,
            "share_next": round(float(next_taken.mean()), 4) if len(hits) else None,
            "share_previous": round(float(back_taken.mean()), 4) if len(hits) else None,
            "top1_answered": round(
                sum(len(g.y) and bool(g.y[np.argmax(model.scores(g.x))]) for g in answered)
                / len(inside),
                4,
            )
            if inside
            else None,
            "false_refusals": round(np.mean([refused(g) for g in inside]), 4) if inside else None,
            "outside_refused": round(np.mean([refused(g) for g in outside]), 4)
            if outside
            else None,
            "near_misses_refused": round(np.mean([refused(g) for g in misses]), 4)
            if misses
            else None,
        }
    return out


def _extended(model: Model, inside: list[Group], scores: list[np.ndarray]):
    """Per answerable question with candidates: whether the best holds the gold answer, whether
    the answer takes in the next sentence and gains it, and the same for the previous one."""
    taken, gains = {}, {}
    for side in SIDES:
        rows, gains[side], hits, lengths, _ = extension_rows(inside, scores, side)
        weights, at = model.extension(side)
        taken[side] = np.array(
            [lengths[k, 1] > 0 and chance(weights, r) >= at for k, r in enumerate(rows)], bool
        )
    return hits, taken["next"], gains["next"], taken["previous"], gains["previous"]


def _counts(groups: list[Group]) -> dict:
    return {
        "worlds": len({g.world for g in groups}),
        "questions": sum(g.inside for g in groups),
        "outside": sum(not g.inside and not g.near_miss for g in groups),
        "near_misses": sum(g.near_miss for g in groups),
    }


if __name__ == "__main__":
    sys.exit(main())
