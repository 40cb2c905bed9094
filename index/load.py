"""Read the documents in docs/ and repair extraction artefacts without changing what they say.

Plain text (.txt, .md) is read as it is. Web pages, PDF and Word files are told apart by their
content and read by index/formats/: their blocks are laid out as the text loader's own Markdown
(headings as `#` lines, one paragraph per line, pages in order), and that extracted text is what
the build stores, chunks and cites, so offsets into it work for every format.

A document becomes a list of passages. Each passage keeps its place in the source file: its
text is the file's text with only the whitespace of repaired line breaks removed, and `gaps`
records where that whitespace was, so any substring maps back to exact file offsets.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from bot.text import CLOSERS, SENTENCE_ENDS
from index.offsets import file_offset, file_span

TEXT_SUFFIXES = {".txt", ".md"}
CAPTION = re.compile(r"摄\s*/|^图片|图片除署名外|由.{0,20}提供$")
BYLINE = re.compile(r"^[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})+$")
HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*#*$")
SHORT_LINE = 40


@dataclass
class Passage:
    """A paragraph of a document: heading, text, caption or byline, with its file offsets."""

    text: str
    start: int
    gaps: list[tuple[int, int]] = field(default_factory=list)
    kind: str = "text"
    section: str | None = None

    def offset(self, i: int) -> int:
        """File offset of character `i` of `text`."""
        return file_offset(self.start, self.gaps, i)

    def span(self, i: int, j: int) -> tuple[int, int]:
        """File offsets (start, end) of `text[i:j]`."""
        return file_span(self.start, self.gaps, i, j)


@dataclass
class LoadedDocument:
    """One file from docs/: its text (as extracted, for formats other than plain text),
    content hash, repaired passages, and what the document states about itself.

    `page_starts[k]` is the text offset where page k+1 begins (PDFs only)."""

    source: str
    text: str
    sha256: str
    passages: list[Passage]
    title: str | None = None
    format: str = "text"
    author: str | None = None
    date: str | None = None
    page_starts: list[int] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding text offset `offset`, or None for a format without pages."""
        return bisect_right(self.page_starts, offset) or None if self.page_starts else None


def find_documents(docs_dir: Path) -> list[Path]:
    """Every document under docs_dir, in a stable order: .txt and .md files, and web pages,
    PDF and Word files whatever their names. Hidden files and anything else (images, the
    profile) are not documents."""
    from index.formats import DocumentError, sniff

    docs_dir = Path(docs_dir)
    if not docs_dir.is_dir():
        return []
    found = []
    for p in sorted(docs_dir.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(docs_dir).parts):
            continue
        if p.suffix.lower() in TEXT_SUFFIXES:
            found.append(p)
            continue
        try:
            sniff(p)
        except (DocumentError, OSError):
            continue
        found.append(p)
    return found


def load_document(path: Path, source: str, extractor=None) -> LoadedDocument:
    """Read one file and split it into repaired passages. Plain text is read here; other
    formats are read by `extractor` (index.formats.guard.Extractor: a child process with a
    time limit), a one-off one when none is given. Raises DocumentError for a file that
    cannot be read."""
    from index.formats import DocumentError, sniff

    fmt = "text" if Path(path).suffix.lower() in TEXT_SUFFIXES else sniff(path)
    if fmt != "text":
        from index.formats.guard import Extractor

        if extractor is not None:
            return from_extracted(extractor.read(path, fmt), source, _file_hash(path))
        with Extractor() as own:
            return from_extracted(own.read(path, fmt), source, _file_hash(path))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DocumentError(f"{Path(path).name}：不是 UTF-8 编码的文本，请另存为 UTF-8") from e
    passages = _classify(_lines(text))
    passages = _join_broken(passages, text)
    title = next((p.text for p in passages if p.kind == "title"), None)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedDocument(source=source, text=text, sha256=sha, passages=passages, title=title)


