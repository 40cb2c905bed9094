"""The WeCom callback over a real socket, with wechatpy's enterprise crypto on both sides."""

from __future__ import annotations

import random
import time

import httpx
import pytest
from wechatpy.enterprise.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

from bot.settings import Settings
from bot.web import replies

PROFILE = Settings().profile()  # docs/profile.toml: the welcome and examples users see

QUESTION = "江津2019年的GDP是多少？"


@pytest.fixture
def wecom(make_bot, serve_bot, wechat_sim):
    bot = make_bot()
    return wechat_sim(serve_bot(bot), "wecom"), bot


def _echo_query(sim, echo_plain: str) -> dict[str, str]:
    """WeCom's verification request: an encrypted echostr signed with the token."""
    echostr = PrpCrypto(sim.crypto.key).encrypt(echo_plain, sim.crypto.corp_id).decode()
    timestamp, nonce = str(int(time.time())), str(random.randint(10**8, 10**9))
    signer = WeChatSigner()
    signer.add_data(sim.token, timestamp, nonce, echostr)
    return {
        "msg_signature": signer.signature,
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": echostr,
    }


def test_url_verification_decrypts_the_echostr(wecom):
    sim, _ = wecom
    good = httpx.get(sim.url, params=_echo_query(sim, "1616140317555161061"))
    assert good.status_code == 200 and good.text == "1616140317555161061"
    forged = _echo_query(sim, "1616140317555161061") | {"msg_signature": "a" * 40}
    bad = httpx.get(sim.url, params=forged)
    assert bad.status_code == 403 and "1616140317555161061" not in bad.text


def test_text_message_gets_an_encrypted_cited_reply(wecom):
    sim, bot = wecom
    reply = sim.say(QUESTION, user="zhangsan")
    assert reply["ToUserName"] == "zhangsan" and reply["FromUserName"] == sim.crypto.corp_id
    assert reply["AgentID"] == "1000002"
    assert "1036.7" in reply["Content"] and "来源：" in reply["Content"]
    assert bot.calls == [(QUESTION, [])]


def test_bad_signature_is_403_and_nothing_is_processed(wecom):
    sim, bot = wecom
    response = sim.post(sim.message_xml("zhangsan", "text", "1", Content=QUESTION), tamper=True)
    assert response.status_code == 403
    assert bot.calls == []


def test_retried_message_is_answered_once_and_history_follows_the_user(wecom):
    sim, bot = wecom
    msg = sim.message_xml("lisi", "text", "7000000000000000001", Content=QUESTION)
    first, again = (sim.read(sim.post(msg))["Content"] for _ in range(2))
    assert first == again and len(bot.calls) == 1
    sim.say("2015年呢？", user="lisi")
    assert [q for q, _ in bot.calls[-1][1]] == [QUESTION]
    assert sim.say("重新开始", user="lisi")["Content"] == replies.RESTARTED


def test_events_and_media_follow_the_same_rules(wecom):
    sim, bot = wecom
    welcome = sim.read(sim.post(sim.message_xml("wangwu", "event", Event="subscribe")))
    assert welcome["Content"] == PROFILE.welcome_text()
    image = sim.read(sim.post(sim.message_xml("wangwu", "image", "2", PicUrl="http://x/a.png")))
    assert image["Content"] == replies.TEXT_ONLY.format(example=PROFILE.example())
    assert bot.calls == []


def test_doctype_inside_the_encrypted_message_is_400(wecom):
    sim, bot = wecom
    evil = (
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        "<xml><ToUserName>ww</ToUserName><FromUserName>u</FromUserName>"
        "<MsgType>text</MsgType><Content>&x;</Content><MsgId>3</MsgId></xml>"
    )
    response = sim.post(evil)
    assert response.status_code == 400
    assert bot.calls == []
