"""Citations: turn chosen pieces of sentences into numbered quotes with file offsets, and
check them."""

from __future__ import annotations

from pathlib import Path

from bot.values import Citation
from index.load import source_path


def citation_for(chunk, i: int, j: int, n: int) -> Citation:
    """The citation numbered n for chunk.text[i:j]: its text and its offsets in the file."""
    start, end = chunk.span(i, j)
    return Citation(
        n=n,
        source=chunk.source,
        section=chunk.section,
        quote=chunk.text[i:j],
        start=start,
        end=end,
    )


def quote_matches(citation: Citation, text: str) -> bool:
    """True when the file text at the citation's offsets equals its quote, whitespace ignored."""
    if not (0 <= citation.start < citation.end <= len(text)):
        return False
    return "".join(text[citation.start : citation.end].split()) == "".join(citation.quote.split())


def verify_citation(citation: Citation, docs_dir: Path) -> bool:
    """Read the cited file and check the quote against its span."""
    try:
        text = source_path(docs_dir, citation.source).read_text(encoding="utf-8")
    except OSError:
        return False
    return quote_matches(citation, text)
