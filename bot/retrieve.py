"""Hybrid retrieval as a LangChain retriever: jieba BM25 fused with dense search by RRF."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr
from rank_bm25 import BM25Okapi

from bot.text import normalize, tokens
from index.chunk import Chunk

RRF_K = 60


class HybridRetriever(BaseRetriever):
    """Ranks chunks by reciprocal rank fusion of BM25 (over normalised, segmented text) and
    dense similarity from the Chroma vector store. Returns Documents whose metadata carries the
    chunk (`chunk`), its fused score and its rank in each list."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chunks: list[Chunk]
    vectorstore: Any
    k: int = 5
    pool: int = 20
    _bm25: BM25Okapi = PrivateAttr()
    _by_id: dict[str, Chunk] = PrivateAttr()
    _normalized: list[str] = PrivateAttr()

    def model_post_init(self, __context: Any) -> None:
        corpus = [tokens(f"{c.text}") or ["_"] for c in self.chunks]
        self._bm25 = BM25Okapi(corpus)
        self._by_id = {c.id: c for c in self.chunks}
        self._normalized = [normalize(c.text) for c in self.chunks]

    def normalized_text(self) -> str:
        """All chunk texts, normalised, for checking whether a term occurs at all."""
        return "\n".join(self._normalized)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a term (0 when it occurs nowhere)."""
        return max(self._bm25.idf.get(term, 0.0), 0.0)

    def bm25_ranking(self, query: str) -> list[str]:
        scores = self._bm25.get_scores(tokens(query) or ["_"])
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [self.chunks[i].id for i in order[: self.pool] if scores[i] > 0]

    def dense_ranking(self, query: str) -> list[str]:
        found = self.vectorstore.similarity_search_with_score(normalize(query), k=self.pool)
        return [doc.id for doc, _ in found if doc.id in self._by_id]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        fused: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        for name, ranking in (
            ("bm25", self.bm25_ranking(query)),
            ("dense", self.dense_ranking(query)),
        ):
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
                ranks.setdefault(chunk_id, {})[name] = rank + 1
        best = sorted(fused, key=lambda cid: -fused[cid])[: self.k]
        return [
            Document(
                page_content=self._by_id[cid].text,
                id=cid,
                metadata={"chunk": self._by_id[cid], "score": fused[cid], "ranks": ranks[cid]},
            )
            for cid in best
        ]
