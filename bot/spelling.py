"""Fix the typos Chinese input methods make: a character swapped for a homophone (高薪→高新),
and Latin letters swapped (GPD→GDP), only towards words the documents use (the build's
speller table), and never in words the documents already contain."""

from __future__ import annotations

import re
from collections.abc import Container

from pypinyin import lazy_pinyin

CJK = re.compile(r"[\u4e00-\u9fff]+")
LATIN = re.compile(r"[a-z][a-z0-9-]{2,}")
SIZES = (4, 3, 2)


class Speller:
    """Corrects text towards the documents' words: `sounds` maps pinyin to words, `corpus`
    answers `piece in corpus` for the documents' normalised text (the text itself, or the
    snapshot's n-gram index), `known` says whether a dictionary knows a word."""

    def __init__(
        self, sounds: dict[str, list[str]], corpus: Container[str], latin: set[str], known
    ):
        self._sounds = sounds
        self._corpus = corpus
        self._latin = latin
        self._known = known

    def correct(self, text: str) -> str:
        """The normalised text with each unknown run fixed where exactly one document word of
        the same sound differs from it in one character."""
        for run in CJK.findall(text):
            fixed = self._fix_run(run)
            if fixed != run:
                text = text.replace(run, fixed, 1)
        return LATIN.sub(lambda m: self._fix_latin(m.group()), text)

    def _fix_run(self, run: str) -> str:
        chars = list(run)
        sounds = lazy_pinyin(run)
        for n in SIZES:
            for i in range(len(chars) - n + 1):
                gram = "".join(chars[i : i + n])
                if gram in self._corpus:
                    continue
                options = [
                    w
                    for w in self._sounds.get(" ".join(sounds[i : i + n]), ())
                    if sum(a != b for a, b in zip(w, gram)) == 1
                ]
                if len(options) != 1:
                    continue
                k = next(j for j in range(n) if options[0][j] != gram[j])
                if self._settled(chars, i + k) or (n < 4 and self._known(gram)):
                    continue
                chars[i + k] = options[0][k]
        return "".join(chars)

    def _settled(self, chars: list[str], k: int) -> bool:
        """True when the character already forms a pair the documents use with a neighbour:
        then it is probably right, and the typo is elsewhere."""
        left = "".join(chars[k - 1 : k + 1]) if k > 0 else ""
        right = "".join(chars[k : k + 2]) if k + 1 < len(chars) else ""
        return (len(left) == 2 and left in self._corpus) or (
            len(right) == 2 and right in self._corpus
        )

    def _fix_latin(self, word: str) -> str:
        if word in self._latin:
            return word
        for known in self._latin:
            if len(known) == len(word) and sorted(known) == sorted(word):
                if sum(a != b for a, b in zip(known, word)) == 2:
                    return known
        return word


def speller_for(snapshot) -> Speller:
    """The speller of one build: its words by sound, its text, and its Latin words."""
    latin = {t for t in snapshot.sentences.vocab if t.isascii() and t.isalpha() and len(t) > 2}
    return Speller(snapshot.sounds, snapshot.grams, latin, snapshot.tokenizer.known)
