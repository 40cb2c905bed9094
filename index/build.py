"""Build the index: load, chunk and embed the documents into a fresh build, then publish it.

Incremental: a document whose content hash and embedding model are unchanged keeps its stored
vectors (copied, not re-embedded); removed documents are left out. A build that fails or is
interrupted is discarded, and the live build stays as it was.
"""

from __future__ import annotations

import bisect
import fcntl
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import wordtables
from bot.errors import IndexBuildError
from bot.settings import Settings
from bot.text import normalize_chars
from index.chunk import Chunk, chunk_document
from index.documents import describe, load_all
from index.embed import Embedder, get_embedder
from index.load import find_documents
from index.progress import CountingEmbedder
from index.snapshot import GRAMS, VECTORS, save_vectors
from index.snapshot import VERSION as SNAPSHOT_VERSION
from index.snapshot_job import SnapshotJob
from index.store import IndexStore, Manifest, new_build_id
from index.texts import build_folder, has_texts, write_texts

log = logging.getLogger(__name__)

# Chunks embedded and stored per step. The embedder sorts each step's texts by length, so a
# larger step pads less; each Chroma add has a fixed cost. 64 documents of CMRC 2018 (848
# chunks), 2 cores: 16 a step embedded 55 chunks/s and spent 3.3 s in Chroma's adds.
BATCH = 256
# Bump when embedding_text() changes: stored vectors of another kind of text are not reused.
EMBEDDING_TEXT = 2


@dataclass
class BuildReport:
    """What a build did, for the CLI and the logs."""

    manifest: Manifest
    changed: bool
    embedded: int
    reused: int
    removed: list[str]
    seconds: float

    def summary(self) -> str:
        m = self.manifest
        if not self.changed:
            return f"索引已是最新：{len(m.documents)} 篇文档，{m.chunks} 个片段（{m.model}）"
        return (
            f"索引已建立：{len(m.documents)} 篇文档，{m.chunks} 个片段，新嵌入 {self.embedded} 个，"
            f"复用 {self.reused} 个，移除文档 {len(self.removed)} 篇，用时 {self.seconds:.1f} 秒"
        )


def _same_vectors(manifest: Manifest, embedder: Embedder) -> bool:
    """True when a build's vectors were made by this model from the same kind of text."""
    return manifest.model == embedder.name and manifest.embedding == EMBEDDING_TEXT


def embedding_text(chunk: Chunk) -> str:
    """The text embedded for a chunk: the sentence under its section heading, so that a
    sentence that leaves its subject unsaid (「其叶螺旋状排列」) still finds it. The sentences
    around it are the ranker's business, not the vector's. Normalised (simplified, NFKC) like
    the questions, so traditional and simplified text meet in one space."""
    head = f"{chunk.section}：" if chunk.section and chunk.section != chunk.text else ""
    return normalize_chars(f"{head}{chunk.text}")


def build_index(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    watch=None,
) -> BuildReport:
    """Bring the index up to date with settings.docs_dir; return what was done. `watch`
    (index.progress.BuildProgress) is told how far the build has got."""
    started = time.perf_counter()
    store = IndexStore(settings)
    with _build_lock(Path(settings.data_dir)):
        paths = find_documents(settings.docs_dir)
        if not paths:
            raise IndexBuildError(
                f"no documents (.txt, .md, web pages, PDF, DOCX) in {settings.docs_dir}"
            )
        docs = load_all(settings, store, paths, progress, watch)
        embedder = embedder or get_embedder(settings)
        if watch is not None:
            embedder = CountingEmbedder(embedder, watch)
        profile = settings.profile()
        old = store.current()
        hashes = {d.source: d.sha256 for d in docs}
        previous = _whole_build(store, old)
        if (
            previous
            and previous is old
            and not force
            and _same_vectors(old, embedder)
            and {s: v["sha256"] for s, v in old.documents.items()} == hashes
            and store.usable(old, embedder.name)
            and not store.problems(old)
            and has_texts(build_folder(store, old.build))
            and _has_tables(store, old.build)
        ):
            if watch is not None:
                watch.finished(old.build, len(docs))
            return BuildReport(old, False, 0, 0, [], time.perf_counter() - started)
        reusable = (
            previous if previous and _same_vectors(previous, embedder) and not force else None
        )

        build = new_build_id()
        chunks = [c for doc in docs for c in chunk_document(doc)]
        titles = {d.source: d.title or Path(d.source).stem for d in docs}
        # with a Chroma server this copy, under the data directory, is what replicas are given
        # so that they load it instead of deriving it from the server's collection
        folder = store.snapshot_folder(build)
        job = SnapshotJob(
            folder,
            chunks,
            titles,
            profile.words(),
            profile.wording_hash(),
            cache=str(settings.model_cache),
        )
        try:
            manifest, embedded, reused, vectors = _fill(
                store, build, docs, reusable, embedder, progress
            )
            describe(settings, manifest, docs, old)
            job.wait()
            save_vectors(folder, chunks, vectors)
            write_texts(build_folder(store, build), docs)
            manifest.snapshot = SNAPSHOT_VERSION
            manifest.profile_hash = profile.wording_hash()
            manifest.build_seconds = round(time.perf_counter() - started, 2)
            store.publish(manifest)
        except BaseException:
            job.stop()
            store.discard(build)
            raise
        store.prune(keep={build} | ({previous.build} if previous else set()))
        removed = sorted(set(old.documents) - set(hashes)) if old else []
        report = BuildReport(manifest, True, embedded, reused, removed, manifest.build_seconds)
        if watch is not None:
            watch.finished(build, len(docs))
        log.info(report.summary())
        return report


