"""What the chat does on each event: ask (streamed), start over, take feedback, show the status."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator

import gradio as gr

from bot.chat_ui import render
from bot.chat_ui.article import Article
from bot.chat_ui.feedback import RATINGS, FeedbackLog, record
from bot.chat_ui.turns import Turn, history
from bot.chat_ui.warmup import Warmup
from bot.errors import JJQAError

log = logging.getLogger(__name__)
STREAM_STEPS = 30
WARM_WAIT_S = 600
SORRY = "抱歉，这次没能回答，请稍后再试。"


def pieces(text: str, steps: int = STREAM_STEPS) -> Iterator[str]:
    """Growing prefixes of `text`, about `steps` of them, ending with the whole text."""
    size = max(2, math.ceil(len(text) / steps))
    for end in range(size, len(text), size):
        yield text[:end]
    yield text


class Chat:
    """The chat's event handlers over one finished Bot; the page layout lives in ui.py."""

    def __init__(
        self,
        bot,
        articles: list[Article],
        feedback: FeedbackLog,
        warmup: Warmup,
        step_s: float = 0.025,
    ):
        self.bot = bot
        self.articles = articles
        self.feedback_log = feedback
        self.warmup = warmup
        self.step_s = step_s
        self._ask_lock = threading.Lock()

    def html(self, turns: list[Turn]) -> str:
        return render.conversation_html(turns, self.articles)

    def ask(self, question: str, turns: list[Turn]):
        """Stream one answer: (chat HTML, turns, question box, send button) after each step."""
        question = (question or "").strip()
        if not question or (turns and not turns[-1].done):  # nothing asked, or still answering
            yield self.html(turns), turns, gr.update(), gr.update()
            return
        turns = list(turns or [])
        turn = Turn(question)
        past = history(turns)
        turns.append(turn)
        busy = gr.update(value="", interactive=False), gr.update(interactive=False)
        free = gr.update(interactive=True), gr.update(interactive=True)
        if self.warmup.phase != "ready":
            turn.shown = "正在建立索引，完成后马上回答…"
        yield (self.html(turns), turns, *busy)
        if not self._ready():
            turn.shown, turn.error = None, "索引没能建立，暂时无法回答。请联系网站管理员。"
            yield (self.html(turns), turns, *free)
            return
        turn.shown = None
        try:
            with self._ask_lock:
                answer = self.bot.ask(question, history=past)
        except JJQAError as e:
            log.warning("answering %r failed: %s", question, e)
            turn.error = SORRY
        except Exception:
            log.exception("answering %r failed", question)
            turn.error = SORRY
        if turn.error is not None:
            yield (self.html(turns), turns, *free)
            return
        turn.answer = answer
        for part in pieces(answer.answer):
            turn.shown = part
            yield (self.html(turns), turns, *busy)
            time.sleep(self.step_s)
        turn.shown = None
        yield (self.html(turns), turns, *free)

    def _ready(self) -> bool:
        if self.warmup.phase in ("waiting", "building"):
            self.warmup.wait(WARM_WAIT_S)
        return self.warmup.phase == "ready"

    def reset(self):
        """A new conversation (stopping an answer still streaming): empty log and history."""
        return self.html([]), [], gr.update(value="", interactive=True), gr.update(interactive=True)

    def rate(self, turns: list[Turn], evt: gr.EventData):
        """Save 👍/👎 (and an optional comment) for one answer; (chat HTML, turns)."""
        turns = list(turns or [])
        i, rating = getattr(evt, "turn", None), getattr(evt, "rating", None)
        comment = getattr(evt, "comment", "")
        if not (isinstance(i, int) and 0 <= i < len(turns)) or rating not in RATINGS:
            return self.html(turns), turns
        turn = turns[i]
        if turn.answer is None or not turn.done or turn.rating is not None:
            return self.html(turns), turns
        entry = record(
            turn.question, turn.answer, rating, comment if isinstance(comment, str) else ""
        )
        turn.feedback_saved = self.feedback_log.append(entry)
        turn.rating = rating
        return self.html(turns), turns

    def status(self):
        """(banner, timer): the index-building banner, and the poll timer off once settled."""
        phase = self.warmup.phase
        settled = phase in ("ready", "failed")
        banner = gr.update(value=render.status_html(phase), visible=phase != "ready")
        return banner, gr.Timer(active=not settled)
