"""Cut passages into sentence-level chunks, each with its exact offsets in the source file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from bot.text import SENTENCE_END, bracketed
from index.load import LoadedDocument, Passage
from index.offsets import file_span, gaps_within

MIN_CHARS = 8


@dataclass
class Chunk:
    """One sentence (or a short passage) of a document, stored and retrieved as a unit."""

    id: str
    source: str
    text: str
    start: int
    end: int
    section: str | None
    kind: str
    order: int
    gaps: list[tuple[int, int]]
    para: int = 0
    page: int | None = None  # the page where the chunk starts, for formats with pages

    def to_metadata(self) -> dict:
        """Flat metadata for Chroma (values must be str, int, float or bool)."""
        data = asdict(self)
        data.pop("text")
        data["section"] = self.section or ""
        data["gaps"] = json.dumps(self.gaps)
        data["page"] = self.page or 0
        return data

    @classmethod
    def from_metadata(cls, text: str, meta: dict) -> Chunk:
        gaps = [tuple(g) for g in json.loads(meta.get("gaps") or "[]")]
        fields = {k: meta[k] for k in ("id", "source", "start", "end", "kind", "order")}
        return cls(
            text=text,
            section=meta.get("section") or None,
            gaps=gaps,
            para=int(meta.get("para", 0)),
            page=int(meta.get("page") or 0) or None,
            **fields,
        )

    def span(self, i: int, j: int) -> tuple[int, int]:
        """File offsets of `text[i:j]`, stepping over the whitespace of repaired breaks."""
        return file_span(self.start, self.gaps, i, j)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text, whitespace trimmed, short fragments merged."""
    spans, begin = [], 0
    inside = bracketed(text)
    for match in SENTENCE_END.finditer(text):
        if any(a < match.start() < b for a, b in inside):
            continue
        spans.append((begin, match.end()))
        begin = match.end()
    if begin < len(text):
        spans.append((begin, len(text)))
    spans = [_trim(text, s, e) for s, e in spans]
    spans = [(s, e) for s, e in spans if e > s]
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and (e - s < MIN_CHARS or merged[-1][1] - merged[-1][0] < MIN_CHARS):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def chunk_document(doc: LoadedDocument) -> list[Chunk]:
    """Every sentence of every passage of the document, in reading order."""
    chunks: list[Chunk] = []
    for para, passage in enumerate(doc.passages):
        pieces = [(0, len(passage.text))]
        if passage.kind == "text":
            pieces = split_sentences(passage.text)
        for s, e in pieces:
            chunks.append(_make_chunk(doc, passage, s, e, len(chunks), para))
    return chunks


def _make_chunk(
    doc: LoadedDocument, passage: Passage, s: int, e: int, order: int, para: int
) -> Chunk:
    start, end = passage.span(s, e)
    return Chunk(
        id=f"{doc.source}#{order}",
        source=doc.source,
        text=passage.text[s:e],
        start=start,
        end=end,
        section=passage.section,
        kind=passage.kind,
        order=order,
        gaps=gaps_within(passage.gaps, s, e),
        para=para,
        page=doc.page_at(start),
    )
