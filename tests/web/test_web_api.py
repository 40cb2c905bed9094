"""The HTTP API over a real socket: answers, health, docs, token, CORS, limits and errors."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.errors import LLMError
from bot.settings import PROJECT_ROOT, Settings

QUESTION = "江津2019年的GDP是多少？"
ARTICLE = (PROJECT_ROOT / "docs" / "jiangjin.txt").read_text(encoding="utf-8")


def _same_text(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


@pytest.fixture
def api(make_bot, serve_bot):
    """A recording real bot behind the API with a token, CORS for one origin and tight limits."""
    bot = make_bot()
    url = serve_bot(
        bot,
        api_token="s3cret-token",
        cors_origins=["https://jiangjin.example"],
        max_body_bytes=2048,
        max_question_chars=100,
        rate_limit_per_minute=5,
    )
    client = httpx.Client(base_url=url, headers={"Authorization": "Bearer s3cret-token"})
    yield client, bot
    client.close()


@pytest.fixture
def open_api(make_bot, serve_bot):
    """The API without token or rate limit, as on a private network."""
    bot = make_bot()
    with httpx.Client(base_url=serve_bot(bot)) as client:
        yield client, bot


def test_ask_returns_cited_answer_from_the_article(open_api):
    client, _ = open_api
    response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"answer", "kind", "refused", "citations", "timings_ms"}
    assert body["refused"] is False
    assert "1036.7" in body["answer"] + "".join(c["quote"] for c in body["citations"])
    assert body["citations"], "an answer from the article cites it"
    for c in body["citations"]:
        assert f"[{c['n']}]" in body["answer"]
        assert _same_text(ARTICLE[c["start"] : c["end"]], c["quote"])


def test_history_reaches_the_bot_and_bad_history_is_a_json_422(open_api):
    client, bot = open_api
    history = [["江津2019年的GDP是多少？", "1036.7亿元"]]
    response = client.post("/api/ask", json={"question": "2015年呢？", "history": history})
    assert response.status_code == 200
    assert bot.calls[-1] == ("2015年呢？", [("江津2019年的GDP是多少？", "1036.7亿元")])
    calls = len(bot.calls)
    response = client.post("/api/ask", json={"question": "2015年呢？", "history": [["only one"]]})
    assert response.status_code == 422
    assert "history" in response.json()["error"]
    assert len(bot.calls) == calls


def test_empty_and_emoji_questions_get_polite_answers(open_api):
    client, _ = open_api
    for question in ["", "   ", "🤔🤔🤔"]:
        response = client.post("/api/ask", json={"question": question})
        assert response.status_code == 200
        assert response.json()["answer"].strip()


def test_healthz_says_the_index_is_ready_and_what_it_holds(open_api):
    client, _ = open_api
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["ready"] is True
    assert health["documents"] >= 1 and health["chunks"] > 0
    assert health["store"] == "local"


def test_openapi_documents_both_endpoints(open_api):
    client, _ = open_api
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/healthz"} <= set(spec["paths"])
    assert "question" in spec["components"]["schemas"]["AskRequest"]["properties"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_token_is_required_and_compared_exactly(api):
    client, bot = api
    url = str(client.base_url) + "/api/ask"
    for headers in [
        {},
        {"Authorization": "Bearer s3cret-tokem"},
        {"Authorization": "s3cret-token"},
    ]:
        response = httpx.post(url, json={"question": QUESTION}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "token" in response.json()["error"]
    assert bot.calls == []
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200


def test_cors_allows_only_the_configured_origin(api):
    client, _ = api
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(
        "/api/ask", headers={"Origin": "https://jiangjin.example", **preflight}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://jiangjin.example"
    other = client.options("/api/ask", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_oversized_body_is_refused_before_the_bot_sees_it(api):
    client, bot = api
    big = {"question": QUESTION, "history": [["问" * 400, "答" * 400]]}
    response = client.post("/api/ask", json=big)
    assert response.status_code == 413
    assert "2048 bytes" in response.json()["error"]

    def chunks():  # no Content-Length: the limit must count what arrives
        for _ in range(10):
            yield b'{"question": "' + b"x" * 400

    response = client.post("/api/ask", content=chunks())
    assert response.status_code == 413
    assert bot.calls == []


def test_long_question_is_refused_with_the_limit(api):
    client, bot = api
    response = client.post("/api/ask", json={"question": "江" * 101})
    assert response.status_code == 422
    assert "100 characters" in response.json()["error"]
    assert bot.calls == []


def test_rate_limit_answers_429_with_retry_after_per_client(api):
    client, bot = api
    url = str(client.base_url) + "/api/ask"
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
    # Refused requests count too, so guessing tokens is throttled as well.
    codes = [httpx.post(url, json={"question": QUESTION}).status_code for _ in range(4)]
    assert codes == [401] * 4
    limited = client.post("/api/ask", json={"question": QUESTION})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "too many requests" in limited.json()["error"]
    assert len(bot.calls) == 1
    # Another client address on the loopback network has its own allowance.
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(headers=client.headers, transport=transport) as other:
        assert other.post(url, json={"question": QUESTION}).status_code == 200


def test_malformed_json_and_unknown_paths_are_json_errors(open_api):
    client, _ = open_api
    bad = client.post(
        "/api/ask", content=b'{"question": ', headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 422 and bad.json()["error"]
    missing = client.post("/api/ask", json={})
    assert missing.status_code == 422 and "question" in missing.json()["error"]
    assert client.get("/nowhere").json() == {"error": "Not Found"}
    assert client.get("/api/ask").status_code == 405


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (LLMError("the chat model timed out after 20 s"), 503, "timed out"),
        (RuntimeError("secret internal detail"), 500, "internal error"),
    ],
)
def test_failures_become_json_without_traceback(make_bot, serve_bot, error, status, words):
    url = serve_bot(make_bot(error=error))
    response = httpx.post(url + "/api/ask", json={"question": QUESTION})
    assert response.status_code == status
    assert words in response.json()["error"]
    assert "Traceback" not in response.text and "secret internal" not in response.text


def test_healthz_is_503_until_the_index_is_loaded(serve_bot, tmp_path):
    from bot.chain import Bot

    cold = Bot(Settings(data_dir=tmp_path / "empty"))  # never warmed: no index, no model
    response = httpx.get(serve_bot(cold) + "/healthz")
    assert response.status_code == 503
    assert response.json()["ready"] is False and response.json()["chunks"] == 0
