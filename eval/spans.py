"""Whitespace-insensitive positions in source files: find quotes, map offsets, measure overlap.

A plain-text source is read from its file; a web page, PDF or Word file from the text the live
build extracted from it (index/texts.py), which is what citations' offsets refer to."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.settings import PROJECT_ROOT
from index.load import TEXT_SUFFIXES

WHITESPACE = re.compile(r"\s+")

# Two spans cover the same text when they share at least this share of the shorter one.
MIN_SHARED = 0.5


def squeeze(text: str) -> str:
    """Text with all whitespace removed (the article breaks sentences with blank lines)."""
    return WHITESPACE.sub("", text)


@dataclass(frozen=True)
class Span:
    """Non-whitespace character positions [start, end) in one source file."""

    source: str
    start: int
    end: int

    def __len__(self) -> int:
        return max(0, self.end - self.start)

    def covers(self, other: Span) -> bool:
        """True when the two spans share at least half of the shorter one (and something)."""
        if self.source != other.source:
            return False
        shared = min(self.end, other.end) - max(self.start, other.start)
        return shared > 0 and shared >= MIN_SHARED * min(len(self), len(other))


class SourceText:
    """One source file, readable both as it is and with whitespace removed."""

    def __init__(self, source: str, text: str):
        self.source = source  # the canonical key (see `key`), shared by all its spans
        self.text = text
        self._raw_at = [i for i, ch in enumerate(text) if not ch.isspace()]
        self.squeezed = "".join(text[i] for i in self._raw_at)

    def span(self, start: int, end: int) -> Span:
        """The file offsets [start, end) as a whitespace-free Span."""
        return Span(self.source, bisect_left(self._raw_at, start), bisect_left(self._raw_at, end))

    def find_all(self, quote: str) -> list[Span]:
        """Every place where `quote` occurs, whitespace ignored on both sides."""
        needle = squeeze(quote)
        found, at = [], self.squeezed.find(needle) if needle else -1
        while at >= 0:
            found.append(Span(self.source, at, at + len(needle)))
            at = self.squeezed.find(needle, at + 1)
        return found

    def matches(self, quote: str, start: int, end: int) -> bool:
        """True when text[start:end] equals quote with whitespace ignored."""
        if not (0 <= start <= end <= len(self.text)):
            return False
        return squeeze(self.text[start:end]) == squeeze(quote)


@lru_cache(maxsize=64)
def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def key(source: str, root: Path = PROJECT_ROOT) -> str:
    """One name per file for a `source` given absolute or relative to the project root."""
    path = Path(source)
    return str((path if path.is_absolute() else root / path).resolve())


def load_source(source: str, root: Path = PROJECT_ROOT) -> SourceText | None:
    """The document named by `source` (e.g. "docs/jiangjin.txt"), or None when it cannot be
    read: a plain-text file as it is, any other format as the live build extracted it."""
    name = key(source, root)
    if Path(name).suffix.lower() in TEXT_SUFFIXES:
        text = _read(Path(name))
    else:
        text = _extracted(source)
    return None if text is None else SourceText(name, text)


def _extracted(source: str) -> str | None:
    """The text the live build (JJQA_DATA_DIR) extracted from `source`, named as citations
    name it (relative to the folder above JJQA_DOCS_DIR) or by its path."""
    from bot.settings import Settings
    from index.load import source_name
    from index.texts import current_texts

    settings = Settings.from_env()
    texts = current_texts(settings)
    if texts is None:
        return None
    if source not in texts and Path(source).is_absolute():
        try:
            source = source_name(settings.docs_dir, Path(source))
        except ValueError:
            return None
    return texts.text(source)
