"""The documents' own vocabulary, mined at build time: terms they quote or title (“双减”,
《泡泡堂》) and word-like character runs they repeat that jieba's dictionary splits apart.
The tokenizer of the build is jieba's dictionary plus these words."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from bot.text import stopwords

QUOTED = re.compile(r"[“「『《〈\"]([^“”「」『』《》〈〉\"，。！？；：、\s]{2,12})[”」』》〉\"]")
HAN_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+(?:[.+\-][a-z0-9]+)*")
SIZES = range(3, 7)
MIN_COUNT = 3
# A run is word-like when the characters around its occurrences vary: at least this many
# bits of entropy on each side (a fragment of a longer word always has the same neighbour).
MIN_BOUNDARY_ENTROPY = 1.0


def quoted_terms(text: str) -> set[str]:
    """Terms the text sets in quotation marks or title marks."""
    return {m.group(1) for m in QUOTED.finditer(text)}


def repeated_terms(texts: list[str], known) -> set[str]:
    """Character runs of 3–6 that recur with varied neighbours, neither begin nor end with a
    function word (的, 是…) and that `known` (the dictionary) does not hold as a word: the
    documents' own compounds (量子通信卫星)."""
    glue = {w for w in stopwords() if len(w) == 1}
    runs = [run for text in texts for run in HAN_RUN.findall(text)]
    counts = Counter(run[i : i + n] for run, i, n in _windows(runs))
    # neighbours are counted only for runs that can pass: most runs occur once, and a pair of
    # counters for each of them took ~200 MB at 300 DRCD passages
    wanted = {
        gram
        for gram, count in counts.items()
        if count >= MIN_COUNT
        and not gram.isdigit()
        and not {gram[0], gram[-1]} & glue
        and not known(gram)
    }
    left: dict[str, Counter] = defaultdict(Counter)
    right: dict[str, Counter] = defaultdict(Counter)
    for run, i, n in _windows(runs):
        gram = run[i : i + n]
        if gram in wanted:
            left[gram][run[i - 1] if i else "^"] += 1
            right[gram][run[i + n] if i + n < len(run) else "$"] += 1
    found = {
        gram
        for gram in wanted
        if min(_entropy(left[gram]), _entropy(right[gram])) >= MIN_BOUNDARY_ENTROPY
    }
    # keep the longest: a run inside a longer kept run with the same count is a fragment
    return {
        g
        for g in found
        if not any(g != o and g in o and counts[o] == counts[g] for o in found if len(o) > len(g))
    }


def _windows(runs: list[str]):
    """(run, start, size) of every 3-6 character window of the runs."""
    for run in runs:
        for n in SIZES:
            for i in range(len(run) - n + 1):
                yield run, i, n


def _entropy(counter: Counter) -> float:
    total = sum(counter.values())
    return -sum(c / total * math.log2(c / total) for c in counter.values())


def mine(texts: list[str], known) -> list[str]:
    """The build's extra words from normalised texts, sorted."""
    words = set()
    for text in texts:
        words |= quoted_terms(text)
    words |= repeated_terms(texts, known)
    return sorted(w for w in words if not known(w))
