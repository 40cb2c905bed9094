"""Honest health through a Chroma outage: a real `python -m bot serve` on a real `chroma run`
that is stopped and started again."""

from __future__ import annotations

import time

import httpx
import pytest
import served

QUESTION = "江津2019年的GDP是多少？"
RECOVERY_S = 5.0


@pytest.fixture(scope="module")
def on_chroma(chroma_index, tmp_path_factory):
    data = tmp_path_factory.mktemp("outage")
    process, url = served.serve(
        data / "serve.log", chroma_url=chroma_index.url, data_dir=str(data), rate_limit_per_minute=0
    )
    try:
        process.wait_http(url + "/healthz")
        yield process, url
    finally:
        process.stop()


def _ask() -> dict:
    return {"question": QUESTION}


def _until(check, limit_s: float) -> float:
    """Seconds until `check()` is true, polling every 0.1 s; fail after `limit_s`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit_s, f"not within {limit_s} s"
        time.sleep(0.1)
    return time.monotonic() - started


def test_chroma_down_is_503_with_a_reason_and_both_recover_within_5_s(on_chroma, chroma_index):
    process, url = on_chroma
    assert httpx.get(url + "/healthz").status_code == 200
    assert httpx.post(url + "/api/ask", json=_ask(), timeout=30).status_code == 200
    chroma_index.stop()
    try:
        _until(lambda: httpx.get(url + "/healthz").status_code == 503, 5)
        health = httpx.get(url + "/healthz").json()
        assert health["ready"] is False
        assert "Chroma server" in health["reason"] and chroma_index.url in health["reason"]
        asked = httpx.post(url + "/api/ask", json=_ask(), timeout=30)
        assert asked.status_code == 503
        error = asked.json()["error"]
        assert "index store" in error or "Chroma server" in error
        assert int(asked.headers["retry-after"]) >= 1
        assert httpx.head(url + "/healthz").status_code == 503
    finally:
        chroma_index.start()  # returns once Chroma's heartbeat answers
    healthy = _until(lambda: httpx.get(url + "/healthz").status_code == 200, RECOVERY_S)
    answering = _until(
        lambda: httpx.post(url + "/api/ask", json=_ask(), timeout=30).status_code == 200,
        RECOVERY_S,
    )
    print(f"recovered: /healthz {healthy:.1f} s, /api/ask {healthy + answering:.1f} s")
    assert "Traceback" not in process.text()