def _has_tables(store: IndexStore, build: str) -> bool:
    """Whether a build has the tables that later versions add to the snapshot (vectors, the
    n-gram trie, the tokenizer's tables); a plain build adds them to one that lacks them,
    reusing its vectors."""
    folder = store.snapshot_folder(build)
    names = (VECTORS, GRAMS, wordtables.FREQ, wordtables.TAGS, wordtables.TOTAL)
    return store.remote or all((folder / name).is_file() for name in names)


def _whole_build(store: IndexStore, current: Manifest | None) -> Manifest | None:
    """The live build when it is whole, else the newest whole build kept before it (a damaged
    live build counts as out of date: the new build replaces it and reuses what it can)."""
    if current is None:
        return None
    integrity = store.check(current)
    if integrity.ok:
        return current
    log.warning("%s; rebuilding it", integrity.line())
    return next((m for m in store.earlier(current.build) if store.check(m).ok), None)


def _fill(store, build, docs, reusable, embedder, progress):
    """Write every document's chunks into the new build; return (manifest, embedded, reused,
    vectors by chunk id)."""
    target = store.collection(build, create=True)
    source_col = store.collection(reusable.build) if reusable else None
    manifest = Manifest(
        build=build,
        model=embedder.name,
        built_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        embedding=EMBEDDING_TEXT,
    )
    todo: list[tuple[Chunk, str]] = []
    reused, vectors = 0, {}
    for doc in docs:
        kept = reusable.documents.get(doc.source) if reusable else None
        if kept and kept["sha256"] == doc.sha256:
            reused += _copy(source_col, target, doc.source, vectors)
            count = kept["chunks"]
        else:
            chunks = chunk_document(doc)
            todo += [(c, embedding_text(c)) for c in chunks]
            count = len(chunks)
        manifest.documents[doc.source] = {"sha256": doc.sha256, "chunks": count, "title": doc.title}
    _embed_into(target, todo, embedder, progress, vectors)
    return manifest, len(todo), reused, vectors


def _copy(source_col, target, source: str, vectors: dict) -> int:
    """Copy one unchanged document's records, vectors included, into the new build (and its
    vectors into `vectors`, by chunk id)."""
    got = source_col.get(where={"source": source}, include=["embeddings", "documents", "metadatas"])
    vectors.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
    if got["ids"]:
        target.add(
            ids=got["ids"],
            embeddings=got["embeddings"],
            documents=got["documents"],
            metadatas=got["metadatas"],
        )
    return len(got["ids"])


def _embed_into(
    target, todo: list[tuple[Chunk, str]], embedder: Embedder, progress: bool, out: dict
) -> None:
    """Embed and store the chunks of `todo`, putting each vector into `out` by chunk id."""
    if not todo:
        return
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="嵌入片段", unit="段", disable=not progress, leave=False)
    documents = DocumentCount([c.source for c, _ in todo])
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        vectors = embedder.embed_documents([text for _, text in batch])
        metas = [dict(c.to_metadata(), context=text) for c, text in batch]
        target.add(
            ids=[c.id for c, _ in batch],
            embeddings=vectors,
            documents=[c.text for c, _ in batch],
            metadatas=metas,
        )
        # kept as float32 rows (1.5 KB a chunk), not the lists of Python floats Chroma takes
        out.update(zip([c.id for c, _ in batch], np.asarray(vectors, dtype=np.float32)))
        bar.update(len(batch))
        bar.set_postfix_str(documents.after(i + len(batch), bar.format_dict["elapsed"]), False)
    bar.close()


class DocumentCount:
    """Documents finished and documents per second, for the progress bar (chunks per second
    and the time left are tqdm's own)."""

    def __init__(self, sources: list[str]):
        self._last = {source: i for i, source in enumerate(sources)}
        self._ends = sorted(self._last.values())
        self.total = len(self._ends)

    def after(self, done_chunks: int, elapsed_s: float) -> str:
        done = bisect.bisect_left(self._ends, done_chunks)
        rate = done / elapsed_s if elapsed_s > 0 else 0.0
        return f"文档 {done}/{self.total}，{rate:.2f} 篇/秒"


@contextmanager
def _build_lock(data_dir: Path):
    """One build at a time per data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "index").mkdir(exist_ok=True)
    with open(data_dir / "index" / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
