"""The documents folder as an operator manages it: add files (checked first, written in one
step), remove them, list them with what the index holds of each, and read them all for a build
(unchanged web pages, PDFs and Word files come back from the last build's stored texts).

A file is taken only when it is a document: its type told by its content, its size within
JJQA_MAX_UPLOAD_BYTES, a DOCX within JJQA_MAX_UNPACKED_BYTES once unpacked, and readable
(text found, not encrypted) within JJQA_PARSE_TIMEOUT_S in a separate process. Anything else
is refused with a message and changes nothing: the file is first written to a hidden file in
the folder (which builds skip) and only renamed into place once it has passed."""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from bot.errors import DocumentError, IndexBuildError, UnknownDocument
from bot.settings import Settings
from index.formats import size_text, sniff, suffix_for
from index.formats.guard import Extractor
from index.load import TEXT_SUFFIXES, LoadedDocument, find_documents, load_document, source_name

MAX_NAME_BYTES = 255
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_SPACES = re.compile(r"\s+")
COPY_CHUNK = 1 << 20
TAKEN = "已有同名文档（要替换它：命令行加 --replace，接口加 replace=true）"


@dataclass
class DocumentInfo:
    """One document as `python -m index list` and the admin API show it."""

    name: str
    source: str
    format: str
    bytes: int
    sha256: str
    chunks: int | None = None
    added: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    pages: int | None = None
    indexed: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def safe_name(raw: str) -> str:
    """A file name that is safe to create in the documents folder: the last path component
    only, no control or reserved characters, not hidden, at most 255 bytes (the suffix kept).
    Raises DocumentError when nothing usable is left."""
    name = unicodedata.normalize("NFC", str(raw or "")).replace("\\", "/").split("/")[-1]
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip(" ._")
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = name, ""
    suffix = f".{suffix}" if suffix else ""
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES and stem:
        stem = stem[:-1]
    name = (stem.rstrip(" ._") + suffix) if stem else ""
    if not name or name in (".", "..") or not stem:
        raise DocumentError(f"文件名 {str(raw)[:80]!r} 不能用：去掉路径和特殊字符后什么也不剩")
    return name


