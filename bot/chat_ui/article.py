"""The documents as the article panel shows them: passages, headings and the offsets into the
document's text (as the build extracted it) behind them."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.load import find_documents, load_document, source_name

SENTENCE_END = "。！？；!?;"
CONTEXT_CHARS = 60
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Segment:
    """A run of a passage's text that sits unbroken in the file, starting at file offset `start`."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class Passage:
    """One paragraph or heading as shown: kind is title, subtitle, heading, text, caption or byline."""

    kind: str
    segments: list[Segment]
    anchor: str
    section: str | None = None
    page: int | None = None  # the PDF page the passage starts on

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def start(self) -> int:
        return self.segments[0].start

    @property
    def end(self) -> int:
        return self.segments[-1].end


@dataclass
class Article:
    """One file from docs/: its source name as citations give it, its text and its passages."""

    source: str
    text: str
    passages: list[Passage] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self._first("title") or Path(self.source).stem

    @property
    def subtitle(self) -> str | None:
        return self._first("subtitle")

    @property
    def headings(self) -> list[Passage]:
        """Section headings below the title and subtitle, in reading order."""
        return [p for p in self.passages if p.kind == "heading"]

    def _first(self, kind: str) -> str | None:
        return next((p.text for p in self.passages if p.kind == kind), None)

    def utf16(self, offset: int) -> int:
        """The browser's string index (UTF-16 code units) of file offset `offset`."""
        if self.text.isascii() or max(self.text, default="a") < "\U00010000":
            return offset
        return len(self.text[:offset].encode("utf-16-le")) // 2

    def locate(self, quote: str, start: int, end: int) -> tuple[int, int] | None:
        """The file span of a quote: (start, end) when it matches the text, else where it occurs."""
        if 0 <= start < end <= len(self.text) and _compact(self.text[start:end]) == _compact(quote):
            return start, end
        at = self.text.find(quote.strip()) if quote.strip() else -1
        if at >= 0:
            return at, at + len(quote.strip())
        return None

    def around(self, start: int, end: int) -> tuple[str, str, str]:
        """The text (before, quote, after) of a file span, `before`/`after` trimmed to its sentence.

        The quote is rebuilt from the passages, so line breaks inside the span disappear the
        way they do in the panel. Context longer than CONTEXT_CHARS is cut and marked with "…".
        """
        before, quote, after = [], [], []
        for p in self.passages:
            if p.end <= start or p.start >= end:
                continue
            for seg in p.segments:
                for k, ch in enumerate(seg.text):
                    off = seg.start + k
                    (before if off < start else quote if off < end else after).append(ch)
        quote_text = "".join(quote)
        return (
            _sentence_head("".join(before)),
            quote_text,
            _sentence_tail("".join(after), quote_text),
        )


def _compact(text: str) -> str:
    return _SPACE.sub("", text)


def _sentence_head(before: str) -> str:
    """The part of `before` that belongs to the quote's sentence, cut with "…" if long."""
    cut = max(before.rfind(ch) for ch in SENTENCE_END)
    head = before[cut + 1 :]
    if len(head) > CONTEXT_CHARS:
        head = "…" + head[-(CONTEXT_CHARS - 10) :]
    return head


def _sentence_tail(after: str, quote: str) -> str:
    """The rest of the quote's sentence from `after`, cut with "…" if long."""
    if not after or (quote and quote[-1] in SENTENCE_END):
        return ""
    ends = [i for i in (after.find(ch) for ch in SENTENCE_END) if i >= 0]
    tail = after[: min(ends) + 1] if ends else after
    if len(tail) > CONTEXT_CHARS:
        tail = tail[: CONTEXT_CHARS - 10] + "…"
    return tail


def from_file(path: Path, source: str, number: int = 0) -> Article:
    """Read one plain-text document with the indexer's own reader, so the panel shows what
    was indexed."""
    return from_document(load_document(path, source), number)


def from_document(doc, number: int = 0) -> Article:
    """The panel's view of a document as the indexer read it (index.load.LoadedDocument)."""
    passages = []
    for i, p in enumerate(doc.passages):
        segments, at = [], 0
        for gap_at, _ in sorted(p.gaps) + [(len(p.text), 0)]:
            if gap_at > at:
                segments.append(Segment(p.text[at:gap_at], p.offset(at)))
            at = gap_at
        page = doc.page_at(p.start)
        passages.append(Passage(p.kind, segments, f"jj-d{number}-p{i}", p.section, page))
    return Article(source=doc.source, text=doc.text, passages=passages)


def load_articles(docs_dir: Path, texts=None) -> list[Article]:
    """Every document under docs_dir, named the way citations name them (e.g. docs/x.txt).
    A document the live build holds (`texts`, an index.texts.BuildTexts) is shown as the build
    extracted it, so a web page, PDF or Word file shows the text its citations point into. One
    the build does not hold yet (the chat started before the first build) is read as the build
    will read it; one that cannot be read is left out (the build says why)."""
    from bot.errors import DocumentError

    articles = []
    for path in find_documents(docs_dir):
        source = source_name(docs_dir, path)
        doc = texts.document(source) if texts is not None and source in texts else None
        if doc is None:
            try:
                doc = load_document(path, source)
            except DocumentError:
                continue
        articles.append(from_document(doc, len(articles)))
    return articles


class LiveArticles:
    """The documents of the live build, read again when another build is published (a document
    added or removed with `python -m index` or the admin API while the chat runs), checked at
    most every `check_s` seconds."""

    def __init__(self, settings, check_s: float = 2.0):
        from index.store import IndexStore

        self.settings = settings
        self.check_s = check_s
        self._store = IndexStore(settings)
        self._version: str | None = None
        self._articles: list[Article] = []
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> list[Article]:
        with self._lock:
            if time.monotonic() - self._checked_at >= self.check_s:
                self._checked_at = time.monotonic()
                version = self._store.version()
                if version != self._version or not self._articles:
                    from index.texts import current_texts

                    texts = current_texts(self.settings)
                    self._articles = load_articles(self.settings.docs_dir, texts)
                    self._version = version
            return self._articles


def find(articles: list[Article], source: str) -> Article | None:
    """The article a citation's `source` names, matched by path and then by file name."""
    for article in articles:
        if article.source == source:
            return article
    name = Path(source).name
    return next((a for a in articles if Path(a.source).name == name), None)
