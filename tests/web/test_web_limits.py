"""Server limits over raw sockets against a real `python -m bot serve` (the `hardened` fixture:
2 s header, body and keep-alive timeouts, 4 KiB and 20 headers, 30 connections)."""

from __future__ import annotations

import json
import socket
import time

import httpx
from served import raw_exchange, status_and_body

GET_HEALTH = b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
SLACK_S = 1.5  # scheduling slack on a busy 2-core machine


def _json_error(raw: bytes, status: int) -> dict:
    got, headers, body = status_and_body(raw)
    assert got == status, raw[:300]
    assert headers["content-type"] == "application/json"
    assert "server" not in headers
    return json.loads(body)


def test_an_idle_connection_is_closed_after_the_header_timeout(hardened):
    took, received, closed = raw_exchange(hardened.port, b"", wait_s=10)
    assert closed and received == b""
    assert 1.5 < took < 2 + SLACK_S


def test_slowloris_headers_get_408_and_are_closed(hardened):
    sockets = []
    for _ in range(10):  # several at once, each sending part of a request and stopping
        s = socket.create_connection(("127.0.0.1", hardened.port))
        s.sendall(GET_HEALTH + b"X-Slow: 1\r\n")
        sockets.append(s)
    took, received, closed = raw_exchange(hardened.port, GET_HEALTH + b"X-Slow: 2\r\n", wait_s=10)
    assert closed and took < 2 + SLACK_S
    assert "headers did not arrive within 2 s" in _json_error(received, 408)["error"]
    for s in sockets:  # the others were closed too
        s.settimeout(SLACK_S)
        assert s.recv(65536).startswith(b"HTTP/1.1 408")
        s.close()


def test_a_kept_alive_connection_is_closed_after_the_keepalive_timeout(hardened):
    with socket.create_connection(("127.0.0.1", hardened.port)) as s:
        s.sendall(GET_HEALTH + b"\r\n")
        s.settimeout(5)
        response = b""
        while b"\r\n\r\n" not in response or not response.endswith(b"}"):
            response += s.recv(65536)
        assert response.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        s.settimeout(10)
        assert s.recv(65536) == b"", "the server closes the idle connection"
        assert time.monotonic() - started < 2 + SLACK_S


def test_a_body_that_does_not_arrive_gets_408(hardened):
    head = b"POST /api/ask HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    took, received, closed = raw_exchange(
        hardened.port, head + b'Content-Length: 200\r\n\r\n{"question": "', wait_s=10
    )
    assert closed and took < 2 + SLACK_S
    assert "body did not arrive within 2 s" in _json_error(received, 408)["error"]


def test_oversized_or_too_many_headers_get_431_before_the_whole_header_is_read(hardened):
    huge = GET_HEALTH + b"X-Big: " + b"a" * (8 * 2**20) + b"\r\n\r\n"  # 8 MiB, never read in full
    took, received, closed = raw_exchange(hardened.port, huge)
    assert closed and took < SLACK_S
    assert "larger than 4096 bytes" in _json_error(received, 431)["error"]
    one_block = GET_HEALTH + b"X-Big: " + b"a" * 6000 + b"\r\n\r\n"  # complete, in one packet
    assert "4096" in _json_error(raw_exchange(hardened.port, one_block)[1], 431)["error"]
    many = GET_HEALTH + b"".join(b"X-%d: 1\r\n" % i for i in range(25)) + b"\r\n"
    assert "more than 20" in _json_error(raw_exchange(hardened.port, many)[1], 431)["error"]


def test_malformed_http_is_a_json_400(hardened):
    for garbage in [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost t\r\n\r\n",
        b"POST /api/ask HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\n\r\n",
    ]:
        took, received, closed = raw_exchange(hardened.port, garbage)
        assert closed
        assert _json_error(received, 400) == {"error": "malformed HTTP request"}


def test_connections_past_the_cap_are_refused_at_once_and_service_resumes(hardened):
    idle = [socket.create_connection(("127.0.0.1", hardened.port)) for _ in range(30)]
    try:
        time.sleep(0.2)
        took, received, closed = raw_exchange(hardened.port, GET_HEALTH + b"\r\n")
        assert closed and took < SLACK_S
        refused = _json_error(received, 503)
        assert "too many open connections" in refused["error"]
        assert b"retry-after: 1" in received
    finally:
        for s in idle:
            s.close()
    time.sleep(0.3)
    assert httpx.get(hardened.url + "/healthz").status_code == 200


def test_every_error_is_json_and_no_server_banner(hardened):
    for method, path in [("GET", "/nowhere"), ("DELETE", "/api/ask"), ("PUT", "/healthz")]:
        response = httpx.request(method, hardened.url + path)
        assert response.status_code in (404, 405)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]
        assert "server" not in response.headers
    preflight = httpx.options(
        hardened.url + "/api/ask",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert preflight.json() == {"error": "Disallowed CORS origin"}
    allowed = httpx.options(
        hardened.url + "/api/ask",
        headers={"Origin": "https://qa.example", "Access-Control-Request-Method": "POST"},
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://qa.example"


def test_head_healthz_and_docs_switched_off(hardened):
    head = httpx.head(hardened.url + "/healthz")
    assert head.status_code == 200 and head.content == b""
    for path in ["/docs", "/openapi.json", "/redoc"]:
        response = httpx.get(hardened.url + path)
        assert response.status_code == 404 and response.json() == {"error": "Not Found"}
