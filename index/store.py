"""Where index builds live, and the atomic pointer that says which build is current.

Embedded (the default): each build is its own Chroma folder under `<data_dir>/index/<build>/`
with a `manifest.json`; the file `CURRENT` names the live build and is replaced atomically.
With JJQA_CHROMA_URL: each build is a collection `jjqa-<build>` on a Chroma server, and the
metadata of the collection `jjqa-current` names the live build.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.errors import ConfigError, IndexBuildError
from bot.settings import Settings
from index.integrity import Integrity, check_build
from index.snapshot import FOLDER as SNAPSHOT_FOLDER
from index.snapshot import VERSION as SNAPSHOT_VERSION
from index.snapshot import Snapshot

COLLECTION = "jjqa"
# Up to this many chunks a question is compared with every stored vector (exact, as the ranker
# was fitted); past it Chroma's HNSW index answers, which touches a few hundred. Measured on 2
# cores, DRCD dev, warm p50: 1,000 passages (11,531 chunks) 24.6-28.6 ms exact against
# 18.7-21.4 ms with HNSW (the exact scan reads 17 MB a question and slows what follows); at
# 256 CMRC passages (3,464 chunks) exact search costs under 1 ms.
EXACT_SEARCH_MAX = 5_000
POINTER = "jjqa-current"


@dataclass
class Manifest:
    """What a build holds: documents with their content hashes and chunk counts, and the model."""

    build: str
    model: str
    built_at: str
    build_seconds: float = 0.0
    documents: dict[str, dict] = field(default_factory=dict)
    snapshot: int = 0
    profile_hash: str = ""
    embedding: int = 0

    @property
    def chunks(self) -> int:
        return sum(d.get("chunks", 0) for d in self.documents.values())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 100000}"


def _client_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class IndexStore:
    """Opens, creates and publishes builds, in a local folder or on a Chroma server."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.root = Path(settings.data_dir) / "index"
        self.remote = bool(settings.chroma_url)
        self._http = None

    # -- which build is live -------------------------------------------------------------
    def current(self) -> Manifest | None:
        """The manifest of the live build, or None when nothing has been built."""
        if self.remote:
            try:
                meta = self._server().get_collection(POINTER).metadata or {}
            except Exception:
                return None
            return Manifest.from_dict(json.loads(meta["manifest"])) if "manifest" in meta else None
        pointer = self.root / "CURRENT"
        if not pointer.exists():
            return None
        build = pointer.read_text(encoding="utf-8").strip()
        try:
            data = json.loads((self.root / build / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Manifest.from_dict(data)

    def usable(self, manifest: Manifest, model: str) -> bool:
        """True when the build was made with this embedding model, this snapshot format and
        the profile's current wording (otherwise the next build derives it again)."""
        return (
            manifest.model == model
            and manifest.snapshot == SNAPSHOT_VERSION
            and manifest.profile_hash == self.settings.profile().wording_hash()
        )

    def check(self, manifest: Manifest) -> Integrity:
        """Whether a build is whole (index/integrity.py says what is checked)."""
        return check_build(self, manifest)

    def problems(self, manifest: Manifest) -> list[str]:
        """What is wrong with a build, in words (empty when nothing is found)."""
        return self.check(manifest).problems

    def earlier(self, build: str) -> list[Manifest]:
        """The other published builds still kept (local ones only), newest first."""
        if self.remote or not self.root.is_dir():
            return []
        found = []
        for folder in self.root.iterdir():
            if folder.name == build or not (folder / "manifest.json").is_file():
                continue
            try:
                data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError, TypeError):
                continue
            found.append(Manifest.from_dict(data))
        return sorted(found, key=lambda m: (m.built_at, m.build), reverse=True)

    def snapshot(self, manifest: Manifest) -> Snapshot:
        """The build's snapshot: stored with a local build; derived once from a server's
        collection and kept under the data directory."""
        folder = self.snapshot_folder(manifest.build)
        if self.remote and not (folder / "tables.json").exists():
            self._derive_snapshot(manifest, folder)
        try:
            return Snapshot.load(folder)
        except (OSError, ValueError, KeyError) as e:
            raise IndexBuildError(
                f"the index build {manifest.build} is damaged ({e}); run python -m index build"
            ) from e

    def snapshot_folder(self, build: str) -> Path:
        if self.remote:
            return self.root / "remote" / build / SNAPSHOT_FOLDER
        return self.root / build / SNAPSHOT_FOLDER

    def _derive_snapshot(self, manifest: Manifest, folder: Path) -> None:
        from index.chunk import Chunk
        from index.snapshot import build_snapshot

        got = self.collection(manifest.build).get(include=["documents", "metadatas", "embeddings"])
        chunks = [Chunk.from_metadata(t, m) for t, m in zip(got["documents"], got["metadatas"])]
        chunks.sort(key=lambda c: (c.source, c.order))
        titles = {s: d.get("title") or "" for s, d in manifest.documents.items()}
        profile = self.settings.profile()
        snapshot = build_snapshot(chunks, titles, profile.words(), profile.wording_hash())
        snapshot.with_vectors(dict(zip(got["ids"], got["embeddings"])))
        tmp = folder.with_name(folder.name + f".{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        snapshot.save(tmp)
        os.replace(tmp, folder)

    def dense(self, manifest: Manifest, snapshot: Snapshot):
        """Dense search over the build's vectors: exact, over the snapshot's memory-mapped copy,
        for a local build of up to EXACT_SEARCH_MAX chunks; else Chroma's HNSW index."""
        vectors = snapshot.vectors
        if vectors is not None and not self.remote and len(vectors) <= EXACT_SEARCH_MAX:
            from bot.retrieve import MatrixDense

            return MatrixDense(vectors)
        ids = [c.id for c in snapshot.chunks]
        return ChromaDense(self.collection(manifest.build), ids, vectors)

    def version(self) -> str | None:
        """A cheap token that changes whenever another build is published."""
        if self.remote:
            manifest = self.current()
            return manifest.build if manifest else None
        try:
            return (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def publish(self, manifest: Manifest) -> None:
        """Make the build live in one atomic step."""
        if self.remote:
            payload = {"build": manifest.build, "manifest": json.dumps(manifest.to_dict())}
            pointer = self._server().get_or_create_collection(POINTER, embedding_function=None)
            pointer.modify(metadata=payload)
            return
        folder = self.root / manifest.build
        (folder / "manifest.json").write_text(
            json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(manifest.build, encoding="utf-8")
        os.replace(tmp, self.root / "CURRENT")

    # -- collections ---------------------------------------------------------------------
    def collection(self, build: str, create: bool = False):
        """The Chroma collection of a build (created empty when `create`)."""
        client = self.client(build)
        name = f"{COLLECTION}-{build}" if self.remote else COLLECTION
        if create:
            return client.create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        return client.get_collection(name, embedding_function=None)

    def client(self, build: str):
        """A chromadb client holding the build."""
        if self.remote:
            return self._server()
        import chromadb

        folder = self.root / build
        folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(folder), settings=_client_settings())

    def collection_name(self, build: str) -> str:
        return f"{COLLECTION}-{build}" if self.remote else COLLECTION

    def _server(self):
        if self._http is None:
            import chromadb

            url = urlparse(self.settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ConfigError(
                    f"JJQA_CHROMA_URL={self.settings.chroma_url!r} is not a URL like http://host:8000"
                )
            try:
                self._http = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https",
                    settings=_client_settings(),
                )
            except Exception as e:
                raise IndexBuildError(
                    f"cannot reach the Chroma server at {self.settings.chroma_url}: {e}"
                ) from e
        return self._http

    # -- housekeeping --------------------------------------------------------------------
    def discard(self, build: str) -> None:
        """Remove a build that was never published (an interrupted or failed build)."""
        if self.remote:
            try:
                self._server().delete_collection(f"{COLLECTION}-{build}")
            except Exception:
                pass
            return
        shutil.rmtree(self.root / build, ignore_errors=True)

    def prune(self, keep: set[str]) -> None:
        """Delete builds other than `keep` (the live one and the one before it)."""
        if self.remote:
            for col in self._server().list_collections():
                name = col if isinstance(col, str) else col.name
                if name.startswith(COLLECTION + "-") and name != POINTER:
                    if name[len(COLLECTION) + 1 :] not in keep:
                        self._server().delete_collection(name)
            return
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)


class ChromaDense:
    """Nearest chunks by cosine similarity from a build's Chroma collection."""

    def __init__(self, collection, ids: list[str], matrix=None):
        self._collection = collection
        self._ids = ids
        self._matrix = matrix  # row i = chunk i's vector, or None to ask Chroma
        self._by_id = {cid: i for i, cid in enumerate(ids)}

    def search(self, vector, k: int) -> list[tuple[int, float]]:
        k = min(k, len(self._by_id))
        if k <= 0:
            return []
        found = self._collection.query(
            query_embeddings=[list(map(float, vector))], n_results=k, include=["distances"]
        )
        pairs = zip(found["ids"][0], found["distances"][0])
        return [(self._by_id[i], 1.0 - float(d)) for i, d in pairs if i in self._by_id]

    def vectors(self, indices: list[int]):
        import numpy as np

        if self._matrix is not None:
            return np.asarray(self._matrix[indices], dtype=np.float32)
        ids = [self._ids[i] for i in indices]
        got = self._collection.get(ids=ids, include=["embeddings"])
        rows = dict(zip(got["ids"], got["embeddings"]))
        return np.asarray([rows[i] for i in ids], dtype=np.float32)
