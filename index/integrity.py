"""Is a build whole? Its snapshot is there, its SQLite file passes `PRAGMA quick_check`, and it
holds as many vectors as its manifest says. Cheap enough to run every time a build is opened."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

SQLITE_FILE = "chroma.sqlite3"


@dataclass
class Integrity:
    """What checking one build found: problems in words (empty when whole), and what it cost."""

    build: str
    expected: int
    vectors: int | None = None
    problems: list[str] = field(default_factory=list)
    milliseconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """One plain line for an operator."""
        if self.ok:
            return f"index build {self.build} is whole: {self.vectors} vectors as its manifest says"
        return f"index build {self.build} is damaged: {'; '.join(self.problems)}"

    def to_dict(self) -> dict:
        return dict(asdict(self), ok=self.ok)


def check_build(store, manifest) -> Integrity:
    """Check one build of `store` (an IndexStore) against its `manifest`.

    A local build: its snapshot, then its SQLite file (present, not empty, quick_check), and only
    then its vector count through Chroma, which must not open a damaged file (it panics on one,
    and creates an empty database where the file is missing). A build on a Chroma server: its
    vector count (the server looks after its own storage). A server that cannot be reached is
    not damage: that error is raised for the caller's outage handling."""
    started = time.perf_counter()
    found = Integrity(manifest.build, manifest.chunks)
    if not store.remote:
        found.problems = _local_problems(store, manifest.build)
    if found.ok:
        found.vectors, problem = _count(store, manifest.build)
        if problem:
            found.problems.append(problem)
        elif found.vectors != manifest.chunks:
            found.problems.append(
                f"it holds {found.vectors} vectors where its manifest lists {manifest.chunks}"
            )
    found.milliseconds = round((time.perf_counter() - started) * 1000, 2)
    return found


def _local_problems(store, build: str) -> list[str]:
    snapshot = store.snapshot_folder(build) / "tables.json"
    if not snapshot.is_file():
        return [f"{snapshot.parent} is missing"]
    db = store.root / build / SQLITE_FILE
    if not db.is_file():
        return [f"{db} is missing"]
    if db.stat().st_size == 0:
        return [f"{db} is empty"]
    problem = quick_check(db)
    return [f"{db} fails SQLite's check ({problem})"] if problem else []


def quick_check(db: Path) -> str | None:
    """None when SQLite's `PRAGMA quick_check` passes; otherwise its first complaint."""
    try:
        rows = _read(db, "PRAGMA quick_check")
    except sqlite3.Error as e:
        return str(e)
    first = rows[0][0] if rows else "no answer"
    return None if first == "ok" else str(first)


def _read(db: Path, sql: str, *args) -> list:
    """The rows of one query on an SQLite file opened read-only (sqlite3.Error when it fails)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute(sql, args).fetchall()


# The vectors of a named collection in Chroma's own SQLite file (chromadb 1.x's schema).
COUNT_SQL = (
    "SELECT c.name, count(e.id) FROM collections c"
    " LEFT JOIN segments s ON s.collection = c.id"
    " LEFT JOIN embeddings e ON e.segment_id = s.id"
    " WHERE c.name = ? GROUP BY c.name"
)


def _count(store, build: str) -> tuple[int | None, str | None]:
    """(vectors, None), or (None, why) when Chroma cannot read the build. A local build is
    counted in its SQLite file, which spares a start importing Chroma (about 1.3 s) when the
    answers come from the snapshot's vectors; a file whose tables are not as expected (another
    Chroma version) is counted through Chroma."""
    if not store.remote:
        try:
            rows = _read(store.root / build / SQLITE_FILE, COUNT_SQL, store.collection_name(build))
            if not rows:
                return None, f"its collection {store.collection_name(build)} is missing"
            return int(rows[0][1]), None
        except sqlite3.Error:
            pass
    from chromadb.errors import NotFoundError

    try:
        return store.collection(build).count(), None
    except NotFoundError:
        return None, f"its collection {store.collection_name(build)} is missing"
    except BaseException as e:  # Rust panics in chromadb derive from BaseException
        if store.remote or isinstance(e, KeyboardInterrupt | SystemExit):
            raise  # a server that does not answer is an outage, not damage
        why = str(e).splitlines()[0] if str(e) else ""
        return None, f"Chroma cannot read it ({type(e).__name__}: {why})"
