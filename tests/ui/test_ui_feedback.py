"""Feedback goes to the JSONL file as one whole line; a failed write keeps the chat going."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from bot.chat_ui.chat import Chat
from bot.chat_ui.feedback import FeedbackLog, record
from bot.chat_ui.turns import Turn
from bot.values import Answer, Citation

ANSWER = Answer(
    "2015年GDP为682.7亿元[1]。",
    citations=[Citation(1, "docs/jiangjin.txt", "节", "2015年GDP为682.7亿元", 10, 26)],
)


def test_record_has_what_the_issue_asks_for():
    entry = record("那2015年呢？", ANSWER, "up", "  很好  ")
    assert entry["question"] == "那2015年呢？"
    assert entry["answer"] == ANSWER.answer
    assert entry["citations"][0]["quote"] == "2015年GDP为682.7亿元"
    assert (entry["rating"], entry["comment"]) == ("up", "很好")
    assert entry["time"].endswith("+00:00")
    with pytest.raises(ValueError, match="unknown rating"):
        record("q", ANSWER, "meh")


def test_append_writes_one_json_line_per_record(tmp_path):
    log = FeedbackLog(tmp_path / "new" / "feedback.jsonl")
    assert log.append(record("问一", ANSWER, "up"))
    assert log.append(record("问二\n换行", ANSWER, "down", "评论"))
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["问一", "问二\n换行"]


def test_a_failed_write_returns_false_instead_of_raising(tmp_path):
    assert FeedbackLog(tmp_path).append(record("问", ANSWER, "up")) is False  # a directory


def rate(chat: Chat, turns, **data):
    return chat.rate(turns, gr.EventData(None, data))


def test_chat_says_politely_when_feedback_cannot_be_saved(tmp_path):
    chat = Chat(bot=None, articles=[], feedback=FeedbackLog(tmp_path), warmup=None)
    html, turns = rate(chat, [Turn("问", ANSWER)], turn=0, rating="down", comment="x")
    assert turns[0].rating == "down" and turns[0].feedback_saved is False
    assert "反馈暂时没能保存" in html


def test_chat_ignores_feedback_that_names_no_finished_answer(tmp_path):
    path = tmp_path / "feedback.jsonl"
    chat = Chat(bot=None, articles=[], feedback=FeedbackLog(path), warmup=None)
    turns = [Turn("问", ANSWER), Turn("还在答", ANSWER, shown="2015")]
    for data in (
        {"turn": 5, "rating": "up"},
        {"turn": "0", "rating": "up"},
        {"turn": 0, "rating": "<script>"},
        {"turn": 1, "rating": "up"},
        {},
    ):
        rate(chat, turns, **data)
    assert not path.exists()
    _, turns = rate(chat, turns, turn=0, rating="up")
    _, turns = rate(chat, turns, turn=0, rating="down")  # only the first rating counts
    assert [json.loads(line)["rating"] for line in path.read_text().splitlines()] == ["up"]
