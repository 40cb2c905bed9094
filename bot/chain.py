"""The answering chain: clean the question, resolve follow-ups, retrieve, answer, cite, check."""

from __future__ import annotations

import logging
import threading
import time

from bot.answer import Query, Span, rerank, select_spans
from bot.cite import citation_for
from bot.followup import resolve
from bot.question import clean_question
from bot.settings import Settings
from bot.spelling import Speller
from bot.support import CharWeights, check_support, term_in
from bot.text import normalize, normalize_chars
from bot.values import Answer, Hit

log = logging.getLogger(__name__)

ABOUT = "这篇文章讲的是江津区“十三五”时期的发展成绩和“十四五”时期的规划目标。"
RELOAD_CHECK_S = 2.0
POOL = 20
MAX_NAMED = 2


class Bot:
    """Answers questions about the documents in docs/, citing the exact sentences it used.

    Everything not given is built from settings on first use: the embedder, the index store
    (the index is built if there is none) and, when JJQA_LLM_* are set, the chat model.
    """

    def __init__(
        self, settings: Settings | None = None, store=None, embedder=None, chat_model=None
    ):
        self.settings = settings or Settings.from_env()
        self._store = store
        self._embedder = embedder
        self._chat_model = chat_model
        self._retriever = None
        self._corpus = ""
        self._manifest = None
        self._checked_at = 0.0
        self._lock = threading.RLock()

    @classmethod
    def from_env(cls, **overrides) -> Bot:
        """A bot configured from JJQA_* environment variables; keyword arguments win."""
        return cls(Settings.from_env(**overrides))

    # -- loading ---------------------------------------------------------------------------
    def warm(self, progress: bool = False) -> Bot:
        """Load the models and the index now (building it if there is none)."""
        with self._lock:
            if self._retriever is None:
                self._load(progress)
        return self

    def _load(self, progress: bool) -> None:
        from index.build import build_index
        from index.embed import get_embedder
        from index.store import IndexStore

        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        if self._store is None:
            self._store = IndexStore(self.settings)
        manifest = self._store.current()
        if manifest is None or manifest.model != self._embedder.name:
            log.info("building the index (first use or a new embedding model)")
            manifest = build_index(self.settings, self._embedder, progress=progress).manifest
        self._open(manifest)

    def _open(self, manifest) -> None:
        from langchain_chroma import Chroma

        from bot.retrieve import HybridRetriever
        from index.chunk import Chunk

        collection = self._store.collection(manifest.build)
        got = collection.get(include=["documents", "metadatas"])
        chunks = [Chunk.from_metadata(t, m) for t, m in zip(got["documents"], got["metadatas"])]
        chunks.sort(key=lambda c: (c.source, c.order))
        vectorstore = Chroma(
            client=self._store.client(manifest.build),
            collection_name=self._store.collection_name(manifest.build),
            embedding_function=self._embedder,
            create_collection_if_not_exists=False,
        )
        self._retriever = HybridRetriever(chunks=chunks, vectorstore=vectorstore, k=POOL)
        self._corpus = self._retriever.normalized_text()
        self._chars = CharWeights(self._corpus)
        self._speller = Speller(normalize_chars("\n".join(c.text for c in chunks)))
        self._manifest = manifest
        self._checked_at = time.monotonic()

    def _fresh(self) -> None:
        """Switch to a newer build if `python -m index build` published one since we loaded."""
        if time.monotonic() - self._checked_at < RELOAD_CHECK_S:
            return
        self._checked_at = time.monotonic()
        version = self._store.version()
        if version and version != self._manifest.build:
            manifest = self._store.current()
            if manifest is not None and manifest.model == self._embedder.name:
                log.info("switching to index build %s", manifest.build)
                self._open(manifest)

    @property
    def embedder(self):
        """The embedding model the index was built with (loaded on first use)."""
        self.warm()
        return self._embedder

    def status(self) -> dict:
        """Whether the index is loaded, and what it holds."""
        from index.store import IndexStore

        manifest = self._manifest or IndexStore(self.settings).current()
        return {
            "ready": self._retriever is not None,
            "documents": len(manifest.documents) if manifest else 0,
            "chunks": manifest.chunks if manifest else 0,
            "model": manifest.model if manifest else self.settings.embed_model,
            "built_at": manifest.built_at if manifest else None,
            "store": "http" if self.settings.chroma_url else "local",
            "llm": self.settings.llm_model if self.settings.llm_enabled else None,
        }

    # -- answering -------------------------------------------------------------------------
    def retrieve(self, question: str, history=None, k: int | None = None) -> list[Hit]:
        """The ranked sentence-level pieces for the question: hybrid retrieval, then reranked
        by how well their best clause answers it (the order the answerer reads them in)."""
        self.warm()
        with self._lock:
            self._fresh()
            resolved, query, chunks, docs = self._gather(question, _pairs(history))
        scores = {d.metadata["chunk"].id: d.metadata["score"] for d in docs}
        ranked = rerank(query, chunks)[: k or self.settings.top_k]
        return [_hit(c, scores.get(c.id, 0.0)) for c in ranked]

    def _gather(self, question: str, history: list[tuple[str, str]]):
        """Resolve the question, retrieve, and build the query the answerer scores with."""
        resolved = self._resolve(question, history)
        docs = self._retriever.invoke(resolved.search_text)
        chunks = [d.metadata["chunk"] for d in docs]
        query = Query.build(resolved.primary, resolved.secondary, self._retriever.idf, self._known)
        if query.kinds:  # about the article itself: its title, byline or captions
            chunks += [c for c in self._retriever.chunks if c.kind in query.kinds]
        return resolved, query, chunks, docs

    def _resolve(self, question: str, history: list[tuple[str, str]]):
        """The question (and the one it follows up) with typos towards the article's words fixed."""
        history = [(self._speller.correct(normalize_chars(q)), a) for q, a in history]
        return resolve(self._speller.correct(normalize_chars(question)), history)

    def ask(self, question: str, history=None) -> Answer:
        """Answer a question (with earlier (question, answer) pairs for follow-ups).

        Never raises for what a user typed: bad input gets a polite Answer."""
        started = time.perf_counter()
        clean = clean_question(question, self.settings.max_question_chars)
        if clean.problem:
            return Answer(
                _join(clean.notice, clean.problem), kind="unclear", timings_ms=_ms(started)
            )
        answer = self._answer(clean.text, _pairs(history), started)
        if clean.notice:
            answer.answer = _join(clean.notice, answer.answer)
        return answer

    def _answer(self, question: str, history: list[tuple[str, str]], started: float) -> Answer:
        self.warm()
        timings = {}
        with self._lock:
            self._fresh()
            t0 = time.perf_counter()
            resolved, query, chunks, _ = self._gather(question, history)
            timings["retrieve"] = _since(t0)
            t1 = time.perf_counter()
            spans = select_spans(query, chunks)
            support = check_support(query, spans, self._corpus, self._chars)
            timings["answer"] = _since(t1)
        if not support.supported:
            answer = _refusal(support, spans, question)
        else:
            answer = _compose(spans)
            if self.settings.llm_enabled or self._chat_model is not None:
                passages = rerank(query, chunks)
                answer = self._with_llm(question, history, passages, answer, timings)
        answer.timings_ms = dict(timings, total=_since(started))
        return answer

    def _known(self, term: str) -> bool:
        return term_in(term, self._corpus)

    def _with_llm(self, question, history, chunks, extractive: Answer, timings) -> Answer:
        from bot.llm import llm_answer

        t0 = time.perf_counter()
        try:
            if self._chat_model is None:
                from bot.llm import make_chat_model

                self._chat_model = make_chat_model(self.settings)
            answer = llm_answer(self._chat_model, question, history, chunks) or extractive
        except Exception as e:  # the extractive answer stands when the LLM fails
            log.warning("LLM answer failed, using the extractive answer: %s", e)
            answer = extractive
        timings["llm"] = _since(t0)
        return answer


