"""The chat's handlers without a browser: a failed index build, and questions it must not send."""

from __future__ import annotations

from bot.chain import Bot
from bot.chat_ui.chat import Chat
from bot.chat_ui.feedback import FeedbackLog
from bot.chat_ui.turns import Turn
from bot.chat_ui.warmup import Warmup
from bot.settings import Settings
from bot.values import Answer


class NeverAsked:
    """Stands where a bot would be, for handlers that must not reach it."""

    def ask(self, question, history=None):
        raise AssertionError(f"the bot was asked {question!r}")


def test_a_failed_index_build_shows_a_message_instead_of_hanging(tmp_path):
    (tmp_path / "docs").mkdir()
    bot = Bot(Settings(data_dir=tmp_path / "data", docs_dir=tmp_path / "docs"))
    warmup = Warmup(bot).start()
    assert warmup.wait(120) and warmup.phase == "failed"
    assert "no .txt or .md documents" in warmup.detail  # for the operator's log
    chat = Chat(bot, [], FeedbackLog(tmp_path / "fb.jsonl"), warmup)

    banner, timer = chat.status()
    assert banner["visible"] and "索引没能建立" in banner["value"]
    assert str(tmp_path) not in banner["value"]  # no server paths on the page
    assert timer.active is False

    *_, (html, turns, box, send) = chat.ask("江津2019年GDP是多少？", [])
    assert turns[-1].error.startswith("索引没能建立")
    assert "索引没能建立" in html
    assert box["interactive"] and send["interactive"]


def test_empty_questions_and_questions_while_answering_are_not_sent(tmp_path):
    chat = Chat(NeverAsked(), [], FeedbackLog(tmp_path / "fb.jsonl"), warmup=None)
    streaming = [Turn("问", Answer("答案"), shown="答")]
    for question, turns in (("   ", []), ("新问题", streaming)):
        outputs = list(chat.ask(question, turns))
        assert len(outputs) == 1
        assert outputs[0][1] == turns
