"""The chat's handlers without a browser: a failed index build, questions it must not send,
questions answered side by side, and the questions it offers next."""

from __future__ import annotations

import threading

from bot.chain import Bot
from bot.chat_ui.chat import Chat
from bot.chat_ui.feedback import FeedbackLog
from bot.chat_ui.suggest import Suggestions, same_question
from bot.chat_ui.turns import Turn
from bot.chat_ui.warmup import Warmup
from bot.settings import Settings
from bot.values import Answer


class NeverAsked:
    """Stands where a bot would be, for handlers that must not reach it."""

    def ask(self, question, history=None):
        raise AssertionError(f"the bot was asked {question!r}")


class Ready:
    """A warm-up that has finished."""

    phase = "ready"

    def wait(self, timeout=None):
        return True


def test_a_failed_index_build_shows_a_message_instead_of_hanging(tmp_path):
    (tmp_path / "docs").mkdir()
    bot = Bot(Settings(data_dir=tmp_path / "data", docs_dir=tmp_path / "docs"))
    warmup = Warmup(bot).start()
    assert warmup.wait(120) and warmup.phase == "failed"
    # for the operator's log
    assert "no documents (.txt, .md, web pages, PDF, DOCX)" in warmup.detail
    chat = Chat(bot, [], FeedbackLog(tmp_path / "fb.jsonl"), warmup)

    banner, timer = chat.status()
    assert banner["visible"] and "索引没能建立" in banner["value"]
    assert str(tmp_path) not in banner["value"]  # no server paths on the page
    assert timer.active is False

    *_, (html, turns, box, send, saved) = chat.ask("江津2019年GDP是多少？", [])
    assert turns[-1].error.startswith("索引没能建立")
    assert "索引没能建立" in html
    assert send["interactive"]
    assert saved[-1]["error"].startswith("索引没能建立")


def test_empty_questions_and_questions_while_answering_are_not_sent(tmp_path):
    chat = Chat(NeverAsked(), [], FeedbackLog(tmp_path / "fb.jsonl"), warmup=None)
    outputs = list(chat.ask("   ", []))
    assert len(outputs) == 1
    html, turns, box, _, _ = outputs[0]
    assert turns == [] and box["value"] == ""  # the spaces are cleared

    streaming = [Turn("问", Answer("答案"), shown="答")]
    outputs = list(chat.ask("新问题", streaming))
    assert len(outputs) == 1
    assert outputs[0][1] == streaming and "value" not in outputs[0][2]  # kept to send later


class MeetingBot:
    """The real bot, but each question waits (up to 60 s) until `parties` are being answered
    at once: if the chat answered one at a time, the barrier would break."""

    def __init__(self, bot, parties: int):
        self.bot = bot
        self.barrier = threading.Barrier(parties, timeout=60)

    def ask(self, question, history=None):
        self.barrier.wait()
        return self.bot.ask(question, history=history)


def test_questions_from_two_people_are_answered_at_the_same_time(shared_bot, tmp_path):
    bot = MeetingBot(shared_bot, parties=2)
    chat = Chat(bot, [], FeedbackLog(tmp_path / "fb.jsonl"), Ready(), step_s=0)
    results = {}

    def person(question):
        *_, (_, turns, *_rest) = chat.ask(question, [])
        results[question] = turns[-1]

    people = [
        threading.Thread(target=person, args=(q,))
        for q in ("江津2019年GDP是多少？", "江津有多少家高新技术企业？")
    ]
    for p in people:
        p.start()
    for p in people:
        p.join(120)
    assert not bot.barrier.broken
    assert "1036.7亿元" in results["江津2019年GDP是多少？"].answer.answer
    assert "211家" in results["江津有多少家高新技术企业？"].answer.answer


def test_offered_questions_are_answerable_unasked_and_near_the_answer(shared_bot):
    examples = [
        "江津2019年GDP是多少？",
        "江津2022年GDP是多少？",  # the article does not say: never offered
        "江津有多少家高新技术企业？",
        "五年来江津的森林覆盖率有什么变化？",
        "那2015年呢？",
    ]
    suggestions = Suggestions(shared_bot, examples)
    suggestions.check()
    assert "江津2022年GDP是多少？" not in suggestions.answers
    for answer in suggestions.answers.values():
        assert answer.kind == "answer" and answer.citations

    gdp = suggestions.answers["江津2019年GDP是多少？"]
    offered = suggestions.after(gdp, ["江津2019年GDP是多少？"])
    assert 2 <= len(offered) <= 3
    assert "江津2019年GDP是多少？" not in offered and "江津2022年GDP是多少？" not in offered
    offered = suggestions.after(None, ["江津 2019年GDP是多少?"])  # asked in other spacing
    assert offered[0] == "江津有多少家高新技术企业？"
    assert same_question("ＧＤＰ 是多少？", "gdp是多少")


def test_restoring_never_replaces_a_conversation_already_started(tmp_path):
    chat = Chat(NeverAsked(), [], FeedbackLog(tmp_path / "fb.jsonl"), warmup=None)
    saved = [{"question": "旧问题", "answer": {"answer": "旧回答"}}]
    html, turns = chat.restore(saved, [])
    assert [t.question for t in turns] == ["旧问题"] and "旧回答" in html
    started = [Turn("新问题")]
    assert chat.restore(saved, started) == (chat_update(), chat_update())


def chat_update():
    import gradio as gr

    return gr.update()
