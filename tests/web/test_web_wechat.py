"""The Official Account bridge over a real socket, with XML signed and sealed by wechatpy."""

from __future__ import annotations

import random
import re
import time

import httpx
import pytest

from bot.errors import ConfigError
from bot.settings import Settings
from bot.web import create_app, replies
from bot.web.replies import MAX_REPLY_BYTES, MORE_HINT

PROFILE = Settings().profile()  # docs/profile.toml: the welcome and examples users see

QUESTION = "江津2019年的GDP是多少？"
SECTION = "坚持新发展理念 GDP迈上千亿台阶"


def _msg_id() -> str:
    return str(random.randint(10**15, 10**16))


@pytest.fixture
def wechat(make_bot, serve_bot, wechat_sim):
    """A recording real bot behind /wechat; yields a factory of simulated WeChat servers."""
    bot = make_bot()
    url = serve_bot(bot)
    return (lambda mode="plain": wechat_sim(url, mode)), bot


def test_url_verification_echoes_only_with_the_right_signature(wechat):
    sim = wechat[0]()
    good = httpx.get(sim.url, params=sim.signed_query(echostr="7034561289"))
    assert good.status_code == 200 and good.text == "7034561289"
    forged = sim.signed_query(echostr="7034561289") | {"signature": "f" * 40}
    bad = httpx.get(sim.url, params=forged)
    assert bad.status_code == 403 and "7034561289" not in bad.text
    assert httpx.get(sim.url, params={"echostr": "1"}).status_code == 403


@pytest.mark.parametrize("mode", ["plain", "compat", "aes"])
def test_text_message_gets_a_cited_reply_in_every_mode(wechat, mode):
    sim, bot = wechat[0](mode), wechat[1]
    reply = sim.say(QUESTION, user="oUserA")
    assert reply["ToUserName"] == "oUserA" and reply["FromUserName"] == "gh_jjqa"
    assert reply["MsgType"] == "text"
    assert "1036.7" in reply["Content"]
    assert re.search(r"来源：\[1\](\[\d+\])* " + SECTION, reply["Content"])
    assert bot.calls == [(QUESTION, [])]


@pytest.mark.parametrize("mode", ["plain", "aes"])
def test_bad_signature_is_403_and_nothing_is_processed(wechat, mode):
    sim, bot = wechat[0](mode), wechat[1]
    msg = sim.message_xml("oUserA", "text", _msg_id(), Content=QUESTION)
    response = sim.post(msg, tamper=True)
    assert response.status_code == 403
    assert "signature" in response.json()["error"]
    assert bot.calls == []
    # Nothing was remembered either: the same message, properly signed, is asked afresh.
    assert "1036.7" in sim.read(sim.post(msg))["Content"]
    assert len(bot.calls) == 1


def test_replayed_msgid_is_answered_once_with_the_same_reply(wechat):
    sim, bot = wechat[0]("aes"), wechat[1]
    msg = sim.message_xml("oUserA", "text", _msg_id(), Content=QUESTION)
    contents = {sim.read(sim.post(msg))["Content"] for _ in range(3)}
    assert len(contents) == 1 and "1036.7" in contents.pop()
    assert len(bot.calls) == 1


def test_slow_answer_is_served_from_the_cache_on_wechats_retry(make_bot, serve_bot, wechat_sim):
    """WeChat gives up after 5 s and sends the message again; the retry gets the answer."""
    bot = make_bot(delay_s=6.5)
    sim = wechat_sim(serve_bot(bot), "aes")
    msg = sim.message_xml("oUserA", "text", _msg_id(), Content=QUESTION)
    with pytest.raises(httpx.ReadTimeout):
        sim.post(msg, timeout=5.0)
    started = time.monotonic()
    reply = sim.read(sim.post(msg, timeout=5.0))
    assert time.monotonic() - started < 4.5
    assert "1036.7" in reply["Content"]
    assert len(bot.calls) == 1


def test_final_retry_says_pending_and_result_serves_the_answer(make_bot, serve_bot, wechat_sim):
    bot = make_bot(delay_s=7.0)
    sim = wechat_sim(serve_bot(bot), "plain")
    msg = sim.message_xml("oUserB", "text", _msg_id(), Content=QUESTION)
    for _ in range(2):  # WeChat's first two tries, which it abandons at 5 s
        with pytest.raises(httpx.ReadTimeout):
            sim.post(msg, timeout=0.3)
    started = time.monotonic()
    reply = sim.read(sim.post(msg, timeout=5.0))
    assert 4.0 < time.monotonic() - started < 5.0, "the last try is answered inside WeChat's 5 s"
    assert reply["Content"] == replies.PENDING
    assert sim.say("结果", user="oUserB")["Content"] == replies.STILL_PENDING
    deadline = time.monotonic() + 10
    while (content := sim.say("结果", user="oUserB")["Content"]) == replies.STILL_PENDING:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert "1036.7" in content and "来源：" in content
    assert sim.say("结果", user="oUserB")["Content"] == replies.NO_PENDING
    assert len(bot.calls) == 1


