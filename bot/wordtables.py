"""A build's jieba dictionary as memory-mapped tries, so that opening a build does not load
jieba's own dictionary (0.7-1.3 s) or the part-of-speech tags of its 350,000 words (0.5-1 s).

The build's tokenizer writes them: its word frequencies (jieba's dictionary, the prefixes jieba
keeps at frequency 0, and the words mined from the documents and the profile) and its words'
part-of-speech tags. Segmentation from them is the same as from jieba's own tables (a test
checks it); a lookup costs ~2 µs instead of ~0.3 µs, a few hundred of them a question.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping
from pathlib import Path

import marisa_trie

FREQ = "words.marisa"
TAGS = "tags.marisa"
TOTAL = "words.json"
_IMPORT_LOCK = threading.Lock()


class Counts(Mapping):
    """word -> frequency, read from a trie (what jieba keeps in Tokenizer.FREQ)."""

    def __init__(self, trie: marisa_trie.RecordTrie):
        self._trie = trie

    def __getitem__(self, word: str) -> int:
        found = self._trie.get(word)
        if not found:
            raise KeyError(word)
        return found[0][0]

    def get(self, word: str, default=None):
        found = self._trie.get(word)
        return found[0][0] if found else default

    def __contains__(self, word) -> bool:
        return word in self._trie

    def __iter__(self):
        return iter(self._trie.keys())

    def __len__(self) -> int:
        return len(self._trie)


class Tags(Mapping):
    """word -> part-of-speech flag, read from a trie (jieba.posseg's word_tag_tab)."""

    def __init__(self, trie: marisa_trie.BytesTrie):
        self._trie = trie

    def __getitem__(self, word: str) -> str:
        found = self._trie.get(word)
        if not found:
            raise KeyError(word)
        return found[0].decode()

    def get(self, word: str, default=None):
        found = self._trie.get(word)
        return found[0].decode() if found else default

    def __contains__(self, word) -> bool:
        return word in self._trie

    def __iter__(self):
        return iter(self._trie.keys())

    def __len__(self) -> int:
        return len(self._trie)


def save(folder: Path, freq: Mapping[str, int], total: int, tags: Mapping[str, str]) -> None:
    marisa_trie.RecordTrie("<I", ((w, (int(f),)) for w, f in freq.items())).save(str(folder / FREQ))
    marisa_trie.BytesTrie((w, t.encode()) for w, t in tags.items()).save(str(folder / TAGS))
    (folder / TOTAL).write_text(json.dumps({"total": int(total)}), encoding="utf-8")


def load(folder: Path) -> tuple[Counts, int, Tags] | None:
    """The tables saved in folder, memory-mapped; None when it has none (an older build)."""
    if not all((folder / name).is_file() for name in (FREQ, TAGS, TOTAL)):
        return None
    freq, tags = marisa_trie.RecordTrie("<I"), marisa_trie.BytesTrie()
    freq.mmap(str(folder / FREQ))
    tags.mmap(str(folder / TAGS))
    total = json.loads((folder / TOTAL).read_text(encoding="utf-8"))["total"]
    return Counts(freq), int(total), Tags(tags)


def posseg():
    """jieba.posseg, imported without the tagger it builds at import for its module-level
    functions (which parses jieba's dictionary for tags: 0.5-1 s). This project never uses
    that tagger; its taggers are given their tags (see bot.tokenizer)."""
    import sys

    import jieba

    with _IMPORT_LOCK:
        if "jieba.posseg" not in sys.modules:
            # only jieba's global tokenizer is given an empty dictionary file, and only while
            # jieba.posseg builds its tagger over it; every other tokenizer reads the real one
            jieba.dt.get_dict_file = lambda: io.BytesIO(b"")
            try:
                import jieba.posseg  # noqa: F401
            finally:
                del jieba.dt.get_dict_file
    return sys.modules["jieba.posseg"]
