"""Read the documents in docs/ and repair extraction artefacts without changing what they say.

A document becomes a list of passages. Each passage keeps its place in the source file: its
text is the file's text with only the whitespace of repaired line breaks removed, and `gaps`
records where that whitespace was, so any substring maps back to exact file offsets.
"""

from __future__ import annotations

import hashlib
import re
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
    """One file from docs/: its raw text, content hash and repaired passages."""

    source: str
    text: str
    sha256: str
    passages: list[Passage]
    title: str | None = None


def find_documents(docs_dir: Path) -> list[Path]:
    """Every .txt and .md file under docs_dir, in a stable order."""
    docs_dir = Path(docs_dir)
    if not docs_dir.is_dir():
        return []
    return sorted(
        p for p in docs_dir.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
    )


def load_document(path: Path, source: str) -> LoadedDocument:
    """Read one file (UTF-8) and split it into repaired passages."""
    text = Path(path).read_text(encoding="utf-8")
    passages = _classify(_lines(text))
    passages = _join_broken(passages, text)
    title = next((p.text for p in passages if p.kind == "title"), None)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedDocument(source=source, text=text, sha256=sha, passages=passages, title=title)


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
