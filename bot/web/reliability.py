"""Rerun the abuse and fault scenarios against real servers on this machine and print a table:
slow clients, idle sockets, replayed WeChat callbacks, and a Chroma outage.

python -m bot.web.reliability            # about three minutes on two cores
python -m bot.web.reliability --skip-outage --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from bot.settings import PROJECT_ROOT, Settings

NORMAL = ""  # a question the documents answer: the profile's first example, set by main()
HEAVY = "\ufdfa" * 1000  # one character that expands to many tokens, at the length limit
START_TIMEOUT_S = 300


@dataclass
class Row:
    """One measured line of the table."""

    scenario: str
    measured: str
    target: str
    ok: bool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**jjqa) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJQA_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1")
    env.update({f"JJQA_{k.upper()}": str(v) for k, v in jjqa.items()})
    return env


def _wait(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready after {START_TIMEOUT_S} s")


@contextmanager
def _process(args: list[str], log: Path, env: dict[str, str], ready_url: str):
    with open(log, "wb") as out:
        process = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait(ready_url, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _serve(log: Path, **jjqa):
    port = _free_port()
    args = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    return _process(args, log, _env(**jjqa), url + "/healthz"), url, port


def _ask(url: str, question: str, source: str, timeout: float = 120) -> tuple[int, float]:
    transport = httpx.HTTPTransport(local_address=source)
    started = time.monotonic()
    try:
        with httpx.Client(transport=transport, timeout=timeout) as client:
            status = client.post(url + "/api/ask", json={"question": question}).status_code
    except httpx.TimeoutException:
        status = 0
    return status, time.monotonic() - started


def slow_clients(url: str) -> list[Row]:
    """The heaviest allowed question, three at once beside a normal one, and abandoned ones."""
    status, alone = _ask(url, HEAVY, "127.0.0.20")
    rows = [
        Row("1,000 × U+FDFA question", f"{status} in {alone:.1f} s", "answer ≤ 3 s", alone <= 3)
    ]
    with ThreadPoolExecutor(3) as pool:
        heavy = [pool.submit(_ask, url, HEAVY, f"127.0.0.{21 + n}") for n in range(3)]
        time.sleep(0.3)
        status, normal = _ask(url, NORMAL, "127.0.0.30")
        heavy_s = max(f.result()[1] for f in heavy)
    rows.append(
        Row(
            "normal question while 3 × U+FDFA run",
            f"{status} in {normal:.1f} s (the 3 took {heavy_s:.1f} s)",
            "answer ≤ 3 s",
            status == 200 and normal <= 3,
        )
    )
    for _ in range(5):  # clients that give up after 1 s
        _ask(url, HEAVY, "127.0.0.31", timeout=1)
    status, after = _ask(url, NORMAL, "127.0.0.32")
    rows.append(
        Row(
            "normal question after 5 abandoned U+FDFA",
            f"{status} in {after:.1f} s",
            "answer ≤ 3 s",
            status == 200 and after <= 3,
        )
    )
    return rows


def drain(url: str, limit_s: float = 300) -> None:
    """Wait until a normal question is answered again, so each scenario starts from quiet."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and _ask(url, NORMAL, "127.0.0.99", 30)[0] != 200:
        time.sleep(1)


def wechat_crowd(url: str, token: str, users: int = 150) -> list[Row]:
    """`users` WeChat users asking at once, with WeChat's retries: each message is sent up to
    three times, each try abandoned after 5 s. Counts answers on the first try, answers on a
    retry, 「正在查询」 replies, and users who got nothing."""
    return [asyncio.run(_crowd(url, token, users))]


