"""`python -m eval.bench_scale --corpus 32 128 256`: how build time, latency, throughput, memory
and answer quality change with the size of the corpus. A measurement to report, not a test.

For each size N it writes N passages of a SQuAD-format set (CMRC 2018 trial by default) into a
docs folder of their own and measures, one after the other so that they do not compete:
  build        `python -m index build` in a fresh process: wall time, chunks/s, passages/s,
               peak RSS, the build's size on disk (and its lexical snapshot's);
  cold start   `python -m bot ask` in a fresh process, from its start to the printed answer;
  warm         each question once (p50 / p95), and whether the gold answer is in the answer;
  HTTP         req/s at 1, 4 and 16 clients against `python -m bot serve` on 127.0.0.1, and
               the server's peak RSS.
The embedding model is converted once, before any timing, into a cache the sizes share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "eval" / "datasets" / "cmrc2018_trial.json"
MAX_SIZES = 6
MAX_QUESTIONS = 500
CHILD_TIMEOUT_S = 3600
SERVER_START_S = 300
# Asked before timing, so that lazy loading is not timed; none is in a SQuAD set.
WARM_UP = ["你好", "这里讲的是什么？", "它在哪一年建成的？"]


@dataclass
class SizeResult:
    """The figures for one corpus size."""

    passages: int
    chunks: int = 0
    build_s: float = 0.0
    chunks_per_s: float = 0.0
    passages_per_s: float = 0.0
    build_rss_mib: float = 0.0
    disk_mib: float = 0.0
    snapshot_mib: float = 0.0
    cold_s: float = 0.0
    questions: int = 0
    warm_p50_ms: float = 0.0
    warm_p95_ms: float = 0.0
    gold_in_answer: float = 0.0
    outside_refused: float | None = None
    http: dict[int, dict] = field(default_factory=dict)
    serve_rss_mib: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def child(args: list[str], env: dict, *, capture: bool = False) -> tuple[float, float, str]:
    """Run `python args`; return (wall seconds, its peak RSS in MiB, its stdout if `capture`).
    Its stderr (progress bars, errors) goes to ours. Raises RuntimeError when it fails."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=out if capture else subprocess.DEVNULL,
        )
        killer = threading.Timer(CHILD_TIMEOUT_S, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} exited with {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, text


def environment(data_dir: Path, docs: Path, models: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJQA_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1")
    env.update(JJQA_DATA_DIR=str(data_dir), JJQA_DOCS_DIR=str(docs), JJQA_MODEL_CACHE=str(models))
    env.update({f"JJQA_{k.upper()}": v for k, v in extra.items()})
    return env


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(n: int, units, folder: Path, models: Path, args) -> SizeResult:
    """Every figure for a corpus of `n` passages, built under `folder`."""
    from eval.squad import sample

    chosen = sample(units, n, seed=args.seed)
    docs, data = folder / "docs", folder / "data"
    chosen.write(docs)
    env = environment(data, docs, models)
    result = SizeResult(passages=len(chosen.units))

    say(f"[{n}] building the index of {n} passages")
    result.build_s, result.build_rss_mib, _ = child(["-m", "index", "build"], env)
    from bot.settings import Settings
    from index.store import IndexStore

    settings = Settings.from_env(environ=env)
    manifest = IndexStore(settings).current()
    result.chunks = manifest.chunks
    result.chunks_per_s = result.chunks / result.build_s
    result.passages_per_s = result.passages / result.build_s
    result.disk_mib = _size_mib(data / "index" / manifest.build)
    result.snapshot_mib = _size_mib(IndexStore(settings).snapshot_folder(manifest.build))

    inside = chosen.inside[: args.questions]
    outside = chosen.outside[: max(1, args.questions // 4)]
    say(f"[{n}] cold start: a fresh process to its first answer")
    result.cold_s, _, _ = child(["-m", "bot", "ask", inside[0].text], env, capture=True)

    say(f"[{n}] warm: {len(inside)} questions from the corpus, {len(outside)} from outside")
    warm(result, settings, inside, outside, progress=not args.quiet)

    if args.clients:
        say(f"[{n}] HTTP: {args.duration:g} s at each of {args.clients} clients")
        http(result, env, [q.text for q in inside], args)
    return result


def warm(result: SizeResult, settings, inside, outside, progress: bool) -> None:
    """Ask each question once in this process (a repeat would be answered from the cache)."""
    from tqdm import tqdm

    from bot.chain import Bot
    from eval.metrics import percentile
    from eval.reading import contains_gold

    bot = Bot(settings).warm()
    for question in WARM_UP:  # the first calls pay for lazy loading; not timed
        bot.ask(question)
    latencies, gold, refused = [], [], []
    asked = [(q, True) for q in inside] + [(q, False) for q in outside]
    for q, is_inside in tqdm(asked, desc="questions", unit="q", disable=not progress, leave=False):
        started = time.perf_counter()
        answer = bot.ask(q.text)
        latencies.append((time.perf_counter() - started) * 1000)
        if is_inside:
            gold.append(not answer.refused and contains_gold(answer.answer, q.answers))
        else:
            refused.append(answer.refused)
    result.questions = len(asked)
    result.warm_p50_ms = round(percentile(latencies, 50), 1)
    result.warm_p95_ms = round(percentile(latencies, 95), 1)
    result.gold_in_answer = round(statistics.mean(gold), 3)
    result.outside_refused = round(statistics.mean(refused), 3) if refused else None


def http(result: SizeResult, env: dict, questions: list[str], args) -> None:
    """req/s at each client count against one `python -m bot serve`, stopped afterwards.
    Questions cycle, so later requests repeat earlier ones (as real traffic does)."""
    from bot.web import loadtest

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server_env = dict(
        env, JJQA_RATE_LIMIT_PER_MINUTE="0", JJQA_MAX_INFLIGHT_PER_CLIENT="0", JJQA_API_DOCS="0"
    )
    command = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if args.workers > 1:
        command += ["--workers", str(args.workers)]
    log = Path(env["JJQA_DATA_DIR"]).parent / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=server_env, stdout=out, stderr=out)
    try:
        _wait_ready(server, url, log)
        for question in WARM_UP:
            httpx.post(url + "/api/ask", json={"question": question}, timeout=60)
        for clients in args.clients:
            found = asyncio.run(
                loadtest.run([url], clients, args.duration, 20000, 60.0, None, questions)
            )
            result.http[clients] = {
                "requests_per_s": found["requests_per_s"],
                "p50_ms": found["latency_ms"]["p50"],
                "p99_ms": found["latency_ms"]["p99"],
                "errors": sum(found["errors"].values()),
            }
        pids = [server.pid, *_children(server.pid)]
        result.serve_rss_mib = round(sum(loadtest.memory_of(p)["peak_rss_mib"] for p in pids), 1)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def _wait_ready(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited early; see {log}")
        try:
            if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server was not ready after {SERVER_START_S} s; see {log}")


def _children(pid: int) -> list[int]:
    """Worker processes of a server started with --workers (none with one worker)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _size_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def convert_once(models: Path) -> float:
    """Convert (or open) the embedding model in the shared cache; return the seconds it took."""
    from bot.settings import Settings
    from index.embed import get_embedder

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jjqa-bench-") as tmp:
        get_embedder(Settings(data_dir=Path(tmp), model_cache=models)).embed_query("预热")
    return time.perf_counter() - started


def yardstick(models: Path, units) -> float:
    """Sentences embedded per second (the first 512 of the set's passages, best of two runs):
    how fast this machine is at the time, so that runs taken on other days compare. A shared
    machine's speed varies by a third or more from hour to hour."""
    from bot.settings import Settings
    from index.chunk import split_sentences
    from index.embed import get_embedder

    texts = [p[s:e] for u in units for p in u.paragraphs for s, e in split_sentences(p)][:512]
    with tempfile.TemporaryDirectory(prefix="jjqa-bench-") as tmp:
        embedder = get_embedder(Settings(data_dir=Path(tmp), model_cache=models))
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            embedder.embed_documents(texts)
            best = min(best, time.perf_counter() - started)
    return len(texts) / best


def table(results: list[SizeResult], clients: list[int]) -> str:
    """The results as a Markdown table, one row per corpus size."""
    http_head = " / ".join(str(c) for c in clients)
    head = (
        "| passages | chunks | build s | chunks/s | passages/s | build RSS MiB | disk MiB "
        f"| cold start s | warm p50 / p95 ms | gold in answer | req/s at {http_head} clients "
        "| serve RSS MiB |"
    )
    rows = [head, "|" + "---|" * 12]
    for r in results:
        rps = " / ".join(f"{r.http[c]['requests_per_s']:.1f}" for c in clients if c in r.http)
        rows.append(
            f"| {r.passages} | {r.chunks} | {r.build_s:.1f} | {r.chunks_per_s:.1f} "
            f"| {r.passages_per_s:.2f} | {r.build_rss_mib:.0f} | {r.disk_mib:.1f} "
            f"| {r.cold_s:.2f} | {r.warm_p50_ms:.1f} / {r.warm_p95_ms:.1f} "
            f"| {r.gold_in_answer:.3f} | {rps or '–'} | {r.serve_rss_mib or '–'} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--corpus",
        type=int,
        nargs="+",
        default=[32, 128, 256],
        metavar="N",
        help="corpus sizes in passages (default 32 128 256)",
    )
    parser.add_argument(
        "--set",
        default=str(DATASET),
        metavar="FILE",
        help="SQuAD-format file (default eval/datasets/cmrc2018_trial.json, 256 passages; "
        "eval/datasets/drcd_dev.json has 1000)",
    )
    parser.add_argument("--questions", type=int, default=100, help="questions per size (100)")
    parser.add_argument(
        "--clients",
        type=int,
        nargs="*",
        default=[1, 4, 16],
        metavar="C",
        help="HTTP client counts (default 1 4 16; none skips the HTTP test)",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per client count")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (1)")
    parser.add_argument("--seed", type=int, default=0, help="which sample of passages (0)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar for questions")
    args = parser.parse_args(argv)
    if not 1 <= len(args.corpus) <= MAX_SIZES or min(args.corpus) < 1:
        parser.error(f"--corpus takes 1 to {MAX_SIZES} sizes, each at least 1")
    if not 1 <= args.questions <= MAX_QUESTIONS:
        parser.error(f"--questions must be between 1 and {MAX_QUESTIONS}")
    if not 0 < args.duration <= 120:
        parser.error("--duration must be above 0 and at most 120 seconds")
    if any(not 1 <= c <= 64 for c in args.clients):
        parser.error("each --clients count must be between 1 and 64")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bot.errors import JJQAError
    from eval.squad import load_units

    try:
        units = load_units(args.set)
    except JJQAError as e:
        parser.error(str(e))
    if max(args.corpus) > len(units):
        parser.error(f"{args.set} has {len(units)} passages; ask for at most that many")
    results = []
    with tempfile.TemporaryDirectory(prefix="jjqa-scale-") as tmp:
        models = Path(tmp) / "models"
        say(f"embedding model ready in {convert_once(models):.1f} s (converted once, not timed)")
        speed = yardstick(models, units)
        say(f"yardstick: {speed:.0f} sentences embedded a second")
        for n in args.corpus:
            try:
                results.append(measure(n, units, Path(tmp) / str(n), models, args))
            except (RuntimeError, JJQAError) as e:
                print(f"error at {n} passages: {e}", file=sys.stderr)
                return 1
            say(table(results[-1:], args.clients).splitlines()[-1])
    if args.json:
        rows = [dict(r.to_dict(), yardstick_sentences_per_s=round(speed)) for r in results]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        print(
            f"{Path(args.set).name}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
            f"yardstick {speed:.0f} sentences embedded a second"
        )
        print(table(results, args.clients))
    return 0


if __name__ == "__main__":
    sys.exit(main())
