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
import logging
import os
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import marisa_trie

FREQ = "words.marisa"
TAGS = "tags.marisa"
TOTAL = "words.json"
_IMPORT_LOCK = threading.Lock()
log = logging.getLogger(__name__)


class Counts(Mapping):
    """word -> frequency (what jieba keeps in Tokenizer.FREQ): jieba's dictionary read from a
    trie, under the few entries the build's own words add or change."""

    def __init__(self, trie: marisa_trie.RecordTrie, added: dict[str, int]):
        self._trie = trie
        self._added = added

    def __getitem__(self, word: str) -> int:
        value = self.get(word)
        if value is None:
            raise KeyError(word)
        return value

    def __setitem__(self, word: str, value: int) -> None:  # jieba's add_word
        self._added[word] = value

    def get(self, word: str, default=None):
        value = self._added.get(word)
        if value is not None:
            return value
        found = self._trie.get(word)
        return found[0][0] if found else default

    def __contains__(self, word) -> bool:
        return word in self._added or word in self._trie

    def __iter__(self):
        yield from self._added
        yield from (w for w in self._trie.keys() if w not in self._added)

    def __len__(self) -> int:
        return len(self._added) + sum(1 for w in self._trie.keys() if w not in self._added)

    def added(self) -> dict[str, int]:
        """The entries over jieba's dictionary: the words added, their new prefixes."""
        return dict(self._added)

    def without_added(self) -> Counts:
        """jieba's dictionary alone, as read from the trie."""
        return Counts(self._trie, {})


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


def save(
    folder: Path,
    base: Mapping[str, int],
    tags: Mapping[str, str],
    added: dict[str, int],
    total: int,
    cache: Path | None = None,
) -> None:
    """Write a tokenizer's tables into folder: jieba's dictionary (`base`) and its tags as
    tries, and the entries its own words add (`added`) with the frequencies' total. The tries
    are the same for every build: with `cache`, they are written there once and linked (or
    copied) into each build."""
    shared = shared_folder(Path(cache), lambda: (base, total, tags)) if cache else None
    if shared is None:
        _write_tries(folder, base, tags)
    else:
        for name in (FREQ, TAGS):
            (folder / name).unlink(missing_ok=True)  # saved again over an earlier save
            try:
                os.link(shared / name, folder / name)
            except OSError:  # another file system
                shutil.copyfile(shared / name, folder / name)
    (folder / TOTAL).write_text(
        json.dumps({"total": int(total), "added": added}, ensure_ascii=False), encoding="utf-8"
    )


def _write_tries(folder: Path, base: Mapping[str, int], tags: Mapping[str, str]) -> None:
    marisa_trie.RecordTrie("<I", ((w, (int(f),)) for w, f in base.items())).save(str(folder / FREQ))
    marisa_trie.BytesTrie((w, t.encode()) for w, t in tags.items()).save(str(folder / TAGS))


def shared_folder(cache: Path, jieba_tables: Callable[[], tuple]) -> Path | None:
    """The cache's tries of jieba's own dictionary, written from jieba_tables() (its word
    frequencies, their total and its tags) when missing; None when the cache cannot hold them
    (a read-only cache: each build then writes its own)."""
    import jieba

    source = Path(jieba.__file__).parent / "dict.txt"
    size = source.stat().st_size if source.is_file() else 0
    shared = cache / f"jieba-{jieba.__version__}-{size}"
    if not _complete(shared):
        tmp = shared.with_name(f"{shared.name}.tmp{os.getpid()}")
        try:
            base, total, tags = jieba_tables()
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            _write_tries(tmp, base, tags)
            (tmp / TOTAL).write_text(json.dumps({"total": int(total), "added": {}}), "utf-8")
            os.replace(tmp, shared)
        except OSError as e:  # read-only, full, or another build wrote it first
            shutil.rmtree(tmp, ignore_errors=True)
            if not _complete(shared):
                log.warning("cannot keep jieba's dictionary as tries in %s: %s", cache, e)
                return None
    return shared


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (FREQ, TAGS, TOTAL))


def load(folder: Path) -> tuple[Counts, int, Tags] | None:
    """The tables saved in folder, memory-mapped; None when it has none (an older build)."""
    if not _complete(folder):
        return None
    freq, tags = marisa_trie.RecordTrie("<I"), marisa_trie.BytesTrie()
    freq.mmap(str(folder / FREQ))
    tags.mmap(str(folder / TAGS))
    meta = json.loads((folder / TOTAL).read_text(encoding="utf-8"))
    return Counts(freq, meta.get("added", {})), int(meta["total"]), Tags(tags)


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