async def _crowd(url: str, token: str, users: int) -> Row:
    from bot.web.replies import PENDING

    async def attempt(http: httpx.AsyncClient, n: int, msg_id: int) -> str | None:
        now = str(int(time.time()))
        nonce = f"crowd{n}-{secrets.token_hex(4)}"
        query = {"signature": _sign(token, now, nonce), "timestamp": now, "nonce": nonce}
        xml = (
            f"<xml><ToUserName>gh</ToUserName><FromUserName>o-crowd-{n}</FromUserName>"
            f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType>"
            f"<Content>{NORMAL}</Content><MsgId>{msg_id}</MsgId></xml>"
        )
        try:
            async with asyncio.timeout(5.0):  # WeChat gives up after 5 s
                response = await http.post(url + "/wechat", params=query, content=xml.encode())
        except (TimeoutError, httpx.HTTPError):
            return None
        return response.text if response.status_code == 200 else None

    async def user(http: httpx.AsyncClient, n: int) -> str:
        msg_id = 10**12 + secrets.randbelow(10**9)
        for attempt_no in range(3):
            started = time.monotonic()
            reply = await attempt(http, n, msg_id)
            if reply is not None:
                if PENDING in reply:
                    return "pending"
                return "first" if attempt_no == 0 else "retry"
            await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - started)))
        return "nothing"

    limits = httpx.Limits(max_connections=users * 3, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as http:
        outcomes = await asyncio.gather(*(user(http, n) for n in range(users)))
    counts = {k: outcomes.count(k) for k in ("first", "retry", "pending", "nothing")}
    return Row(
        f"{users} WeChat users at once (WeChat retries at 5 s and 10 s)",
        f"{counts['first']} answered within 5 s, {counts['retry']} on a retry, "
        f"{counts['pending']} told 「正在查询」, {counts['nothing']} nothing",
        "every user gets a reply",
        counts["nothing"] == 0,
    )


def _held_for(sockets: list[socket.socket], limit_s: float) -> tuple[float, int]:
    """Seconds until the server has closed every socket (or `limit_s`), and how many of them it
    refused with 503 before closing."""
    started = time.monotonic()
    first: dict[socket.socket, bytes] = {}
    open_ = list(sockets)
    for s in open_:
        s.setblocking(False)
    while open_ and time.monotonic() - started < limit_s:
        still = []
        for s in open_:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                still.append(s)
                continue
            except OSError:
                continue
            if data:
                first.setdefault(s, data)
                still.append(s)  # a response (503 or 408); the close follows
        open_ = still
        time.sleep(0.2)
    refused = sum(1 for data in first.values() if data.startswith(b"HTTP/1.1 503"))
    return time.monotonic() - started, refused


def idle_sockets(url: str, port: int, settings: Settings) -> list[Row]:
    """Idle sockets past the connection cap, and slowloris headers."""
    idle = [
        socket.create_connection(("127.0.0.1", port))
        for _ in range(settings.api_max_connections + 200)
    ]
    took, refused = _held_for(idle, 60)
    for s in idle:
        s.close()
    status, after = _ask(url, NORMAL, "127.0.0.40")
    rows = [
        Row(
            f"{len(idle)} idle sockets",
            f"{refused} refused at once (503), all closed after {took:.1f} s",
            "closed ≤ 30 s",
            took <= 30,
        ),
        Row("question after the idle flood", f"{status} in {after:.1f} s", "200", status == 200),
    ]
    slow = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(s)
    took, _ = _held_for(slow, 60)
    for s in slow:
        s.close()
    rows.append(Row("200 slowloris headers", f"closed after {took:.1f} s", "≤ 30 s", took <= 30))
    huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (50 * 2**20) + b"\r\n\r\n"
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as s:
        try:
            s.sendall(huge)
        except OSError:
            pass
        s.settimeout(10)
        first = s.recv(64)
    rows.append(
        Row(
            "50 MB header",
            f"{first[9:12].decode() or 'nothing'} after {time.monotonic() - started:.2f} s",
            "431",
            first.startswith(b"HTTP/1.1 431"),
        )
    )
    return rows


def _sign(*parts: str) -> str:
    from wechatpy.utils import WeChatSigner

    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def replay(url: str, token: str, log: Path) -> list[Row]:
    """Stale and reused WeChat signatures, a bad XML encoding, a refused CORS preflight."""
    xml = (
        "<xml><ToUserName>gh</ToUserName><FromUserName>o-victim</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>重新开始</Content>"
        f"<MsgId>{secrets.randbelow(10**15)}</MsgId></xml>"
    )

    def post(timestamp: int, nonce: str, body: str, path: str = "/wechat") -> httpx.Response:
        ts = str(timestamp)
        query = {"signature": _sign(token, ts, nonce), "timestamp": ts, "nonce": nonce}
        return httpx.post(url + path, params=query, content=body.encode(), timeout=30)

    now = int(time.time())
    stale = post(now - 86400, "1", xml).status_code
    nonce = str(secrets.randbelow(10**9))
    first = post(now, nonce, xml).status_code
    reused = post(now, nonce, xml.replace("o-victim", "o-other")).status_code
    bad = '<?xml version="1.0" encoding="x-nope"?><xml/>'
    unsigned = httpx.post(url + "/wecom", content=bad.encode()).status_code
    signed = post(now, str(secrets.randbelow(10**9)), bad).status_code
    preflight = httpx.options(
        url + "/api/ask",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    traceback = "Traceback" in log.read_text(encoding="utf-8", errors="replace")
    return [
        Row("WeChat callback, day-old timestamp", str(stale), "403", stale == 403),
        Row(
            "reused (timestamp, nonce), other body",
            f"{first} then {reused}",
            "403 or 400",
            first == 200 and reused in (400, 403),
        ),
        Row(
            "XML encoding x-nope: /wecom unsigned, /wechat signed",
            f"{unsigned}, {signed}; traceback in log: {'yes' if traceback else 'no'}",
            "4xx, no traceback",
            400 <= unsigned < 500 and 400 <= signed < 500 and not traceback,
        ),
        Row(
            "disallowed CORS preflight",
            f"{preflight.status_code} {preflight.headers.get('content-type')}",
            "JSON error",
            preflight.headers.get("content-type") == "application/json",
        ),
    ]


def outage(folder: Path) -> list[Row]:
    """Stop the Chroma server under a serving bot, then start it again."""
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    chroma = [str(Path(sys.executable).with_name("chroma")), "run", "--path", str(folder / "db")]
    chroma += ["--host", "127.0.0.1", "--port", str(port)]
    chroma_url = f"http://127.0.0.1:{port}"
    beat = chroma_url + "/api/v2/heartbeat"
    rows = []
    with _process(chroma, folder / "chroma.log", _env(), beat) as server:
        subprocess.run(
            [sys.executable, "-m", "index", "build", "--quiet"],
            cwd=PROJECT_ROOT,
            env=_env(chroma_url=chroma_url, data_dir=folder / "builder"),
            check=True,
            timeout=START_TIMEOUT_S,
        )
        serving, url, _ = _serve(folder / "serve.log", chroma_url=chroma_url, data_dir=folder)
        with serving:
            server.terminate()
            server.wait(15)
            time.sleep(1.5)
            health = httpx.get(url + "/healthz").status_code
            asked = httpx.post(url + "/api/ask", json={"question": NORMAL}, timeout=30)
            rows.append(
                Row(
                    "Chroma down: /healthz, /api/ask",
                    f"{health}, {asked.status_code} Retry-After {asked.headers.get('retry-after')}",
                    "503, 503",
                    health == 503 and asked.status_code == 503,
                )
            )
            with _process(chroma, folder / "chroma2.log", _env(), beat):
                back = time.monotonic()
                healthy = answering = None
                while time.monotonic() - back < 30 and answering is None:
                    if healthy is None and httpx.get(url + "/healthz").status_code == 200:
                        healthy = time.monotonic() - back
                    ok = httpx.post(url + "/api/ask", json={"question": NORMAL}, timeout=30)
                    if ok.status_code == 200:
                        answering = time.monotonic() - back
                    time.sleep(0.1)
            rows.append(
                Row(
                    "Chroma back: recovery of /healthz, /api/ask",
                    f"{_secs(healthy)}, {_secs(answering)}",
                    "≤ 5 s each",
                    healthy is not None and answering is not None and max(healthy, answering) <= 5,
                )
            )
    return rows


def _secs(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def table(rows: list[Row]) -> str:
    lines = ["| scenario | measured | target | ok |", "|---|---|---|---|"]
    lines += [
        f"| {r.scenario} | {r.measured} | {r.target} | {'yes' if r.ok else 'NO'} |" for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.web.reliability",
        description="Start real servers on 127.0.0.1 (`python -m bot serve`, `chroma run`) and "
        "rerun the slow-client, idle-socket, replay and outage scenarios; print a table. "
        "Uses the index in JJQA_DATA_DIR (built if missing) with the default limits.",
    )
    parser.add_argument("--skip-outage", action="store_true", help="skip the Chroma outage")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    global NORMAL
    NORMAL = settings.profile().example()
    token = secrets.token_hex(8)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="jjqa-reliability-") as tmp:
        folder = Path(tmp)
        log = folder / "serve.log"
        serving, url, port = _serve(
            log,
            data_dir=settings.data_dir,
            wechat_token=token,
            wecom_token=token,
            wecom_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            wecom_corp_id="ww0",
            cors_origins="https://qa.example",
        )
        print(f"serving {url}; running the scenarios", file=sys.stderr)
        with serving:
            rows += slow_clients(url)
            drain(url)
            rows += wechat_crowd(url, token)
            drain(url)
            rows += idle_sockets(url, port, settings)
            rows += replay(url, token, log)
        if not args.skip_outage:
            print("Chroma outage: building an index on a Chroma server", file=sys.stderr)
            rows += outage(folder / "outage")
    print(json.dumps([asdict(r) for r in rows], ensure_ascii=False) if args.json else table(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
