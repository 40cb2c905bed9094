"""Bounded work per request over a real socket: deadlines, clients that leave, a few questions
per client at a time, a concurrency cap and bounded history. A slow question is the real bot's
answer held back by the `delays` knob, so the timing is the web layer's, not the engine's."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.web.asking import DEFAULT_WORKERS

NORMAL = "江津2019年的GDP是多少？"
SLOW = "江津的森林覆盖率提高到了多少？"


def _client(address: str) -> httpx.Client:
    """A client whose requests come from `address` on the loopback network."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _ask(url: str, question: str, address: str = "127.0.0.1", timeout: float = 30):
    with _client(address) as client:
        return client.post(url + "/api/ask", json={"question": question}, timeout=timeout)


def _in_background(fn, *args) -> threading.Thread:
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread


def test_a_slow_question_does_not_hold_up_another_clients_question(make_bot, serve_bot):
    bot = make_bot(delays={SLOW: 4.0})
    url = serve_bot(bot, max_inflight_per_client=2)
    slow = [_in_background(_ask, url, SLOW) for _ in range(2)]
    time.sleep(0.5)
    third = _ask(url, SLOW)
    assert third.status_code == 429 and "still being answered" in third.json()["error"]
    assert int(third.headers["retry-after"]) >= 1
    started = time.monotonic()
    other = _ask(url, NORMAL, address="127.0.0.3")
    waited = time.monotonic() - started
    assert other.status_code == 200 and "1036.7" in other.json()["answer"]
    assert waited < 2.0, f"another client's question waited {waited:.1f} s behind slow ones"
    for thread in slow:
        thread.join(10)


def test_a_question_past_its_deadline_is_503_with_retry_after(make_bot, serve_bot):
    url = serve_bot(make_bot(delays={SLOW: 3.0}), api_timeout_s=1)
    started = time.monotonic()
    late = _ask(url, SLOW)
    assert late.status_code == 503
    assert "no answer within 1 s" in late.json()["error"]
    assert late.headers["retry-after"] == "2"
    assert time.monotonic() - started < 2.0
    assert _ask(url, NORMAL).status_code == 200


def test_a_queued_question_whose_client_left_is_never_answered(make_bot, serve_bot):
    bot = make_bot(delays={SLOW: 3.0})
    url = serve_bot(bot, max_inflight_per_client=0)
    busy = [_in_background(_ask, url, SLOW) for _ in range(DEFAULT_WORKERS)]  # every thread
    time.sleep(0.5)
    with pytest.raises(httpx.ReadTimeout):
        _ask(url, NORMAL, address="127.0.0.4", timeout=0.5)
    for thread in busy:
        thread.join(10)
    time.sleep(0.5)
    assert bot.finished.count(SLOW) == DEFAULT_WORKERS
    assert NORMAL not in [q for q, _ in bot.calls], "the abandoned question never started"


def test_abandoned_work_still_counts_against_its_own_client(make_bot, serve_bot):
    bot = make_bot(delays={SLOW: 3.0})
    url = serve_bot(bot, max_inflight_per_client=1)
    with pytest.raises(httpx.ReadTimeout):
        _ask(url, SLOW, timeout=0.5)  # the client gives up; the bot is still answering
    assert _ask(url, NORMAL).status_code == 429
    assert _ask(url, NORMAL, address="127.0.0.5").status_code == 200, "others are served"
    deadline = time.monotonic() + 10
    while SLOW not in bot.finished:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.2)
    assert _ask(url, NORMAL).status_code == 200


def test_requests_past_the_concurrency_cap_get_503_at_once(make_bot, serve_bot):
    url = serve_bot(make_bot(delays={SLOW: 3.0}), api_max_concurrency=2, max_inflight_per_client=0)
    with ThreadPoolExecutor(4) as pool:
        started = time.monotonic()
        futures = [pool.submit(_ask, url, SLOW) for _ in range(2)]
        time.sleep(0.5)
        refused = [_ask(url, NORMAL, address=f"127.0.0.{n}") for n in (6, 7)]
        refused_after = time.monotonic() - started
        codes = sorted(f.result().status_code for f in futures)
    assert codes == [200, 200]
    for response in refused:
        assert response.status_code == 503
        assert response.json() == {"error": "the server is busy; try again shortly"}
        assert response.headers["retry-after"] == "1"
    assert refused_after < 2.0


def test_history_is_cut_to_the_last_turns_and_each_entry_to_its_limit(make_bot, serve_bot):
    bot = make_bot()
    url = serve_bot(bot, max_history_turns=2, max_history_chars=6, max_body_bytes=65536)
    history = [[f"问题{n}" + "长" * 50, f"回答{n}" + "长" * 500] for n in range(30)]
    response = httpx.post(
        url + "/api/ask", json={"question": "2015年呢？", "history": history}, timeout=30
    )
    assert response.status_code == 200
    assert bot.calls[-1] == (
        "2015年呢？",
        [("问题28长长", "回答28长长"), ("问题29长长", "回答29长长")],
    )
