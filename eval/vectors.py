"""A disk cache of embeddings for fitting and experiments: the same text with the same model
is embedded once, whatever the number of runs (SQLite under the data directory)."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

BATCH = 32


class VectorCache:
    """Vectors of texts by (model, query or passage, text), computed on a miss and kept."""

    def __init__(self, embedder, path: Path):
        self.embedder = embedder
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("create table if not exists v (k text primary key, v blob)")

    def _key(self, text: str, query: bool) -> str:
        raw = f"{self.embedder.name}\0{int(query)}\0{text}".encode()
        return hashlib.sha1(raw).hexdigest()

    def get(self, texts: list[str], *, query: bool, progress: bool = False) -> np.ndarray:
        """A float32 matrix, one row per text, in order."""
        keys = [self._key(t, query) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for k, v in self._db.execute(f"select k, v from v where k in ({marks})", part):
                found[k] = np.frombuffer(v, dtype=np.float32)
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        bar = tqdm(total=len(todo), desc="embedding", file=sys.stderr, disable=not progress)
        for i in range(0, len(todo), BATCH):
            batch = todo[i : i + BATCH]
            vectors = np.asarray(self.embedder.embed(batch, query=query), dtype=np.float32)
            rows = [(self._key(t, query), v.tobytes()) for t, v in zip(batch, vectors)]
            self._db.executemany("insert or replace into v values (?, ?)", rows)
            self._db.commit()
            for (k, _), v in zip(rows, vectors):
                found[k] = v
            bar.update(len(batch))
        bar.close()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys])
