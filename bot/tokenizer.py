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
_CACHE: Path | None = None


def use_cache(folder: Path | None) -> None:
    """Keep jieba's dictionary and tags as tries in folder and read them from there (a build's
    snapshot process does: memory-mapping them takes milliseconds, loading jieba's own 1-2 s)."""
    global _CACHE
    _CACHE = Path(folder) if folder is not None else None


def _jieba_tables() -> tuple[dict, int, dict]:
    """jieba's own dictionary (frequencies and their total) and tags, loaded from its files."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    posseg = wordtables.posseg()
    reader = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
    reader.load_word_tag(tokenizer.get_dict_file())
    return tokenizer.FREQ, tokenizer.total, reader.word_tag_tab


def _base():
    """jieba's default dictionary as a jieba.Tokenizer, loaded once per process, on first use:
    from the cache's tries when use_cache() named one, else from jieba's files (0.7-1.3 s)."""
    global _BASE, _TAGS
    with _BASE_LOCK:
        if _BASE is None:
            import jieba

            tokenizer = jieba.Tokenizer()
            shared = wordtables.shared_folder(_CACHE, _jieba_tables) if _CACHE else None
            if shared is not None:
                tokenizer.FREQ, tokenizer.total, _TAGS = wordtables.load(shared)
            else:
                tokenizer.FREQ, tokenizer.total, _TAGS = _jieba_tables()
            tokenizer.initialized = True
            _BASE = tokenizer
        return _BASE


def _base_tags():
    """jieba's part-of-speech tags of its dictionary's words, read with the dictionary."""
    _base()
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
            if isinstance(base.FREQ, wordtables.Counts):  # the words go in an overlay
                tokenizer.FREQ = base.FREQ.without_added()
            else:
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
        tags = stored[2] if stored is not None else _base_tags()
        # tries are read-only; jieba's own dict is copied so no tagger can change another's
        tagger.word_tag_tab = tags if isinstance(tags, wordtables.Tags) else dict(tags)
        return tagger

    def save_tables(self, folder: Path, cache: Path | None = None) -> None:
        """Write this tokenizer's dictionary into folder, for `Tokenizer(words, tables=folder)`
        (jieba's own part written once into `cache` and linked from there, when given)."""
        freq, total = self._jieba.FREQ, self._jieba.total
        tags = self._tagger.word_tag_tab
        if isinstance(freq, wordtables.Counts):
            base, added = freq.without_added(), freq.added()
        else:
            base = _base().FREQ
            # add_word only sets a word and gives its prefixes a 0 if they are new
            prefixes = {w[:i] for w in self._words for i in range(1, len(w) + 1)}
            added = {p: freq[p] for p in sorted(prefixes) if base.get(p) != freq.get(p)}
        wordtables.save(folder, base, tags, added, total, cache)

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
