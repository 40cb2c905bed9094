"""Pure values passed between the stages: hits from retrieval, citations and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Hit:
    """One retrieved sentence-level piece of a document, with its place in the source file."""

    id: str
    text: str
    source: str
    start: int
    end: int
    section: str | None = None
    kind: str = "text"
    score: float = 0.0  # the ranker's share of the question's candidates (0 to 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Hit:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class Citation:
    """A quote from a document: `quote` equals `text[start:end]` with whitespace ignored, where
    `text` is the document's text as the build extracted it (a .txt file's own text; for a web
    page, PDF or Word file, the text stored in the build). `page` is the PDF page the quote
    starts on (None for formats without pages)."""

    n: int
    source: str
    section: str | None
    quote: str
    start: int
    end: int
    page: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Citation:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


KINDS = ("answer", "refusal", "smalltalk", "unclear")


@dataclass
class Answer:
    """What the bot says: the text with `[n]` markers, whether it refused, and the cited quotes.

    `kind` tells channels what sort of reply it is: "answer" (from the documents, cited),
    "refusal" (the documents do not say), "smalltalk" (a greeting, thanks or a request for
    help) or "unclear" (no question could be read). Only an "answer" has `refused` False.
    """

    answer: str
    refused: bool = False
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    kind: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = "refusal" if self.refused else "answer"
        if self.kind not in KINDS:
            raise ValueError(f"unknown answer kind {self.kind!r}; choose one of {KINDS}")
        self.refused = self.kind != "answer"

    def to_dict(self) -> dict:
        return {
            "answer": self.answer,
            "kind": self.kind,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": dict(self.timings_ms),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        return cls(
            answer=data["answer"],
            refused=bool(data.get("refused", False)),
            citations=[Citation.from_dict(c) for c in data.get("citations", [])],
            timings_ms=dict(data.get("timings_ms", {})),
            kind=data.get("kind", ""),
        )
