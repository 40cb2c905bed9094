"""Turn one incoming WeChat or WeCom message into the text to send back, within WeChat's 5 s."""

from __future__ import annotations

import logging
from concurrent.futures import Future

from bot.profile import Profile
from bot.web import replies
from bot.web.asking import AskPool, wait_for
from bot.web.errors import RateLimited, RequestRejected
from bot.web.ratelimit import RateLimiter
from bot.web.sessions import ReplyCache, Sessions

log = logging.getLogger(__name__)

WECHAT_TIMEOUT_S = 5.0
WECHAT_ATTEMPTS = 3
CONTINUE, RESULT, RESTART = "继续", "结果", "重新开始"
_COMMAND_TRIM = " \t\r\n\"'“”‘’「」『』。.!！?？~～"
_MEDIA = {"image", "voice", "video", "shortvideo", "location", "link", "file", "miniprogrampage"}


def _done(text: str) -> Future:
    future: Future = Future()
    future.set_result(text)
    return future


class Responder:
    """Answers text messages with the bot, keeping WeChat's rules for retries and replies.

    WeChat sends a message up to `attempts` times, each time waiting 5 s for the reply. The first
    arrival starts the answer; every arrival waits for that same answer. An early arrival that
    sees no answer within `budget_s` keeps the connection past WeChat's timeout, so WeChat asks
    again; the last arrival answers 「正在查询…」 after `budget_s`, and 「结果」 fetches the answer.
    """

    def __init__(
        self,
        pool: AskPool,
        *,
        budget_s: float = 4.5,
        attempts: int = WECHAT_ATTEMPTS,
        max_question_chars: int = 1000,
        sessions: Sessions | None = None,
        cache: ReplyCache | None = None,
        limiter: RateLimiter | None = None,
        profile: Profile | None = None,
    ):
        self.pool = pool
        self.budget_s = budget_s
        # Past WeChat's own timeout, so an unanswered early arrival makes WeChat retry.
        self.hold_s = max(budget_s, WECHAT_TIMEOUT_S) + 0.5
        self.attempts = attempts
        self.max_question_chars = max_question_chars
        self.sessions = sessions or Sessions()
        self.cache = cache or ReplyCache()
        self.limiter = limiter if limiter is not None else RateLimiter(0)
        profile = profile or Profile()
        self.welcome = profile.welcome_text()
        self.text_only = replies.TEXT_ONLY.format(example=profile.example())

    async def reply(self, message: dict[str, str]) -> str | None:
        """The reply text for a parsed message, or None when nothing should be sent."""
        user = message.get("FromUserName", "")
        if not user or not message.get("ToUserName"):
            raise RequestRejected("message lacks FromUserName or ToUserName")
        kind = message.get("MsgType", "").lower()
        if kind == "event":
            event = message.get("Event", "").lower()
            return self.welcome if event in {"subscribe", "enter_agent"} else None
        if kind != "text":
            if kind not in _MEDIA:
                log.info("unknown message type %r answered with the text-only note", kind)
            return self.text_only
        text = message.get("Content", "").strip()
        # Keyed by sender and message: another user who sends the same MsgId gets their own reply.
        key = f"{user}\x1f{message.get('MsgId') or message.get('CreateTime', '') + '|' + text}"
        delivery, _ = self.cache.arrive(key, lambda: self._start(user, text))
        final = delivery.attempts >= self.attempts
        if await wait_for(delivery.reply, self.budget_s if final else self.hold_s):
            return delivery.reply.result()
        if final:
            self.sessions.await_message(user, key)
            return replies.PENDING
        return None

    def _start(self, user: str, text: str) -> Future:
        """Begin the reply to one new message; commands finish at once, questions on the pool.

        Each user's new messages count against the rate limit (WeChat's retries do not)."""
        try:
            self.limiter.check(user)
        except RateLimited:
            return _done(replies.TOO_FAST)
        command = text.strip(_COMMAND_TRIM)
        if command == CONTINUE:
            return _done(self.sessions.next_part(user) or replies.NO_MORE)
        if command == RESTART:
            self.sessions.reset(user)
            return _done(replies.RESTARTED)
        if command == RESULT:
            return _done(self._awaited_reply(user))
        if len(text) > self.max_question_chars:
            return _done(replies.question_too_long(self.max_question_chars))
        return self.pool.run(self._answer, user, text, self.sessions.history(user))

    def _awaited_reply(self, user: str) -> str:
        key = self.sessions.awaited(user)
        delivery = self.cache.get(key) if key else None
        if delivery is None:
            return replies.NO_PENDING
        if not delivery.reply.done():
            return replies.STILL_PENDING
        self.sessions.await_message(user, None)
        return delivery.reply.result()

    def _answer(self, user: str, question: str, history: list[tuple[str, str]]) -> str:
        """Ask the bot (on a pool thread), remember the turn, keep the parts beyond the first."""
        try:
            answer = self.pool.ask_now(question, history)
        except Exception:
            log.exception("answering a chat message failed")
            return replies.BUSY
        parts = replies.split_reply(replies.compact(answer))
        if not answer.refused:
            self.sessions.remember(user, question, answer.answer)
        self.sessions.set_more(user, parts[1:])
        return parts[0]