class Documents:
    """The documents folder (JJQA_DOCS_DIR) of one deployment."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.folder = Path(settings.docs_dir)

    # -- adding ------------------------------------------------------------------------------
    def add_stream(self, stream: BinaryIO, filename: str, *, replace: bool = False) -> str:
        """Take an uploaded file: check it and put it in the folder; returns its name there.
        Raises DocumentError, leaving the folder as it was, when the file is refused."""
        return self.add_streams([(stream, filename)], replace=replace)[0]

    def add_files(self, paths: list[Path], *, replace: bool = False) -> list[str]:
        """Copy local files in, checked as uploads are; returns their names in the folder.
        Every file is checked before any is placed: when one is refused, none is added."""
        missing = [p for p in map(Path, paths) if not p.is_file()]
        if missing:
            raise DocumentError(f"{missing[0]}：没有这个文件")
        streams = [open(p, "rb") for p in map(Path, paths)]
        try:
            return self.add_streams([(s, Path(s.name).name) for s in streams], replace=replace)
        finally:
            for stream in streams:
                stream.close()

    def add_streams(self, files: list[tuple[BinaryIO, str]], *, replace: bool = False) -> list[str]:
        """Take several files (stream, file name): all of them, or (one refused) none."""
        staged: list[tuple[Path, str]] = []
        try:
            for stream, filename in files:
                staged.append(self._stage(stream, filename))
            return self._place(staged, replace)
        finally:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)

    def _stage(self, stream: BinaryIO, filename: str) -> tuple[Path, str]:
        """Receive a file into a hidden file in the folder and check it; returns the hidden
        file and the name it is to have. Raises DocumentError (the hidden file removed)."""
        name = safe_name(filename)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".upload-{uuid.uuid4().hex}.tmp"
        try:
            self._receive(stream, tmp, name)
            return tmp, self._check(tmp, name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _receive(self, stream: BinaryIO, tmp: Path, name: str) -> None:
        limit = self.settings.max_upload_bytes
        size = 0
        with open(tmp, "wb") as out:
            while piece := stream.read(COPY_CHUNK):
                size += len(piece)
                if size > limit:
                    raise DocumentError(f"{name}：文件超过上限 {size_text(limit)}，没有保存")
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())

    def _check(self, tmp: Path, name: str) -> str:
        """Check a received file; returns its final name (given the suffix of its format)."""
        try:
            fmt = sniff(tmp)
        except DocumentError as e:
            raise DocumentError(str(e).replace(tmp.name, name, 1)) from None
        if fmt == "text" and Path(name).suffix.lower() not in TEXT_SUFFIXES:
            raise DocumentError(f"{name}：纯文本文档要以 .txt 或 .md 结尾")
        name = suffix_for(fmt, name)
        if len(name.encode("utf-8")) > MAX_NAME_BYTES:
            name = safe_name(name)
        try:
            doc = self._read(tmp, fmt, name)
        except DocumentError as e:
            raise DocumentError(str(e).replace(tmp.name, name)) from None
        if not any(p.kind == "text" for p in doc.passages):
            raise DocumentError(f"{name}：没有可以回答问题的正文")
        return name

    def _place(self, staged: list[tuple[Path, str]], replace: bool) -> list[str]:
        """Move checked files to their names: all of them, or (a name taken and `replace` not
        given, or two files with one name) none."""
        names = [name for _, name in staged]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise DocumentError(f"{twice[0]}：同一个文件名出现了两次")
        if not replace:
            taken = [n for n in names if (self.folder / n).exists()]
            if taken:
                raise DocumentError(f"{taken[0]}：{TAKEN}")
        placed = []
        for tmp, name in staged:
            final = self.folder / name
            if replace:
                os.replace(tmp, final)
            else:
                try:
                    os.link(tmp, final)  # fails, atomically, when the name was taken meanwhile
                except FileExistsError:
                    for done in placed:
                        (self.folder / done).unlink(missing_ok=True)
                    raise DocumentError(f"{name}：{TAKEN}") from None
            placed.append(name)
        return placed

    def _read(self, path: Path, fmt: str, name: str) -> LoadedDocument:
        if fmt == "text":
            return load_document(path, name)
        with Extractor.for_settings(self.settings) as extractor:
            return load_document(path, name, extractor)

    # -- removing ----------------------------------------------------------------------------
    def resolve(self, name: str) -> Path:
        """The document file `name` names (relative to the folder, or as its source name
        docs/x.pdf); raises DocumentError for anything that is not one of the documents."""
        documents = {self.name_of(p): p for p in find_documents(self.folder)}
        prefix = self.folder.resolve().name + "/"
        key = name[len(prefix) :] if name.startswith(prefix) and name not in documents else name
        if key not in documents:
            raise UnknownDocument(f"没有名为 {name!r} 的文档（python -m index list 列出全部）")
        return documents[key]

    def remove(self, names: list[str]) -> list[str]:
        """Delete documents by name; all are checked before any is deleted. The last document
        cannot be removed (an index needs one)."""
        paths = [self.resolve(n) for n in names]
        if len(set(paths)) >= len(find_documents(self.folder)):
            raise DocumentError("不能删除全部文档：索引至少要有一篇；先添加新文档再删除旧的")
        removed = []
        for path in dict.fromkeys(paths):
            path.unlink()
            removed.append(self.name_of(path))
        return removed

    def name_of(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.folder.resolve()).as_posix()

    # -- listing -----------------------------------------------------------------------------
    def list(self) -> list[DocumentInfo]:
        """Every document in the folder with what the live build holds of it."""
        from index.store import IndexStore

        manifest = IndexStore(self.settings).current()
        held = manifest.documents if manifest else {}
        out = []
        for path in find_documents(self.folder):
            source = source_name(self.folder, path)
            fmt = "text" if path.suffix.lower() in TEXT_SUFFIXES else _format(path)
            sha = _hash(path, fmt)
            entry = held.get(source) or {}
            indexed = entry.get("sha256") == sha
            out.append(
                DocumentInfo(
                    name=self.name_of(path),
                    source=source,
                    format=fmt,
                    bytes=path.stat().st_size,
                    sha256=sha,
                    chunks=entry.get("chunks") if indexed else None,
                    added=entry.get("added") if indexed else None,
                    title=entry.get("title") if indexed else None,
                    author=entry.get("author") if indexed else None,
                    date=entry.get("date") if indexed else None,
                    pages=entry.get("pages") if indexed else None,
                    indexed=indexed,
                )
            )
        return out


# -- reading every document for a build ------------------------------------------------------
def load_all(settings: Settings, store, paths: list[Path], progress: bool = True, watch=None):
    """Every document, read for a build: plain text from its file, other formats from the
    last build's stored text when the file is unchanged, else in a guarded child process.
    Raises IndexBuildError naming every file that cannot be read."""
    from tqdm import tqdm

    from index.texts import BuildTexts, build_folder

    old = store.current()
    kept = old.documents if old else {}
    stored = BuildTexts(build_folder(store, old.build)) if old else None
    docs, failures = [], []
    if watch:
        watch.loading(len(paths))
    bar = tqdm(total=len(paths), desc="读取文档", unit="篇", disable=not progress, leave=False)
    with Extractor.for_settings(settings) as extractor:
        for path in paths:
            source = source_name(settings.docs_dir, path)
            try:
                docs.append(_load_one(path, source, kept, stored, extractor))
            except DocumentError as e:
                failures.append(f"{source}：{str(e).split('：', 1)[-1]}")
            bar.update(1)
            if watch:
                watch.loaded(len(docs) + len(failures))
    bar.close()
    if failures:
        raise IndexBuildError("这些文档读不出来，索引没有改变：" + "；".join(failures))
    if watch:
        from index.chunk import chunk_document

        changed = [d for d in docs if (kept.get(d.source) or {}).get("sha256") != d.sha256]
        watch.plan([len(chunk_document(d)) for d in changed], len(docs) - len(changed))
    return docs


def _load_one(path: Path, source: str, kept: dict, stored, extractor) -> LoadedDocument:
    if path.suffix.lower() in TEXT_SUFFIXES:
        return load_document(path, source)
    if path.stat().st_size > extractor.max_bytes:
        raise DocumentError(f"{path.name}：文件超过上限 {size_text(extractor.max_bytes)}")
    fmt = sniff(path)
    entry = kept.get(source) or {}
    if stored is not None and entry.get("sha256") == _hash(path, fmt) and source in stored:
        doc = stored.document(source)
        if doc is not None:
            return doc
    return load_document(path, source, extractor)


def describe(settings: Settings, manifest, docs: list[LoadedDocument], old) -> None:
    """Add to each manifest entry what `list` shows: format, size, pages, author, date, and
    when it was added (kept from the last build while the content is the same)."""
    before = old.documents if old else {}
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    for doc in docs:
        entry = manifest.documents[doc.source]
        previous = before.get(doc.source) or {}
        same = previous.get("sha256") == doc.sha256 and previous.get("added")
        path = Path(settings.docs_dir).resolve().parent / doc.source
        entry.update(
            format=doc.format,
            bytes=path.stat().st_size if path.exists() else None,
            pages=len(doc.page_starts) or None,
            author=doc.author,
            date=doc.date,
            added=previous["added"] if same else now,
        )


def _format(path: Path) -> str:
    try:
        return sniff(path)
    except (DocumentError, OSError):
        return "?"


def _hash(path: Path, fmt: str) -> str:
    """The content hash the index keeps: of the text for plain text, of the bytes otherwise."""
    if fmt == "text":
        text = path.read_text(encoding="utf-8", errors="replace")
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(COPY_CHUNK):
            digest.update(piece)
    return digest.hexdigest()
