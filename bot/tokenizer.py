"""Word segmentation with a vocabulary of its own: jieba's dictionary plus the words mined from
the documents and the profile's wording, given as arguments (jieba's global dictionary is
never changed). Text is normalised first (NFKC, simplified, lower case)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from bot import wordtables
from bot.text import has_words, normalize_chars

_BASE_LOCK = threading.Lock()
_BASE = None
_TAGS_LOCK = threading.Lock()
_TAGS = None


def _base():
    """jieba's default dictionary, loaded once per process (about 0.7 s), on first use."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _BASE = tokenizer
        return _BASE


def _base_tags() -> dict[str, str]:
    """jieba's part-of-speech tags of its dictionary's words, read once per process."""
    global _TAGS
    with _TAGS_LOCK:
        if _TAGS is None:
            posseg = wordtables.posseg()
            reader = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
            reader.load_word_tag(_base().get_dict_file())
            _TAGS = reader.word_tag_tab
        return _TAGS


class Tokenizer:
    """Segments normalised text; `words` are added to jieba's dictionary for this instance.

    `tables`: a folder where a build saved this tokenizer's dictionary (`save_tables`); it is
    memory-mapped instead of loading jieba's dictionary and adding the words again."""

    def __init__(self, words: Iterable[str] = (), tables: Path | None = None):
        self._words = sorted({normalize_chars(w) for w in words if w and has_words(w)})
        self._tables = tables
        self._ready = threading.Lock()

    @cached_property
    def _stored(self):
        return wordtables.load(self._tables) if self._tables is not None else None

    @cached_property
    def _jieba(self):
        import jieba

        stored = self._stored
        base = _base() if stored is None else None
        with self._ready:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialized = True
            if stored is not None:
                tokenizer.FREQ, tokenizer.total, _ = stored
                return tokenizer
            tokenizer.FREQ = dict(base.FREQ)
            tokenizer.total = base.total
            for word in self._words:
                tokenizer.add_word(word)
            return tokenizer

    @cached_property
    def _tagger(self):
        posseg = wordtables.posseg()
        # POSTokenizer(...) would read the dictionary's tags from disk again; the words added to
        # this tokenizer have no tag of their own (the HMM tags them), as in jieba
        tagger = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
        tagger.tokenizer = self._jieba
        stored = self._stored
        tagger.word_tag_tab = stored[2] if stored is not None else dict(_base_tags())
        return tagger

    def save_tables(self, folder: Path) -> None:
        """Write this tokenizer's dictionary into folder, for `Tokenizer(words, tables=folder)`."""
        wordtables.save(folder, self._jieba.FREQ, self._jieba.total, self._tagger.word_tag_tab)

    def prepare(self) -> None:
        """Load jieba's dictionary and the tagger now (about 1.5 s), not on the first question."""
        _ = self._tagger

    def known(self, word: str) -> bool:
        """True when the dictionary (jieba's or the added words) has the word."""
        return self._jieba.FREQ.get(word, 0) > 0

    def pieces(self, text: str) -> list[str]:
        """Accurate-mode segmentation of normalised text, punctuation and spaces included
        (joining the pieces gives the text back)."""
        return self._jieba.lcut(text)

    def words(self, text: str, normalized: bool = False) -> list[str]:
        """Accurate-mode words of the text, punctuation and spaces dropped."""
        text = text if normalized else normalize_chars(text)
        return [w for w in self._jieba.lcut(text) if has_words(w)]

    def search_tokens(self, text: str, normalized: bool = False) -> list[str]:
        """Search-mode tokens (long words and their parts), punctuation and spaces dropped."""
        text = text if normalized else normalize_chars(text)
        return [w for w in self._jieba.lcut_for_search(text) if has_words(w) and w.strip()]

    def tagged(self, text: str, normalized: bool = False) -> list[tuple[str, str]]:
        """(word, part-of-speech flag) pairs, jieba's flags (nr person, ns place, m numeral...)."""
        text = text if normalized else normalize_chars(text)
        return [(p.word, p.flag) for p in self._tagger.lcut(text)]
