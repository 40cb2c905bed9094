"""Fixtures for the web channels: the real bot, real uvicorn servers, a stand-in WeChat server."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import served
import uvicorn
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.utils import WeChatSigner, check_signature

from bot.settings import PROJECT_ROOT, Settings
from bot.values import Answer
from bot.web import create_app
from bot.web.serving import uvicorn_config

# As `python -m bot serve` does: the embedding model's idle OpenMP threads sleep instead of
# spinning, which on a busy machine turns a 0.05 s question into seconds.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TOKEN = "jjqa-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
APP_ID = "wx0123456789abcdef"
CORP_ID = "ww0123456789abcdef"
ARTICLE = (PROJECT_ROOT / "docs" / "jiangjin.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def real_bot(shared_bot):
    """The real bot over the real index, built once per test session (tests/conftest.py)."""
    return shared_bot


class RecordingBot:
    """The real bot, recording each question and history; knobs change one behaviour for a test.

    `delay_s` answers no sooner than that (WeChat's 5-second path), `delays` does so for the
    questions it names (a slow question among normal ones), `append` adds text to the answer (a
    reply longer than 2048 bytes), `replace` swaps the answer text, `error` makes every ask
    raise it. `finished` lists the questions whose answers were complete.
    """

    def __init__(
        self, bot, delay_s: float = 0.0, append: str = "", replace=None, error=None, delays=None
    ):
        self.bot = bot
        self.settings = bot.settings
        self.delay_s, self.append, self.replace, self.error = delay_s, append, replace, error
        self.delays = delays or {}
        self.finished: list[str] = []
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []
        self._lock = threading.Lock()

    def ask(self, question: str, history=None) -> Answer:
        started = time.monotonic()
        with self._lock:
            self.calls.append((question, [tuple(t) for t in history or []]))
        if self.error is not None:
            raise self.error
        answer = self.bot.ask(question, history=history)
        # The answer is ready `delay_s` after the question, however long the real bot took.
        delay_s = self.delays.get(question, self.delay_s)
        time.sleep(max(0.0, delay_s - (time.monotonic() - started)))
        with self._lock:
            self.finished.append(question)
        if self.replace is not None:
            answer.answer = self.replace
        if self.append:
            answer.answer = f"{answer.answer}\n{self.append}"
        return answer

    def status(self) -> dict:
        return self.bot.status()

    def warm(self) -> None:
        self.bot.warm()


@pytest.fixture
def make_bot(real_bot):
    """Factory: `make_bot(**knobs)` wraps the real bot in a fresh `RecordingBot`."""
    return lambda **knobs: RecordingBot(real_bot, **knobs)


@contextmanager
def running(app, settings: Settings | None = None) -> Iterator[str]:
    """Serve `app` with uvicorn, configured as `python -m bot serve` configures it (protocol,
    limits, no banner), on a free 127.0.0.1 port; yields the base URL, then stops it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn_config(app, settings or Settings(), "127.0.0.1", port, log_level="warning")
    config.timeout_graceful_shutdown = 2
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def _settings(tmp_path, **overrides) -> Settings:
    """Settings with both chat channels on and the test keys."""
    values = {
        "data_dir": tmp_path,
        "wechat_token": TOKEN,
        "wechat_aes_key": AES_KEY,
        "wechat_appid": APP_ID,
        "wecom_token": TOKEN,
        "wecom_aes_key": AES_KEY,
        "wecom_corp_id": CORP_ID,
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def channel_settings(tmp_path):
    """Factory: settings with both chat channels on and the test keys, plus overrides."""
    return lambda **overrides: _settings(tmp_path, **overrides)


@pytest.fixture
def serve_bot(tmp_path):
    """Start the app around a bot (and settings overrides); yields a function returning the URL."""
    with _Servers(tmp_path) as servers:
        yield servers.start


class _Servers:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self._stack: list = []

    def start(self, bot, **overrides) -> str:
        settings = _settings(self.tmp_path, **overrides)
        context = running(create_app(bot, settings), settings)
        self._stack.append(context)
        return context.__enter__()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        while self._stack:
            self._stack.pop().__exit__(None, None, None)


class WeChatSim:
    """Plays the WeChat (or WeCom) server: signs, encrypts with wechatpy, posts, reads replies.

    `mode` is "plain", "compat" or "aes" for the Official Account, "wecom" for WeCom.
    """

    def __init__(self, base_url: str, mode: str = "plain", token: str = TOKEN):
        self.mode = mode
        self.token = token
        self.path = "/wecom" if mode == "wecom" else "/wechat"
        self.url = base_url + self.path
        if mode == "wecom":
            self.crypto = WeComCrypto(token, AES_KEY, CORP_ID)
        else:
            self.crypto = WeChatCrypto(token, AES_KEY, APP_ID)
        self.to_user = CORP_ID if mode == "wecom" else "gh_jjqa"

    @staticmethod
    def _nonce() -> str:
        return str(random.randint(10**8, 10**9))

    def signed_query(self, **extra) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), self._nonce()
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        check_signature(self.token, signer.signature, timestamp, nonce)
        return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, **extra}

    def message_xml(self, user: str, kind: str, msg_id: str | None = None, **fields) -> str:
        parts = [
            f"<ToUserName><![CDATA[{self.to_user}]]></ToUserName>",
            f"<FromUserName><![CDATA[{user}]]></FromUserName>",
            f"<CreateTime>{int(time.time())}</CreateTime>",
            f"<MsgType><![CDATA[{kind}]]></MsgType>",
        ]
        parts += [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()]
        if msg_id is not None:
            parts.append(f"<MsgId>{msg_id}</MsgId>")
        if self.mode == "wecom":
            parts.append("<AgentID>1000002</AgentID>")
        return "<xml>" + "".join(parts) + "</xml>"

    def post(self, plain_xml: str, timeout: float = 30.0, tamper: bool = False) -> httpx.Response:
        """Send one callback the way WeChat does; `tamper` breaks the signature."""
        query = self.signed_query()
        body = plain_xml
        if self.mode != "plain":
            sealed = _xml_dict(self.crypto.encrypt_message(plain_xml, query["nonce"]))
            query = self.signed_query(msg_signature=sealed["MsgSignature"])
            query["timestamp"], query["nonce"] = sealed["TimeStamp"], sealed["Nonce"]
            signer = WeChatSigner()
            signer.add_data(self.token, query["timestamp"], query["nonce"])
            query["signature"] = signer.signature
            encrypt = f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt>"
            if self.mode == "wecom":
                del query["signature"]
                to = f"<ToUserName><![CDATA[{self.to_user}]]></ToUserName>"
                body = f"<xml>{to}<AgentID>1000002</AgentID>{encrypt}</xml>"
            elif self.mode == "compat":
                query["encrypt_type"] = "aes"
                body = plain_xml.removesuffix("</xml>") + encrypt + "</xml>"
            else:
                query["encrypt_type"] = "aes"
                to = f"<ToUserName><![CDATA[{self.to_user}]]></ToUserName>"
                body = f"<xml>{to}{encrypt}</xml>"
        if tamper:
            key = "msg_signature" if self.mode != "plain" else "signature"
            query[key] = "0" * 40
        return httpx.post(self.url, params=query, content=body.encode("utf-8"), timeout=timeout)

    def read(self, response: httpx.Response) -> dict[str, str]:
        """The reply as `{tag: text}`, decrypted when the channel encrypts."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return {}
        outer = _xml_dict(response.text)
        if "Encrypt" not in outer:
            assert self.mode in {"plain"}, "encrypted channels must answer encrypted"
            return outer
        plain = self.crypto.decrypt_message(
            response.text, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
        )
        return _xml_dict(plain)

    def say(self, text: str, user: str = "oUserA", msg_id: str | None = None, **kw) -> dict:
        """Send a text message and return the parsed reply."""
        msg_id = msg_id or str(random.randint(10**15, 10**16))
        return self.read(self.post(self.message_xml(user, "text", msg_id, Content=text), **kw))


def _xml_dict(text: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in fromstring(text)}


@pytest.fixture
def wechat_sim():
    """Factory: `wechat_sim(base_url, mode)` gives a WeChatSim."""
    return WeChatSim


HARDENED = {
    "rate_limit_per_minute": 5,
    "api_header_timeout_s": 2,
    "api_keepalive_s": 2,
    "api_body_timeout_s": 2,
    "api_max_headers": 20,
    "api_max_header_bytes": 4096,
    "api_max_connections": 30,
    "api_docs": "off",
    "cors_origins": "https://qa.example",
    "trusted_proxies": "127.0.0.2",
    "wechat_token": TOKEN,
    "wechat_aes_key": AES_KEY,
    "wechat_appid": APP_ID,
    "wecom_token": TOKEN,
    "wecom_aes_key": AES_KEY,
    "wecom_corp_id": CORP_ID,
}


class Served:
    """A running `python -m bot serve`: its base URL, port and process (for its log)."""

    def __init__(self, process: served.Process, url: str):
        self.process, self.url = process, url
        self.port = int(url.rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def hardened(shared_data_dir, tmp_path_factory):
    """One real `python -m bot serve` over the shared index with tight limits (HARDENED): short
    timeouts, few connections, a small rate limit, docs off, CORS for one origin, 127.0.0.2 as
    the trusted proxy, and both chat channels on."""
    log = tmp_path_factory.mktemp("hardened") / "serve.log"
    process, url = served.serve(log, data_dir=str(shared_data_dir), **HARDENED)
    try:
        process.wait_http(url + "/healthz")
        yield Served(process, url)
    finally:
        process.stop()


class ChromaServer:
    """A real `chroma run` on a fixed loopback port that a test may stop and start again."""

    def __init__(self, root, port: int):
        self.root, self.port = root, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: served.Process | None = None

    def start(self) -> None:
        self.process = served.chroma(self.root, self.port)
        self.process.wait_http(self.url + "/api/v2/heartbeat")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


@pytest.fixture(scope="session")
def chroma_index(tmp_path_factory):
    """A `chroma run` server holding an index of docs/, built once per test session."""
    root = tmp_path_factory.mktemp("chroma")
    server = ChromaServer(root, served.free_port())
    server.start()
    try:
        build = subprocess.run(
            [sys.executable, "-m", "index", "build", "--quiet"],
            cwd=PROJECT_ROOT,
            env=served.env(chroma_url=server.url, data_dir=str(root / "builder")),
            capture_output=True,
            text=True,
            timeout=served.START_TIMEOUT_S,
        )
        assert build.returncode == 0, build.stdout + build.stderr
        yield server
    finally:
        server.stop()
