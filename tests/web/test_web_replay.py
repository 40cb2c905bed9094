"""WeChat and WeCom callbacks that replay, forge or break, sent with wechatpy's signatures over a
real socket to a real `python -m bot serve` (the `hardened` fixture)."""

from __future__ import annotations

import random
import subprocess
import sys
import time

import httpx
import pytest
from conftest import TOKEN
from served import env
from wechatpy.utils import WeChatSigner

from bot.settings import PROJECT_ROOT
from bot.web import replies

QUESTION = "江津2019年的GDP是多少？"
DAY_S = 86400


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _nonce() -> str:
    return str(random.randint(10**8, 10**9))


def _plain_query(timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or _nonce()
    return {"signature": _sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def _sealed(sim, xml: str, timestamp: int, nonce: str) -> tuple[dict[str, str], str]:
    """The query and body WeChat (aes) or WeCom would send for `xml` at `timestamp`/`nonce`."""
    encrypt = sim.crypto.encrypt_message(xml, nonce, str(timestamp))
    sealed = encrypt.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    ts = str(timestamp)
    query = {"timestamp": ts, "nonce": nonce, "msg_signature": _sign(TOKEN, ts, nonce, sealed)}
    if sim.mode != "wecom":
        query |= {"signature": _sign(TOKEN, ts, nonce), "encrypt_type": "aes"}
    body = f"<xml><ToUserName><![CDATA[{sim.to_user}]]></ToUserName>"
    return query, body + f"<Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"


def _send(sim, xml: str, timestamp: int | None = None, nonce: str | None = None):
    """Post `xml` as WeChat would, signed for the given (or current) timestamp and nonce."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or _nonce()
    if sim.mode == "plain":
        query, body = _plain_query(timestamp, nonce), xml
    else:
        query, body = _sealed(sim, xml, timestamp, nonce)
    return httpx.post(sim.url, params=query, content=body.encode("utf-8"), timeout=30)


@pytest.fixture
def sims(hardened, wechat_sim):
    return lambda mode: wechat_sim(hardened.url, mode)


def _text(sim, user: str, content: str, msg_id: str | None = None) -> str:
    return sim.message_xml(
        user, "text", msg_id or str(random.randint(10**15, 10**16)), Content=content
    )


@pytest.mark.parametrize("mode", ["plain", "aes", "wecom"])
def test_stale_and_future_timestamps_are_403_in_every_mode(sims, mode):
    sim = sims(mode)
    for skew in [-DAY_S, -301, 365 * DAY_S]:
        response = _send(sim, _text(sim, f"o-skew-{mode}", "重新开始"), int(time.time()) + skew)
        assert response.status_code == 403, skew
        assert "timestamp" in response.json()["error"]
    assert sim.read(_send(sim, _text(sim, f"o-skew-{mode}", "重新开始")))["Content"] == (
        replies.RESTARTED
    )


@pytest.mark.parametrize("mode", ["plain", "aes", "wecom"])
def test_a_reused_timestamp_and_nonce_is_403_whatever_the_body(sims, mode):
    sim = sims(mode)
    now, nonce = int(time.time()), _nonce()
    first = _text(sim, f"o-replay-{mode}", "继续")
    assert _send(sim, first, now, nonce).status_code == 200
    again = _send(sim, first, now, nonce)  # the same request, byte for byte
    assert again.status_code == 403 and "already used" in again.json()["error"]
    forged = _send(sim, _text(sim, f"o-victim-{mode}", "重新开始"), now, nonce)
    assert forged.status_code == 403, "a new body signed with a used pair is refused too"


def test_url_verification_is_replay_protected_too(hardened):
    query = _plain_query() | {"echostr": "4242"}
    first = httpx.get(hardened.url + "/wechat", params=query)
    assert first.status_code == 200 and first.text == "4242"
    assert httpx.get(hardened.url + "/wechat", params=query).status_code == 403
    stale = _plain_query(int(time.time()) - DAY_S) | {"echostr": "4242"}
    assert httpx.get(hardened.url + "/wechat", params=stale).status_code == 403


def test_another_user_with_the_same_msgid_gets_their_own_reply(sims):
    sim = sims("aes")
    msg_id = str(random.randint(10**15, 10**16))
    mine = sim.read(_send(sim, _text(sim, "o-alice", QUESTION, msg_id)))["Content"]
    assert "1036.7" in mine
    theirs = sim.read(_send(sim, _text(sim, "o-mallory", "继续", msg_id)))["Content"]
    assert theirs == replies.NO_MORE, "Mallory's message is hers, not a replay of Alice's"


def test_signing_values_never_reach_the_access_log(hardened, sims):
    sim = sims("aes")
    query, body = _sealed(sim, _text(sim, "o-logged", "继续"), int(time.time()), _nonce())
    assert httpx.post(sim.url, params=query, content=body.encode()).status_code == 200
    time.sleep(0.3)
    log = hardened.process.text()
    assert "POST /wechat?timestamp=…&nonce=…&msg_signature=…&signature=…&encrypt_type=aes" in log
    for value in [query["signature"], query["msg_signature"], query["nonce"]]:
        assert value not in log


def test_bad_xml_encodings_are_4xx_without_traceback(hardened, sims):
    declared = '<?xml version="1.0" encoding="x-nope"?>'
    unsigned = httpx.post(hardened.url + "/wecom", content=(declared + "<xml/>").encode())
    assert unsigned.status_code == 403 and unsigned.json()["error"]
    for mode in ["wecom", "aes"]:
        sim = sims(mode)
        query, body = _sealed(sim, _text(sim, "o-enc", "继续"), int(time.time()), _nonce())
        signed = httpx.post(sim.url, params=query, content=(declared + body).encode())
        assert signed.status_code == 400 and signed.json() == {"error": "XML must be UTF-8"}
    plain = httpx.post(
        hardened.url + "/wechat",
        params=_plain_query(),
        content=(declared + _text(sims("plain"), "o-enc", "继续")).encode(),
    )
    assert plain.status_code == 400
    gbk = '<?xml version="1.0" encoding="GBK"?>' + _text(sims("plain"), "o-enc", "继续")
    response = httpx.post(hardened.url + "/wechat", params=_plain_query(), content=gbk.encode())
    assert response.status_code == 400
    assert "Traceback" not in hardened.process.text()


def test_each_openid_has_its_own_rate_limit(sims):
    sim = sims("plain")  # the hardened server allows 5 messages a minute per user
    replies_a = [sim.read(_send(sim, _text(sim, "o-chatty", "继续")))["Content"] for _ in range(6)]
    assert replies_a[:5] == [replies.NO_MORE] * 5
    assert replies_a[5] == replies.TOO_FAST
    assert sim.read(_send(sim, _text(sim, "o-quiet", "继续")))["Content"] == replies.NO_MORE


def test_a_bad_aes_key_is_one_line_that_does_not_show_the_key():
    key = "SeCrEtKeY" + "x" * 20
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "1"],
        cwd=PROJECT_ROOT,
        env=env(wechat_token=TOKEN, wechat_aes_key=key, wechat_appid="wx1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "43-character" in done.stderr
    assert "SeCr" not in done.stderr
