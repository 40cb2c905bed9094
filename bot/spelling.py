"""Fix the typos Chinese input methods make: a character swapped for a homophone (高薪→高新,
综报区→综保区), and Latin letters swapped (GPD→GDP), but only towards words the article uses."""

from __future__ import annotations

import re
from collections import defaultdict

import jieba
from pypinyin import lazy_pinyin

CJK = re.compile(r"[\u4e00-\u9fff]+")
LATIN = re.compile(r"[a-z][a-z0-9-]{2,}")
SIZES = (4, 3, 2)
COMMON = 50


class Speller:
    """Knows the article's 2–4 character n-grams by their pinyin, and its Latin words."""

    def __init__(self, corpus: str):
        self._grams: set[str] = set()
        self._by_sound: dict[tuple, set[str]] = defaultdict(set)
        for run in CJK.findall(corpus):
            sounds = lazy_pinyin(run)
            for n in SIZES:
                for i in range(len(run) - n + 1):
                    gram = run[i : i + n]
                    self._grams.add(gram)
                    self._by_sound[tuple(sounds[i : i + n])].add(gram)
        self._latin = set(LATIN.findall(corpus))

    def correct(self, text: str) -> str:
        """The text with each unknown n-gram replaced by the article's homophone, if exactly one
        differs from it in one character; unknown Latin words by a transposed known one."""
        for run in CJK.findall(text):
            fixed = self._fix_run(run)
            if fixed != run:
                text = text.replace(run, fixed, 1)
        return LATIN.sub(lambda m: self._fix_latin(m.group()), text)

    def _fix_run(self, run: str) -> str:
        chars = list(run)
        sounds = lazy_pinyin(run)
        common = _common_word_positions(run)
        for n in SIZES:
            for i in range(len(chars) - n + 1):
                gram = "".join(chars[i : i + n])
                if gram in self._grams:
                    continue
                options = [
                    g
                    for g in self._by_sound.get(tuple(sounds[i : i + n]), ())
                    if sum(a != b for a, b in zip(g, gram)) == 1
                ]
                if len(options) != 1:
                    continue
                k = next(j for j in range(n) if options[0][j] != gram[j])
                if self._known_around(chars, i + k) or (n < 4 and i + k in common):
                    continue
                chars[i + k] = options[0][k]
        return "".join(chars)

    def _known_around(self, chars: list[str], k: int) -> bool:
        """True when the character already forms an article bigram with a neighbour (then it
        is probably right, and another one is the typo)."""
        left = "".join(chars[k - 1 : k + 1]) if k > 0 else ""
        right = "".join(chars[k : k + 2]) if k + 1 < len(chars) else ""
        return left in self._grams or right in self._grams

    def _fix_latin(self, word: str) -> str:
        if word in self._latin:
            return word
        for known in self._latin:
            if len(known) == len(word) and sorted(known) == sorted(word):
                if sum(a != b for a, b in zip(known, word)) == 2:
                    return known
        return word


def _common_word_positions(run: str) -> set[int]:
    """Positions inside words a dictionary knows well (现在, 什么, 是): those are seldom typos,
    so only a four-character match with the article may change them."""
    positions, at = set(), 0
    for word in jieba.lcut(run, HMM=False):
        if jieba.dt.FREQ.get(word, 0) >= COMMON:
            positions.update(range(at, at + len(word)))
        at += len(word)
    return positions