def from_extracted(extracted, source: str, sha256: str) -> LoadedDocument:
    """A document from a format reader's blocks: each block one line of Markdown (a heading
    as `#` times its level), blocks apart by a blank line, read by the text loader's own rules
    (sections, captions, bylines, paragraphs joined across page breaks). What the reader knew
    for sure (a caption, a byline, a paragraph that only looks like a heading) is kept."""
    lines, kinds, page_starts, at, page = [], [], [], 0, None
    for block in extracted.blocks:
        line = f"{'#' * block.level} {block.text}" if block.kind == "heading" else block.text
        if block.page is not None and block.page != page:
            page_starts += [at] * (block.page - len(page_starts))
            page = block.page
        lines.append(Passage(text=line, start=at))
        kinds.append(block.kind)
        at += len(line) + 2
    text = "\n\n".join(p.text for p in lines) + "\n"
    if page_starts and extracted.pages:  # pages after the last text (blank, images)
        page_starts += [len(text)] * (extracted.pages - len(page_starts))
    passages = _classify(lines)
    section = None
    for p, kind in zip(passages, kinds):
        if kind in ("caption", "byline"):
            p.kind = kind
        elif kind == "text" and p.kind in ("title", "subtitle", "heading"):
            p.kind, p.start = "text", text.rfind("\n", 0, p.start) + 1
            p.text = text[p.start : text.index("\n", p.start)]
        if p.kind in ("title", "subtitle", "heading"):
            section = p.text
        p.section = section
    passages = _join_broken(passages, text)
    title = next((p.text for p in passages if p.kind == "title"), None) or extracted.title
    return LoadedDocument(
        source=source,
        text=text,
        sha256=sha256,
        passages=passages,
        title=title,
        format=extracted.format,
        author=extracted.author,
        date=extracted.date,
        page_starts=page_starts,
    )


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def _lines(text: str) -> list[Passage]:
    """Non-blank lines with surrounding whitespace trimmed, each with its file offset."""
    out = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        stripped = line.strip()
        if stripped:
            out.append(Passage(text=stripped, start=match.start() + line.index(stripped)))
    return out


def _classify(lines: list[Passage]) -> list[Passage]:
    """Mark headings, captions and bylines, and give every passage its section."""
    section = None
    for p in lines:
        heading = HEADING.match(p.text)
        if heading:
            level = len(heading.group(1))
            p.kind = {1: "title", 2: "subtitle"}.get(level, "heading")
            prefix = p.text.index(heading.group(2))
            p.text, p.start = heading.group(2), p.start + prefix
            section = p.text
        elif CAPTION.search(p.text):
            p.kind = "caption"
        elif BYLINE.match(p.text):
            p.kind = "byline"
        elif len(p.text) < SHORT_LINE and p.text[-1] not in SENTENCE_ENDS + CLOSERS:
            p.kind = "caption"
        p.section = section
    return lines


def _join_broken(passages: list[Passage], text: str) -> list[Passage]:
    """Join a text paragraph that stops mid-sentence with the text paragraph after it."""
    out: list[Passage] = []
    for p in passages:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "text"
            and p.kind in ("text", "caption")
            and prev.text[-1] not in SENTENCE_ENDS + CLOSERS
        ):
            prev_end = prev.offset(len(prev.text) - 1) + 1
            gap = p.start - prev_end
            if text[prev_end : p.start].strip() == "":
                prev.gaps.append((len(prev.text), gap))
                prev.text += p.text
                continue
        out.append(p)
    return out


def source_name(docs_dir: Path, path: Path) -> str:
    """How citations name a file: relative to the folder above docs_dir, e.g. docs/x.txt."""
    docs_dir = Path(docs_dir).resolve()
    return Path(path).resolve().relative_to(docs_dir.parent).as_posix()


def source_path(docs_dir: Path, source: str) -> Path:
    """The file a citation's `source` names."""
    return Path(docs_dir).resolve().parent / source