def test_long_reply_is_split_and_continue_returns_the_rest(make_bot, serve_bot, wechat_sim):
    body = "江津区坚定不移贯彻新发展理念。" * 60 + "这些发展成果奠定了坚实基础。"
    bot = make_bot(append=body)
    sim = wechat_sim(serve_bot(bot), "aes")
    parts = [sim.say(QUESTION, user="oUserC")["Content"]]
    while parts[-1].endswith(MORE_HINT):
        msg = sim.message_xml("oUserC", "text", _msg_id(), Content="继续")
        parts.append(sim.read(sim.post(msg))["Content"])
        # WeChat's retry of the same 继续 gets the same part, not the next one.
        assert sim.read(sim.post(msg))["Content"] == parts[-1]
        assert len(parts) < 10
    assert len(parts) >= 2
    for part in parts:
        assert len(part.encode("utf-8")) <= MAX_REPLY_BYTES
    for part in parts[:-1]:
        assert part.removesuffix(MORE_HINT)[-1] in "。！？；\n"
    text = "".join(p.removesuffix(MORE_HINT) for p in parts)
    assert "1036.7" in text and body in text and "来源：" in parts[-1]
    assert sim.say("继续", user="oUserC")["Content"] == replies.NO_MORE
    assert len(bot.calls) == 1


def test_history_is_per_user_bounded_and_cleared_by_restart(wechat):
    sim, bot = wechat[0](), wechat[1]
    questions = [
        "江津2019年的GDP是多少？",
        "江津的森林覆盖率提高到了多少？",
        "在津世界500强企业有多少家？",
        "五年新设市场主体多少户？",
        "高新技术企业有多少家？",
        "江津力争到2025年规模以上工业总产值达到多少？",
        "进出口总额年均增长多少？",
    ]
    sim.say(questions[0], user="oUserA")
    sim.say(questions[1], user="oUserA")
    assert bot.calls[1][0] == questions[1]
    assert [q for q, _ in bot.calls[1][1]] == [questions[0]]
    assert "1036.7" in bot.calls[1][1][0][1]
    sim.say(questions[2], user="oUserB")
    assert bot.calls[2][1] == [], "another user's conversation starts empty"
    for q in questions[2:]:
        sim.say(q, user="oUserA")
    assert [q for q, _ in bot.calls[-1][1]] == questions[1:6], "only the last five turns"
    assert sim.say("重新开始", user="oUserA")["Content"] == replies.RESTARTED
    sim.say(questions[0], user="oUserA")
    assert bot.calls[-1] == (questions[0], [])


def test_subscribe_gets_a_welcome_with_three_answerable_examples(wechat, real_bot):
    sim = wechat[0]("aes")
    reply = sim.read(sim.post(sim.message_xml("oNew", "event", Event="subscribe")))
    examples = re.findall(r"^\d\. (.+)$", reply["Content"], re.MULTILINE)
    assert len(examples) == 3
    for question in examples:
        answer = real_bot.ask(question)
        assert not answer.refused and answer.citations, question


def test_media_and_unknown_messages_get_a_polite_text(wechat):
    sim, bot = wechat[0](), wechat[1]
    fields = {
        "image": {"PicUrl": "http://example.org/a.jpg", "MediaId": "m1"},
        "voice": {"MediaId": "m2", "Format": "amr"},
        "location": {"Location_X": "29.29", "Location_Y": "106.26", "Label": "江津"},
        "link": {"Title": "江津", "Url": "http://example.org"},
        "video": {"MediaId": "m3"},
        "hologram": {"Beam": "x"},
    }
    for kind, extra in fields.items():
        reply = sim.read(sim.post(sim.message_xml("oUserA", kind, _msg_id(), **extra)))
        assert reply["Content"] == replies.TEXT_ONLY.format(example=PROFILE.example()), kind
    for event in ["unsubscribe", "CLICK", "SOMETHING_NEW"]:
        response = sim.post(sim.message_xml("oUserA", "event", Event=event))
        assert response.status_code == 200 and response.text == "success"
    assert bot.calls == []


XXE_FILE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
    "<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
    "<MsgType>text</MsgType><Content>&c;</Content><MsgId>2</MsgId></xml>"
)


@pytest.mark.parametrize(
    "payload",
    [
        XXE_FILE,
        BILLION_LAUGHS,
        "<xml><ToUserName>gh</ToUserName><FromUserName>o",
        "<notxml><MsgType>text</MsgType></notxml>",
        "",
        "<xml><Content>" + "长" * 6000 + "</Content></xml>",
    ],
    ids=["external-entity", "billion-laughs", "truncated", "wrong-root", "empty", "oversize"],
)
@pytest.mark.parametrize("mode", ["plain", "aes"])
def test_unsafe_or_malformed_xml_is_400_and_nothing_is_processed(wechat, mode, payload):
    sim, bot = wechat[0](mode), wechat[1]
    response = sim.post(payload)
    assert response.status_code == 400
    assert response.json()["error"]
    assert "root:" not in response.text
    assert bot.calls == []


def test_characters_that_break_xml_never_reach_the_reply(make_bot, serve_bot, wechat_sim):
    bot = make_bot(replace="江津]]><Content>注入</Content>\x01\x1b\ufffe结束[1]")
    sim = wechat_sim(serve_bot(bot), "plain")
    response = sim.post(sim.message_xml("oUserA", "text", _msg_id(), Content=QUESTION))
    reply = sim.read(response)
    assert "]]>" not in reply["Content"] and "\x01" not in response.text
    assert reply["Content"].startswith("江津]] ><Content>注入</Content>结束[1]")


def test_channel_is_off_without_a_token(make_bot, serve_bot, wechat_sim):
    sim = wechat_sim(serve_bot(make_bot(), wechat_token=None), "plain")
    assert httpx.get(sim.url, params=sim.signed_query(echostr="1")).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"wechat_appid": None}, "needs the AppID"),
        ({"wechat_aes_key": "too-short"}, "43-character"),
        ({"wecom_corp_id": None}, "JJQA_WECOM_CORP_ID"),
    ],
)
def test_misconfigured_channels_fail_at_start_with_the_setting_named(
    make_bot, channel_settings, overrides, words
):
    with pytest.raises(ConfigError, match=words):
        create_app(make_bot(), channel_settings(**overrides))
