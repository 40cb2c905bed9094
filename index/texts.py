"""The extracted text of every document, stored in each build (`<build>/texts/`) beside its
vectors and snapshot, and published with them in one step. Citations are offsets into these
texts: for a .txt file the text is the file's own, for a web page, PDF or Word file it is what
the build extracted, so `text[start:end]` equals a quote (whitespace ignored) for every format.

A later build reads an unchanged document back from here instead of parsing its file again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from index.load import LoadedDocument, Passage

FOLDER = "texts"
INDEX = "index.json"


def file_name(source: str) -> str:
    """The stored file of a document: named by a hash of its source, never by the source."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:24] + ".json"


def write_texts(build_folder: Path, docs: list[LoadedDocument]) -> None:
    """Store every document's text, passages and metadata in `<build_folder>/texts/`."""
    folder = Path(build_folder) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    index = {}
    for doc in docs:
        name = file_name(doc.source)
        index[doc.source] = name
        (folder / name).write_text(json.dumps(_to_dict(doc), ensure_ascii=False), "utf-8")
    (folder / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1), "utf-8")


def has_texts(build_folder: Path) -> bool:
    """Whether a build stored its documents' texts (builds made before it did not)."""
    return (Path(build_folder) / FOLDER / INDEX).is_file()


class BuildTexts:
    """The stored documents of one build (empty for a build made before texts were stored)."""

    def __init__(self, build_folder: Path):
        self.folder = Path(build_folder) / FOLDER
        try:
            self.index = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.index = {}
        self._texts: dict[str, str] = {}

    def __contains__(self, source: str) -> bool:
        return source in self.index

    def sources(self) -> list[str]:
        return sorted(self.index)

    def document(self, source: str) -> LoadedDocument | None:
        """The document as the build read it, or None when the build does not hold it."""
        name = self.index.get(source)
        if name is None:
            return None
        try:
            data = json.loads((self.folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return _from_dict(data)

    def text(self, source: str) -> str | None:
        """The extracted text a citation's offsets refer to."""
        if source not in self._texts:
            doc = self.document(source)
            if doc is None:
                return None
            self._texts[source] = doc.text
        return self._texts[source]


def current_texts(settings) -> BuildTexts | None:
    """The stored documents of the live build, or None when there is none."""
    from index.store import IndexStore

    store = IndexStore(settings)
    manifest = store.current()
    if manifest is None:
        return None
    return BuildTexts(build_folder(store, manifest.build))


def build_folder(store, build: str) -> Path:
    """The local folder of a build (for a Chroma server, the one kept beside its snapshot)."""
    return store.snapshot_folder(build).parent


def _to_dict(doc: LoadedDocument) -> dict:
    return {
        "source": doc.source,
        "format": doc.format,
        "sha256": doc.sha256,
        "title": doc.title,
        "author": doc.author,
        "date": doc.date,
        "page_starts": doc.page_starts,
        "text": doc.text,
        "passages": [
            [p.text, p.start, [list(g) for g in p.gaps], p.kind, p.section] for p in doc.passages
        ],
    }


def _from_dict(data: dict) -> LoadedDocument:
    passages = [
        Passage(text=t, start=s, gaps=[tuple(g) for g in gaps], kind=k, section=sec)
        for t, s, gaps, k, sec in data["passages"]
    ]
    return LoadedDocument(
        source=data["source"],
        text=data["text"],
        sha256=data["sha256"],
        passages=passages,
        title=data.get("title"),
        format=data.get("format", "text"),
        author=data.get("author"),
        date=data.get("date"),
        page_starts=list(data.get("page_starts") or []),
    )
