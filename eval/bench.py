"""`python -m eval.bench`: index build time, cold start to first answer, warm latency and peak
memory of the default (extractive) mode. A measurement to report, not a test."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval.bench_scale import DATASET, yardstick
from eval.squad import load_units

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT / "eval" / "qa.jsonl"


def _child(args: list[str], data_dir: Path) -> tuple[float, int, str]:
    """Run `python args` with its own data dir; return (seconds, peak RSS in MB of it and of
    the largest process it started (the build's snapshot process), stdout)."""
    env = dict(os.environ, JJQA_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    code = (
        "import resource, runpy, sys, time; t = time.perf_counter(); sys.argv = {argv!r}; "
        "rc = 0\ntry:\n    runpy.run_module({mod!r}, run_name='__main__')\n"
        "except SystemExit as e:\n    rc = e.code or 0\n"
        "print('BENCH', time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr)"
    ).format(argv=[args[1], *args[2:]], mod=args[1])
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    line = [x for x in out.stderr.splitlines() if x.startswith("BENCH")][-1].split()
    return wall, (int(line[2]), int(line[3])), out.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the question set")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)

    questions = [json.loads(x) for x in QA.read_text(encoding="utf-8").splitlines() if x.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        # the first build converts the embedding model for ONNX Runtime, once per machine
        first_s, _, _ = _child(["-m", "index", "build", "--quiet"], data_dir)
        build_s, build_mb, _ = _child(["-m", "index", "build", "--force", "--quiet"], data_dir)
        cold_s, (cold_mb, _), _ = _child(["-m", "bot", "ask", "江津2019年GDP是多少？"], data_dir)

        os.environ["JJQA_DATA_DIR"] = str(data_dir)
        from bot.chain import Bot

        bot = Bot.from_env().warm()
        latencies = []
        for _ in range(args.rounds):
            for item in questions:
                t = time.perf_counter()
                bot.ask(item["question"], history=item.get("history"))
                latencies.append((time.perf_counter() - t) * 1000)
        warm_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        speed = yardstick(data_dir / "models", load_units(DATASET))
    # the first round embeds every question; later rounds find their vectors in the query cache
    first = sorted(latencies[: len(questions)])
    latencies.sort()
    result = {
        "yardstick_sentences_per_s": round(speed),  # the machine's speed, as make bench-scale
        "questions": len(questions),
        "rounds": args.rounds,
        "first_round_median_ms": round(statistics.median(first), 1),
        "first_round_p95_ms": round(first[int(0.95 * (len(first) - 1))], 1),
        "warm_median_ms": round(statistics.median(latencies), 1),
        "warm_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "warm_max_ms": round(latencies[-1], 1),
        "cold_first_answer_s": round(cold_s, 2),
        "index_build_s": round(build_s, 2),
        "first_build_s": round(first_s, 2),
        "peak_rss_mb": {
            "build": build_mb[0],
            "build_snapshot_process": build_mb[1],
            "cold_ask": cold_mb,
            "warm_bot": warm_rss,
        },
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
