"""Citations: turn chosen pieces of sentences into numbered quotes with offsets into the
document's text, and check them against that text."""

from __future__ import annotations

from pathlib import Path

from bot.values import Citation
from index.load import TEXT_SUFFIXES, source_path


def citation_for(chunk, i: int, j: int, n: int) -> Citation:
    """The citation numbered n for chunk.text[i:j]: its text, its offsets in the document's
    text and, for a PDF, the page its sentence starts on."""
    start, end = chunk.span(i, j)
    return Citation(
        n=n,
        source=chunk.source,
        section=chunk.section,
        quote=chunk.text[i:j],
        start=start,
        end=end,
        page=getattr(chunk, "page", None),  # where the sentence starts
    )


def quote_matches(citation: Citation, text: str) -> bool:
    """True when the text at the citation's offsets equals its quote, whitespace ignored."""
    if not (0 <= citation.start < citation.end <= len(text)):
        return False
    return "".join(text[citation.start : citation.end].split()) == "".join(citation.quote.split())


def verify_citation(citation: Citation, docs_dir: Path, texts=None) -> bool:
    """Check the quote against the document's text: the text stored in the build (`texts`,
    an index.texts.BuildTexts) when it holds the document, else the file itself for plain
    text. A web page, PDF or Word file is only ever checked against its stored text."""
    text = texts.text(citation.source) if texts is not None else None
    if text is None:
        if Path(citation.source).suffix.lower() not in TEXT_SUFFIXES:
            return False
        try:
            text = source_path(docs_dir, citation.source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
    return quote_matches(citation, text)
