"""Feedback goes to the JSONL file as one whole line; a failed write keeps the chat going; a
session can write only a few lines in a short time."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import gradio as gr
import pytest

from bot.chat_ui.chat import Chat
from bot.chat_ui.feedback import FeedbackLimit, FeedbackLog, record
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
    assert entry["kind"] == "answer" and "restored" not in entry
    assert record("q", ANSWER, "up", restored=True)["restored"] is True
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


def rate(chat: Chat, turns, session="s1", **data):
    return chat.rate(turns, gr.EventData(None, data), SimpleNamespace(session_hash=session))


def test_chat_says_politely_when_feedback_cannot_be_saved(tmp_path):
    chat = Chat(bot=None, articles=[], feedback=FeedbackLog(tmp_path), warmup=None)
    html, turns, _ = rate(chat, [Turn("问", ANSWER)], turn=0, rating="down", comment="x")
    assert turns[0].rating == "down" and turns[0].feedback == "unsaved"
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
    _, turns, _ = rate(chat, turns, turn=0, rating="up")
    _, turns, _ = rate(chat, turns, turn=0, rating="down")  # only the first rating counts
    assert [json.loads(line)["rating"] for line in path.read_text().splitlines()] == ["up"]


def test_a_session_writing_too_much_is_told_to_wait_and_others_are_not(tmp_path):
    path = tmp_path / "feedback.jsonl"
    limit = FeedbackLimit(per_window=3, window_s=600)
    chat = Chat(None, [], FeedbackLog(path), None, feedback_limit=limit)
    turns = [Turn(f"问{i}", ANSWER) for i in range(5)]
    for i in range(4):
        html, turns, saved = rate(chat, turns, session="busy", turn=i, rating="up")
    assert turns[3].feedback == "limited" and turns[3].rating is None
    assert "太频繁" in html and saved is not None
    _, turns, _ = rate(chat, turns, session="other", turn=4, rating="down")
    assert turns[4].feedback == "saved"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["question"] for e in lines] == ["问0", "问1", "问2", "问4"]


def test_the_limit_is_a_sliding_window_over_a_bounded_number_of_sessions():
    limit = FeedbackLimit(per_window=2, window_s=60, max_sessions=2)
    assert limit.allow("a", now=0) and limit.allow("a", now=1)
    assert not limit.allow("a", now=2)
    assert limit.allow("a", now=61)  # the first write left the window
    limit.allow("b", now=62)
    limit.allow("c", now=63)  # "a" is the oldest session and is forgotten
    assert limit.allow("a", now=64) and limit.allow("a", now=65)


def test_lines_written_at_once_from_many_threads_all_arrive_whole(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    long_comment = "很长的补充" * 150

    def write(n):
        for i in range(25):
            assert log.append(record(f"问{n}-{i}", ANSWER, "up", long_comment))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = log.path.read_text(encoding="utf-8").splitlines()
    questions = {json.loads(line)["question"] for line in lines}
    assert len(lines) == 200 and len(questions) == 200
