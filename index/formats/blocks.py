"""What a format reader hands back: the document's blocks in reading order (headings with their
level, paragraphs, captions, each with its page when the format has pages) and its metadata."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

_SPACE = re.compile(r"\s+")
# Characters after or before which a line break stands for no space: CJK and its punctuation.
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2018-\u201f\u2026]")


@dataclass
class Block:
    """One heading (level 1-6), paragraph ("text") or caption, as one line of text."""

    kind: str
    text: str
    level: int = 0
    page: int | None = None


@dataclass
class Extracted:
    """A document as read from its file: blocks plus the metadata it states."""

    format: str
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    date: str | None = None
    pages: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Extracted:
        blocks = [Block(**b) for b in data.get("blocks", [])]
        rest = {k: data.get(k) for k in ("title", "author", "date", "pages")}
        return cls(format=data["format"], blocks=blocks, **rest)


def size_text(n: float) -> str:
    """A byte count as people read it: 512 B, 40.2 KB, 1.5 MB."""
    if n < 1024:
        return f"{n:.0f} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{n / 1024**2:.1f} MB".replace(".0 MB", " MB")


def one_line(text: str) -> str:
    """Text with its line breaks and runs of whitespace folded: no space where a line break
    fell between two Chinese characters, one space elsewhere."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    out = ""
    for line in filter(None, lines):
        if out and not (_WIDE.match(out[-1]) or _WIDE.match(line[0])):
            out += " "
        out += line
    return out
