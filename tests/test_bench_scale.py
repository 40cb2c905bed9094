"""The scale benchmark runs end to end on a tiny corpus and reports every figure it promises."""

import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.web import served


def bench(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eval.bench_scale", *args],
        cwd=ROOT,
        env=served.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_tiny_corpus_gets_build_latency_http_memory_and_quality_figures():
    done = bench(*"--corpus 2 --questions 3 --clients 1 --duration 1 --json".split())
    assert done.returncode == 0, done.stderr[-3000:]
    for step in ("[2] building", "[2] cold start", "[2] warm", "[2] HTTP", "| 2 | "):
        assert step in done.stderr  # progress, as it goes, and each size's row when done
    assert "嵌入片段" in done.stderr  # the build's own progress bar
    [row] = json.loads(done.stdout)
    assert row["passages"] == 2 and row["chunks"] > 2 and row["disk_mib"] > 0
    assert row["build_s"] > 0 and row["build_rss_mib"] > 50 and row["cold_s"] > 0
    assert row["questions"] == 4  # three from the corpus, one from outside it
    assert 0 < row["warm_p50_ms"] <= row["warm_p95_ms"]
    assert 0 <= row["gold_in_answer"] <= 1 and row["outside_refused"] in (0, 1)
    http = row["http"]["1"]
    assert http["errors"] == 0 and http["requests_per_s"] > 0
    assert row["serve_rss_mib"] > 50
    assert row["yardstick_sentences_per_s"] > 0  # how fast the machine was, for later runs
    assert "yardstick:" in done.stderr


def test_sizes_beyond_the_set_and_unbounded_runs_are_refused():
    too_many = bench("--corpus", "300", timeout=120)
    assert too_many.returncode == 2 and "has 256 passages" in too_many.stderr
    too_long = bench("--corpus", "2", "--duration", "1000", timeout=120)
    assert too_long.returncode == 2 and "--duration" in too_long.stderr
