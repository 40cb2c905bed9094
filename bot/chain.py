"""The Bot: loads a build (building one if there is none), swaps in newer builds as they are
published, and hands each question to the pipeline. It holds no lock while answering: the
live build is immutable and replaced by one assignment, so questions run side by side."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from bot import features
from bot.pipeline import Live, respond
from bot.settings import Settings
from bot.values import Answer, Hit

log = logging.getLogger(__name__)

RELOAD_CHECK_S = 2.0


class Bot:
    """Answers questions about the documents in docs/, citing the exact text it used.

    Everything not given is built from settings on first use: the embedder, the index store
    (the index is built if there is none), the profile, the ranking model and, when
    JJQA_LLM_* are set, the chat model.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        store=None,
        embedder=None,
        chat_model=None,
        model=None,
        profile=None,
    ):
        self.settings = settings or Settings.from_env()
        self._store = store
        self._embedder = embedder
        self._chat_model = chat_model
        self._model = model
        self._profile = profile
        self._live: Live | None = None
        self._checked_at = 0.0
        self._rejected: str | None = None  # a damaged build not to try again
        self._loading = threading.Lock()
        self._embedding = threading.Lock()

    @classmethod
    def from_env(cls, **overrides) -> Bot:
        """A bot configured from JJQA_* environment variables; keyword arguments win."""
        return cls(Settings.from_env(**overrides))

    # -- loading ---------------------------------------------------------------------------
    def warm(self, progress: bool = False) -> Bot:
        """Load the models and the index now (building it if there is none)."""
        if self._live is None:
            with self._loading:
                if self._live is None:
                    self._live = self._load(progress)
        return self

    def _load(self, progress: bool) -> Live:
        from bot import blas
        from bot.rank import default_model
        from index.build import build_index
        from index.embed import get_embedder
        from index.store import IndexStore

        if self._profile is None:
            self._profile = self.settings.profile()
        if self._model is None:
            self._model = default_model()
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        blas.one_thread()
        fitted = self._model.info.get("embed_model")
        if fitted and fitted != self._embedder.name:
            log.warning(
                "the ranking and refusal models were fitted with %s, this bot embeds with %s: "
                "refusals may be miscalibrated; run `python -m eval.fit` to fit them for it",
                fitted,
                self._embedder.name,
            )
        if self._store is None:
            self._store = IndexStore(self.settings)
        manifest = self._store.current()
        if manifest is None or not self._store.usable(manifest, self._embedder.name):
            log.info("building the index (first use, a new embedding model or a new profile)")
            manifest = build_index(self.settings, self._embedder, progress=progress).manifest
        return self._open(self._whole(manifest))

    def _whole(self, manifest):
        """`manifest` when its build is whole; else the newest whole build kept before it, with
        a warning; else IndexBuildError in one line saying what is wrong and how to repair it."""
        from bot.errors import IndexBuildError

        integrity = self._store.check(manifest)
        if integrity.ok:
            return manifest
        self._rejected = manifest.build
        for earlier in self._store.earlier(manifest.build):
            if self._store.usable(earlier, self._embedder.name) and self._store.check(earlier).ok:
                log.warning(
                    "%s; answering from the previous build %s until "
                    "`python -m index build` repairs it",
                    integrity.line(),
                    earlier.build,
                )
                return earlier
        raise IndexBuildError(f"{integrity.line()}; run `python -m index build` to repair it")

    def _open(self, manifest) -> Live:
        from bot.spelling import speller_for
        from bot.understand import Wording

        snapshot = self._store.snapshot(manifest)
        snapshot.tokenizer.prepare()
        wording = Wording(snapshot, self.profile, speller_for(snapshot))
        dense = self._store.dense(manifest, snapshot)
        background = dense.vectors(snapshot.background) if snapshot.background else None
        self._checked_at = time.monotonic()
        return Live(manifest, snapshot, dense, wording, background)

    def _current(self) -> Live:
        """The live build, switching to a newer one if `python -m index build` published it."""
        self.warm()
        live = self._live
        if time.monotonic() - self._checked_at < RELOAD_CHECK_S:
            return live
        with self._loading:
            if time.monotonic() - self._checked_at < RELOAD_CHECK_S:
                return self._live
            self._checked_at = time.monotonic()
            version = self._store.version()
            if version and version not in (self._live.manifest.build, self._rejected):
                manifest = self._store.current()
                if manifest is not None and self._store.usable(manifest, self._embedder.name):
                    integrity = self._store.check(manifest)
                    if integrity.ok:
                        log.info("switching to index build %s", manifest.build)
                        self._live = self._open(manifest)
                    else:
                        self._rejected = manifest.build
                        log.warning(
                            "%s; still answering from %s",
                            integrity.line(),
                            self._live.manifest.build,
                        )
            return self._live

    @property
    def embedder(self):
        """The embedding model the index was built with (loaded on first use)."""
        self.warm()
        return self._embedder

    @property
    def profile(self):
        """The deployer's profile (docs/profile.toml)."""
        if self._profile is None:
            self._profile = self.settings.profile()
        return self._profile

    def status(self) -> dict:
        """Whether the index is loaded, what it holds, and a damaged build passed over if any."""
        from index.store import IndexStore

        live = self._live
        manifest = live.manifest if live else IndexStore(self.settings).current()
        return {
            "ready": live is not None,
            "documents": len(manifest.documents) if manifest else 0,
            "chunks": manifest.chunks if manifest else 0,
            "model": manifest.model if manifest else self.settings.embed_model,
            "built_at": manifest.built_at if manifest else None,
            "store": "http" if self.settings.chroma_url else "local",
            "llm": self.settings.llm_model if self.settings.llm_enabled else None,
            "build": manifest.build if manifest else None,
            "damaged_build": self._rejected,
        }

    # -- answering -------------------------------------------------------------------------
    def _embed(self, text: str):
        """The query vector; engines that do not say they are thread-safe get one at a time."""
        if getattr(self._embedder, "thread_safe", False):
            return np.asarray(self._embedder.embed_query(text), dtype=np.float32)
        with self._embedding:
            return np.asarray(self._embedder.embed_query(text), dtype=np.float32)

    def _respond(self, live, question: str, history, timings: dict):
        """The pipeline's answer and ranking for one question on the live build."""
        return respond(
            live,
            question,
            history,
            profile=self.profile,
            model=self._model,
            embed=self._embed,
            max_chars=self.settings.max_question_chars,
            timings=timings,
        )

    def retrieve(self, question: str, history=None, k: int | None = None) -> list[Hit]:
        """The ranked sentences for the question, best first (the order the answer reads)."""
        live = self._current()
        _, ranked = self._respond(live, question, history, {})
        if ranked is None:
            return []
        chunks = live.snapshot.chunks
        # each hit's share of the ranker's softmax over the question's candidates
        top = zip(ranked.order[: k or self.settings.top_k], features.shares(ranked.scores))
        return [_hit(chunks[i], float(s)) for i, s in top]

    def ask(self, question: str, history=None) -> Answer:
        """Answer a question (with earlier (question, answer) pairs for follow-ups).

        Never raises for what a user typed: bad input gets a polite Answer."""
        started = time.perf_counter()
        live = self._current()
        timings: dict = {}
        answer, ranked = self._respond(live, question, history, timings)
        if ranked is not None and answer.kind == "answer" and self._llm_wanted():
            answer = self._with_llm(ranked.query.asked, history, live, ranked, answer, timings)
        answer.timings_ms = dict(timings, total=_since(started))
        return answer

    def _llm_wanted(self) -> bool:
        return self.settings.llm_enabled or self._chat_model is not None

    def _with_llm(self, question, history, live, ranked, extractive: Answer, timings) -> Answer:
        from bot.llm import llm_answer

        t0 = time.perf_counter()
        try:
            if self._chat_model is None:
                from bot.llm import make_chat_model

                self._chat_model = make_chat_model(self.settings)
            passages = [live.snapshot.chunks[i] for i in ranked.order]
            pairs = [tuple(t) for t in (history or []) if isinstance(t, (list, tuple))]
            answer = (
                llm_answer(self._chat_model, question, pairs, passages, self.profile) or extractive
            )
        except Exception as e:  # the extractive answer stands when the LLM fails
            log.warning("LLM answer failed, using the extractive answer: %s", e)
            answer = extractive
        timings["llm"] = _since(t0)
        return answer


def _hit(chunk, score: float) -> Hit:
    return Hit(
        id=chunk.id,
        text=chunk.text,
        source=chunk.source,
        start=chunk.start,
        end=chunk.end,
        section=chunk.section,
        kind=chunk.kind,
        score=round(score, 6),
    )


def _since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
