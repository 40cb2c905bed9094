"""The corpus snapshot: what the bot knows about one build's documents, derived once at build
time and stored in the build beside its vectors. Opening a build loads it; nothing is
recomputed per question or per start.

It holds the chunks and their normalised text, the build's vocabulary (jieba's dictionary plus
words mined from the documents and the profile's own wording), BM25 postings over sentences
and paragraphs, the typed words of each sentence (people, places, times, numbers), character
statistics, the speller's table and each document's title.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from bot.text import normalize_chars
from bot.tokenizer import Tokenizer
from index.bm25 import Postings, idf_of
from index.chunk import Chunk
from index.grams import Grams
from index.lexicon import mine

VERSION = 1
FOLDER = "snapshot"
# jieba part-of-speech flags -> the answer types a question can ask for
TYPES = {
    "nr": "person",
    "nrfg": "person",
    "nrt": "person",
    "ns": "place",
    "nsf": "place",
    "nt": "org",
    "t": "time",
    "m": "number",
    "mq": "number",
    "nz": "name",
}
TIME = re.compile(
    r"\d{1,4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}世纪|[一二三四五六七八九十百千零〇]+年"
)
YEAR = re.compile(r"(?<!\d)\d{3,4}年|(?<![\d.])(?:1[0-9]|20)\d{2}(?![\d.])")
NUMBER = re.compile(
    r"\d+(?:\.\d+)?\s*[%％]?|[一二三四五六七八九十百千万亿两]+(?=[个件家次倍人岁年名座条种项])"
)
VECTORS = "vectors.npy"
GRAMS = "grams.marisa"
SPELLER_SIZES = (2, 3, 4)
BACKGROUND = 256


@dataclass
class Snapshot:
    """Everything derived from a build's documents that answering needs, besides the vectors."""

    chunks: list[Chunk]
    norm: list[str]
    typed: list[list[tuple[str, str]]]
    words: list[str]
    sentences: Postings
    paragraphs: Postings
    para_of: list[int]
    para_text: list[str]
    titles: dict[str, str]
    char_idf: dict[str, float]
    sounds: dict[str, list[str]]
    profile_hash: str = ""
    extra: dict = field(default_factory=dict)
    background: list[int] = field(default_factory=list)
    # one L2-normalised vector per chunk, in chunk order, memory-mapped from vectors.npy; None
    # for builds written before it was stored (their vectors are read from Chroma)
    vectors: np.ndarray | None = None
    grams_file: Path | None = None  # the stored trie behind `grams`, when loaded from disk
    folder: Path | None = None  # where it was loaded from (its tokenizer's tables are there)

    def __post_init__(self) -> None:
        self.by_id = {c.id: i for i, c in enumerate(self.chunks)}
        self.corpus = "\n".join(self.norm)
        self.tokenizer = Tokenizer(self.words, tables=self.folder)
        titles = {s: normalize_chars(t or "") for s, t in self.titles.items()}
        self.heads = [
            titles.get(c.source, "") + normalize_chars(c.section or "") for c in self.chunks
        ]
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        self.members: list[list[int]] = [[] for _ in self.para_text]
        for i, c in enumerate(self.chunks):
            self.by_kind[c.kind].append(i)
            self.members[self.para_of[i]].append(i)

    @cached_property
    def grams(self) -> Grams:
        """`piece in snapshot.grams`: does the piece occur in the documents' normalised text."""
        if self.grams_file is not None and self.grams_file.is_file():
            try:
                return Grams.load(self.grams_file, self.corpus)
            except Exception:  # a damaged file costs a rebuild of the trie, not the answer
                pass
        return Grams.build(self.norm, self.corpus)

    def head(self, i: int) -> str:
        """The normalised title and section heading over chunk i: context for what it omits."""
        return self.heads[i]

    def neighbours(self, i: int) -> tuple[int | None, int | None]:
        """The chunks before and after chunk i in the same paragraph (None at the ends)."""
        before = i - 1 if i > 0 and self.para_of[i - 1] == self.para_of[i] else None
        n = len(self.chunks)
        after = i + 1 if i + 1 < n and self.para_of[i + 1] == self.para_of[i] else None
        return before, after

    # -- storage -------------------------------------------------------------------------------
    def save(self, folder: Path, cache: Path | None = None) -> None:
        """Write the snapshot into `folder` (created); readers open it with `load`. `cache`:
        where the tables every build shares (jieba's dictionary as tries) are kept."""
        folder.mkdir(parents=True, exist_ok=True)
        self.sentences.save(folder / "sentences.npz")
        self.paragraphs.save(folder / "paragraphs.npz")
        with open(folder / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c, norm, typed in zip(self.chunks, self.norm, self.typed):
                meta = c.to_metadata()
                f.write(
                    json.dumps(
                        [c.text, meta, norm, typed], ensure_ascii=False, separators=(",", ":")
                    )
                    + "\n"
                )
        tables = {
            "version": VERSION,
            "words": self.words,
            "para_of": self.para_of,
            "para_text": self.para_text,
            "titles": self.titles,
            "char_idf": self.char_idf,
            "sounds": self.sounds,
            "profile_hash": self.profile_hash,
            "extra": self.extra,
            "background": self.background,
        }
        if self.vectors is not None:
            np.save(folder / VECTORS, np.asarray(self.vectors, dtype=np.float32))
        self.grams.save(folder / GRAMS)
        self.tokenizer.save_tables(folder, cache)
        (folder / "tables.json").write_text(
            json.dumps(tables, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )

    def with_vectors(self, by_id: dict[str, np.ndarray]) -> Snapshot:
        """This snapshot holding each chunk's vector from by_id (chunk id -> vector); unchanged
        when any chunk lacks one."""
        rows = vector_rows(self.chunks, by_id)
        if rows is not None:
            self.vectors = rows
        return self

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        """Read a snapshot written by `save`; raises OSError or ValueError when it is damaged."""
        tables = json.loads((folder / "tables.json").read_text(encoding="utf-8"))
        if tables.get("version") != VERSION:
            raise ValueError(f"snapshot version {tables.get('version')} is not {VERSION}")
        chunks, norm, typed = [], [], []
        with open(folder / "chunks.jsonl", encoding="utf-8") as f:
            for line in f:
                text, meta, n, t = json.loads(line)
                chunks.append(Chunk.from_metadata(text, meta))
                norm.append(n)
                typed.append([tuple(x) for x in t])
        vectors = None
        if (folder / VECTORS).is_file():
            # memory-mapped: pages are read as questions touch them, and shared between workers
            vectors = np.load(folder / VECTORS, mmap_mode="r")
            if vectors.shape[:1] != (len(chunks),) or vectors.ndim != 2:
                raise ValueError(f"{VECTORS} has shape {vectors.shape} for {len(chunks)} chunks")
        return cls(
            chunks=chunks,
            norm=norm,
            typed=typed,
            words=tables["words"],
            sentences=Postings.load(folder / "sentences.npz"),
            paragraphs=Postings.load(folder / "paragraphs.npz"),
            para_of=tables["para_of"],
            para_text=tables["para_text"],
            titles=tables["titles"],
            char_idf=tables["char_idf"],
            sounds=tables["sounds"],
            profile_hash=tables.get("profile_hash", ""),
            extra=tables.get("extra", {}),
            background=tables.get("background", []),
            vectors=vectors,
            grams_file=folder / GRAMS,
            folder=folder,
        )


def vector_rows(chunks: list[Chunk], by_id: dict[str, np.ndarray]) -> np.ndarray | None:
    """One float32 row per chunk, in chunk order, from by_id; None when any chunk lacks one."""
    if not chunks or any(c.id not in by_id for c in chunks):
        return None
    return np.asarray([by_id[c.id] for c in chunks], dtype=np.float32)


def save_vectors(folder: Path, chunks: list[Chunk], by_id: dict[str, np.ndarray]) -> None:
    """Add the chunks' vectors to a snapshot saved without them (see index.snapshot_job)."""
    rows = vector_rows(chunks, by_id)
    if rows is not None:
        np.save(folder / VECTORS, rows)


def build_snapshot(
    chunks: list[Chunk], titles: dict[str, str], profile_words=(), profile_hash: str = ""
) -> Snapshot:
    """Derive the snapshot of chunks in reading order (documents one after another)."""
    norm = [normalize_chars(c.text) for c in chunks]
    base = Tokenizer()
    words = sorted(set(mine(norm, base.known)) | {normalize_chars(w) for w in profile_words})
    tokenizer = Tokenizer(words)
    para_key, para_of, para_text = {}, [], []
    for c, text in zip(chunks, norm):
        key = (c.source, c.para)
        if key not in para_key:
            para_key[key] = len(para_text)
            para_text.append("")
        row = para_key[key]
        para_of.append(row)
        para_text[row] += text
    sentence_tokens = [tokenizer.search_tokens(t, normalized=True) for t in norm]
    para_tokens = [[] for _ in para_text]
    for row, tokens in zip(para_of, sentence_tokens):
        para_tokens[row] += tokens
    typed = [_typed(tokenizer, t) for t in norm]
    return Snapshot(
        chunks=chunks,
        norm=norm,
        typed=typed,
        words=words,
        sentences=Postings.build(sentence_tokens),
        paragraphs=Postings.build(para_tokens),
        para_of=para_of,
        para_text=para_text,
        titles=titles,
        char_idf=_char_idf(norm),
        sounds=_sounds(sentence_tokens, words),
        profile_hash=profile_hash,
        background=_background(chunks),
    )


def _background(chunks: list[Chunk]) -> list[int]:
    """A fixed sample of the text sentences: questions are compared with it to see how much
    their best matches stand out (the same sample every time for the same documents)."""
    import random

    text = [i for i, c in enumerate(chunks) if c.kind == "text"]
    return sorted(random.Random(len(chunks)).sample(text, min(BACKGROUND, len(text))))


def _typed(tokenizer: Tokenizer, text: str) -> list[tuple[str, str]]:
    """The words of a sentence that can answer who/where/when/how-many, with their type."""
    out = []
    for word, flag in tokenizer.tagged(text, normalized=True):
        kind = TYPES.get(flag)
        if kind == "number" and not re.search(r"[\d一二三四五六七八九十百千万亿两]", word):
            kind = None
        if kind:
            out.append((word, kind))
    out += [(m.group(), "time") for m in TIME.finditer(text)]
    out += [(m.group(), "year") for m in YEAR.finditer(text)]
    out += [(m.group().strip(), "number") for m in NUMBER.finditer(text) if m.group().strip()]
    return out


def _char_idf(norm: list[str]) -> dict[str, float]:
    """How telling each character is, as an idf over sentences."""
    df = Counter()
    for text in norm:
        df.update(set(ch for ch in text if not ch.isspace()))
    n = len(norm)
    return {ch: round(idf_of(n, d), 4) for ch, d in df.items()}


def _sounds(token_lists: list[list[str]], words: list[str]) -> dict[str, list[str]]:
    """The documents' Chinese words of 2–4 characters, grouped by their pinyin."""
    from pypinyin import lazy_pinyin

    vocab = {t for tokens in token_lists for t in tokens} | set(words)
    out: dict[str, list[str]] = defaultdict(list)
    for word in sorted(vocab):
        if len(word) in SPELLER_SIZES and all("\u4e00" <= ch <= "\u9fff" for ch in word):
            out[" ".join(lazy_pinyin(word))].append(word)
    return dict(out)
