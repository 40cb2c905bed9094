"""How far a build has got, in a small JSON file beside the builds, so that any process (the
CLI, any worker of the HTTP server) can show documents done and remaining."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

FILE = "progress.json"


def progress_path(data_dir: Path) -> Path:
    return Path(data_dir) / "index" / FILE


def read_progress(data_dir: Path) -> dict:
    """The last build's progress, or {"state": "idle"} when none was recorded."""
    try:
        return json.loads(progress_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"state": "idle"}


class BuildProgress:
    """Records a build's stages: waiting → loading → embedding → done (or failed).

    Documents count as done once read and, when they changed, once all their pieces are
    embedded; unchanged documents keep their vectors and are done as soon as they are read."""

    def __init__(self, data_dir: Path, reason: str = ""):
        self.path = progress_path(data_dir)
        self.state = {
            "state": "waiting",
            "reason": reason,
            "documents": {"done": 0, "total": 0},
            "chunks": {"done": 0, "total": 0},
            "started_at": _now(),
            "finished_at": None,
            "error": None,
            "build": None,
        }
        self._ends: list[int] = []  # cumulative chunk counts of the changed documents
        self._unchanged = 0
        self._lock = threading.Lock()
        self._write()

    def loading(self, total: int) -> None:
        self._set(state="loading", documents={"done": 0, "total": total})

    def loaded(self, done: int) -> None:
        self._set(documents=dict(self.state["documents"], done=done))

    def plan(self, changed_chunks: list[int], unchanged: int) -> None:
        """The chunk counts of the documents to embed, in build order, and how many are kept."""
        total, ends = 0, []
        for n in changed_chunks:
            total += n
            ends.append(total)
        self._ends, self._unchanged = ends, unchanged
        docs = {"done": unchanged, "total": unchanged + len(changed_chunks)}
        self._set(state="embedding", documents=docs, chunks={"done": 0, "total": total})

    def embedded(self, n: int) -> None:
        with self._lock:
            done = self.state["chunks"]["done"] + n
            finished = self._unchanged + sum(1 for end in self._ends if end <= done)
        total = max(done, self.state["chunks"]["total"])  # a forced build embeds everything
        self._set(
            chunks={"done": done, "total": total},
            documents=dict(self.state["documents"], done=finished),
        )

    def finished(self, build: str, documents: int) -> None:
        docs = {"done": documents, "total": documents}
        self._set(state="done", build=build, documents=docs, finished_at=_now())

    def failed(self, message: str) -> None:
        self._set(state="failed", error=message, finished_at=_now())

    def _set(self, **changes) -> None:
        with self._lock:
            self.state.update(changes)
            self._write()

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # progress is for people to look at; the build does not depend on it


class CountingEmbedder:
    """An embedder that reports each batch of documents it embeds to a BuildProgress."""

    def __init__(self, embedder, progress: BuildProgress):
        self._embedder = embedder
        self._progress = progress

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._embedder.embed_documents(texts)
        self._progress.embedded(len(texts))
        return vectors


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")
