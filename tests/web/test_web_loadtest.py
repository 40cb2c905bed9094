"""The load-test tool: bounded by count and time, loopback only, and reporting what it measured."""

from __future__ import annotations

import json
import os

import pytest

from bot.web import loadtest


def test_load_test_reports_throughput_latency_and_memory(make_bot, serve_bot, capsys):
    url = serve_bot(make_bot(), max_inflight_per_client=0)
    argv = ["--url", url, "--clients", "3", "--duration", "20", "--max-requests", "9"]
    code = loadtest.main([*argv, "--pid", str(os.getpid()), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["ok"] == 9 and result["errors"] == {}, "stops at the request cap"
    assert result["requests_per_s"] > 0
    lat = result["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert result["memory"][0]["pid"] == os.getpid() and result["memory"][0]["peak_rss_mib"] > 10


def test_load_test_counts_errors_and_stops_on_time(make_bot, serve_bot, capsys):
    url = serve_bot(make_bot(), rate_limit_per_minute=2)
    code = loadtest.main(["--url", url, "--clients", "2", "--duration", "1.5", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1
    assert result["ok"] == 2 and result["errors"]["HTTP 429"] >= 1
    assert result["seconds"] < 5


@pytest.mark.parametrize("url", ["http://10.0.0.8:8000", "https://example.org", "nonsense"])
def test_load_test_refuses_anything_but_loopback(url, capsys):
    with pytest.raises(SystemExit) as exit_:
        loadtest.main(["--url", url, "--duration", "1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "loopback" in err or "not a URL" in err


def test_percentile_uses_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert loadtest.percentile(values, 50) == 50.0
    assert loadtest.percentile(values, 99) == 99.0
    assert loadtest.percentile([], 95) == 0.0
