"""Word segmentation with a vocabulary of its own: jieba's dictionary plus the words mined from
the documents and the profile's wording, given as arguments (jieba's global dictionary is
never changed). Text is normalised first (NFKC, simplified, lower case)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cached_property

from bot.text import has_words, normalize_chars

_BASE_LOCK = threading.Lock()
_BASE = None


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


class Tokenizer:
    """Segments normalised text; `words` are added to jieba's dictionary for this instance."""

    def __init__(self, words: Iterable[str] = ()):
        self._words = sorted({normalize_chars(w) for w in words if w and has_words(w)})
        self._ready = threading.Lock()

    @cached_property
    def _jieba(self):
        import jieba

        base = _base()
        with self._ready:
            tokenizer = jieba.Tokenizer()
            tokenizer.FREQ = dict(base.FREQ)
            tokenizer.total = base.total
            tokenizer.initialized = True
            for word in self._words:
                tokenizer.add_word(word)
            return tokenizer

    @cached_property
    def _tagger(self):
        import jieba.posseg

        # POSTokenizer(...) would read the dictionary's tags from disk again (0.9 s); jieba read
        # them once when jieba.posseg was imported, and each tagger only adds its own words
        tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
        tagger.tokenizer = self._jieba
        tagger.word_tag_tab = dict(jieba.posseg.dt.word_tag_tab)
        return tagger

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
