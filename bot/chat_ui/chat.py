"""What the chat does on each event: ask (streamed), start over, restore, take feedback, show
the status.

Questions are not serialised here: the Bot answers several at once, so one person's question
never waits for another's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator

import gradio as gr

from bot.chat_ui import render
from bot.chat_ui import turns as kept
from bot.chat_ui.article import Article
from bot.chat_ui.feedback import RATINGS, FeedbackLimit, FeedbackLog, record
from bot.chat_ui.suggest import Suggestions
from bot.chat_ui.turns import Turn, history
from bot.chat_ui.warmup import Warmup
from bot.errors import JJQAError

log = logging.getLogger(__name__)
STREAM_STEPS = 30
WARM_WAIT_S = 600
SORRY = "抱歉，这次没能回答，请稍后再试。"
SAME = gr.update()


def pieces(text: str, steps: int = STREAM_STEPS) -> Iterator[str]:
    """Growing prefixes of `text`, about `steps` of them, ending with the whole text."""
    size = max(2, math.ceil(len(text) / steps))
    for end in range(size, len(text), size):
        yield text[:end]
    yield text


def spoken(turn: Turn) -> str:
    """What the live region reads out once a reply is finished."""
    if turn.error is not None:
        return turn.error
    if turn.answer is None:
        return ""
    prefix = "文章里没有这方面的内容。" if turn.answer.kind == "refusal" else ""
    return f"{prefix}{turn.answer.answer}"


class Chat:
    """The chat's event handlers over one finished Bot; the page layout lives in ui.py.

    Every ask-like handler yields (chat HTML, turns, question box, send button, saved turns):
    the last is what the browser keeps so the conversation survives a reload."""

    def __init__(
        self,
        bot,
        articles: list[Article],
        feedback: FeedbackLog,
        warmup: Warmup,
        suggestions: Suggestions | None = None,
        name: str = "",
        examples: tuple[str, ...] = (),
        step_s: float = 0.025,
        feedback_limit: FeedbackLimit | None = None,
    ):
        self.bot = bot
        self._articles = articles  # a list, or a LiveArticles that follows new builds
        self.feedback_log = feedback
        self.warmup = warmup
        self.suggestions = suggestions
        self.name = name
        self.examples = examples
        self.step_s = step_s
        self.feedback_limit = feedback_limit or FeedbackLimit()

    @property
    def articles(self) -> list[Article]:
        """The documents the source cards and the article panel point into, now."""
        source = self._articles
        return source.get() if hasattr(source, "get") else source

    def html(self, turns: list[Turn], announce: str = "", ready: bool = True) -> str:
        return render.conversation_html(
            turns, self.articles, self.name, announce, self.examples, ready
        )

    def ask(self, question: str, turns: list[Turn]):
        """Stream one answer; see the class docstring for what each step yields."""
        question = (question or "").strip()
        turns = list(turns or [])
        if not question:  # only spaces: clear them; the page shows a hint
            yield self.html(turns), turns, gr.update(value=""), SAME, SAME
            return
        if turns and not turns[-1].done:  # still answering: keep what was typed
            yield self.html(turns), turns, SAME, SAME, SAME
            return
        turn = Turn(question)
        past = history(turns)
        turns.append(turn)
        busy = gr.update(value=""), gr.update(interactive=False), SAME
        if self.warmup.phase != "ready":
            turn.shown = "正在建立索引，完成后马上回答…"
        yield (self.html(turns), turns, *busy)
        if not self._ready():
            turn.shown, turn.error = None, "索引没能建立，暂时无法回答。请联系网站管理员。"
            yield self._finished(turns)
            return
        turn.shown = None
        try:
            answer = self.bot.ask(question, history=past)
        except JJQAError as e:
            log.warning("answering %r failed: %s", question, e)
            turn.error = SORRY
        except Exception:
            log.exception("answering %r failed", question)
            turn.error = SORRY
        if turn.error is not None:
            yield self._finished(turns)
            return
        turn.answer = answer
        steps = (SAME, gr.update(interactive=False), SAME)
        for part in pieces(answer.answer):
            turn.shown = part
            yield (self.html(turns), turns, *steps)
            time.sleep(self.step_s)
        turn.shown = None
        if self.suggestions is not None:
            turn.suggestions = self.suggestions.after(answer, [t.question for t in turns])
        yield self._finished(turns)

    def _finished(self, turns: list[Turn]):
        html = self.html(turns, announce=spoken(turns[-1]))
        return html, turns, SAME, gr.update(interactive=True), kept.keep(turns)

    def ask_next(self, turns: list[Turn], evt: gr.EventData):
        """Ask a question offered after an answer (sent by the page as `question`)."""
        question = getattr(evt, "question", "")
        yield from self.ask(question if isinstance(question, str) else "", turns)

    def _ready(self) -> bool:
        if self.warmup.phase in ("waiting", "building"):
            self.warmup.wait(WARM_WAIT_S)
        return self.warmup.phase == "ready"

    def reset(self):
        """A new conversation (stopping an answer still streaming): empty log, history and
        browser copy."""
        return self.html([]), [], gr.update(value=""), gr.update(interactive=True), []

    def restore(self, saved, turns: list[Turn]):
        """(chat HTML, turns) from the conversation the browser kept before a reload; nothing
        changes when a question was asked before the page finished loading."""
        if turns:
            return SAME, SAME
        turns = kept.restore(saved)
        return self.html(turns), turns

    def rate(self, turns: list[Turn], evt: gr.EventData, request: gr.Request):
        """Save 有用/没用 (and an optional comment) for one answer; (chat HTML, turns, saved)."""
        turns = list(turns or [])
        i, rating = getattr(evt, "turn", None), getattr(evt, "rating", None)
        comment = getattr(evt, "comment", "")
        if not (isinstance(i, int) and 0 <= i < len(turns)) or rating not in RATINGS:
            return self.html(turns), turns, SAME
        turn = turns[i]
        if turn.answer is None or not turn.done or turn.rating is not None:
            return self.html(turns), turns, SAME
        session = getattr(request, "session_hash", None) or ""
        if not self.feedback_limit.allow(session):
            turn.feedback = "limited"
            return self.html(turns), turns, SAME
        entry = record(
            turn.question,
            turn.answer,
            rating,
            comment if isinstance(comment, str) else "",
            restored=turn.restored,
        )
        turn.feedback = "saved" if self.feedback_log.append(entry) else "unsaved"
        turn.rating = rating
        return self.html(turns), turns, kept.keep(turns)

    def status(self):
        """(banner, timer): the index-building banner, and the poll timer off once settled."""
        phase = self.warmup.phase
        settled = phase in ("ready", "failed")
        banner = gr.update(value=render.status_html(phase), visible=phase != "ready")
        return banner, gr.Timer(active=not settled)