def _compose(spans: list[Span]) -> Answer:
    """「clause[1]；clause[2]。」 with one citation per span."""
    citations = [citation_for(s, n) for n, s in enumerate(spans, 1)]
    parts = [f"{s.text}[{n}]" for n, s in enumerate(spans, 1)]
    return Answer("；".join(parts) + "。", refused=False, citations=citations)


def _refusal(support, spans: list[Span], question: str) -> Answer:
    """「文章中没有提到……」, pointing at the nearest thing the article does say, if any."""
    if support.reason == "task":
        return Answer(
            f"文章中没有提到这方面的内容：我只回答文章里写到的事实。{ABOUT}", refused=True
        )
    missing = [_as_written(m, question) for m in support.missing]
    present = [_as_written(p, question) for p in support.present]
    if support.reason == "name":
        topic = f"{'、'.join(present[:2])}的姓名" if present else "相关人员的姓名"
    elif support.reason == "time":
        topic = f"{'、'.join(present[:2])}的具体时间" if present else "具体时间"
    elif support.reason == "amount":
        topic = f"{'、'.join(present[:2])}的具体数字" if present else "具体数字"
    elif not missing or len(missing) > MAX_NAMED:
        topic = "这个问题问的内容"
    elif present and all(m.endswith("年") for m in missing):
        topic = f"{'、'.join(missing)}的{'、'.join(present[:2])}"
    else:
        topic = "、".join(missing)
    text = f"文章中没有提到{topic}。"
    nearby = [s for s in spans if s.matched & set(support.present)][:1]
    if nearby and len(missing) <= MAX_NAMED:
        citation = citation_for(nearby[0], 1)
        text += f"文章中相关的内容是：{nearby[0].text}[1]。"
        return Answer(text, refused=True, citations=[citation])
    return Answer(text + ABOUT, refused=True)


def _as_written(term: str, question: str) -> str:
    """A normalised term as the question spelled it (GDP, not gdp), when it can be found."""
    at = normalize(question).find(term)
    if at >= 0 and len(normalize(question)) == len(question):
        return question[at : at + len(term)]
    return term


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


def _pairs(history) -> list[tuple[str, str]]:
    """Accept [[q, a], ...], [(q, a), ...] or [{"question", "answer"}, ...]; drop anything else."""
    out = []
    for item in history or []:
        if isinstance(item, dict):
            item = (item.get("question", ""), item.get("answer", ""))
        if isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((str(item[0] or ""), str(item[1] or "")))
    return out


def _join(*parts) -> str:
    return "".join(p for p in parts if p)


def _since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def _ms(started: float) -> dict:
    return {"total": _since(started)}
