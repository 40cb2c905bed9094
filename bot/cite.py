"""Citations: turn chosen spans into numbered quotes with file offsets, and check them."""

from __future__ import annotations

from pathlib import Path

from bot.answer import Span
from bot.values import Citation
from index.load import source_path


def citation_for(span: Span, n: int) -> Citation:
    """The citation numbered n for a span: its exact text and its offsets in the source file."""
    start, end = span.chunk.span(span.i, span.j)
    return Citation(
        n=n,
        source=span.chunk.source,
        section=span.chunk.section,
        quote=span.text,
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
