"""WeCom (企业微信) application callback at /wecom; every message and echostr is encrypted."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.enterprise.replies import TextReply as WeComTextReply

from bot.errors import ConfigError
from bot.settings import Settings
from bot.web import signing
from bot.web.errors import UnsafeXML
from bot.web.replay import ReplayGuard
from bot.web.responder import Responder
from bot.web.wechat import (
    NO_REPLY,
    decrypt,
    make_crypto,
    open_sealed,
    render_text,
    xml_response,
)
from bot.web.xml_safety import parse_xml


class WeComChannel:
    """Verifies, decrypts and answers a WeCom application's callbacks."""

    def __init__(self, settings: Settings, responder: Responder):
        if not settings.wecom_aes_key or not settings.wecom_corp_id:
            raise ConfigError("JJQA_WECOM_TOKEN needs JJQA_WECOM_AES_KEY and JJQA_WECOM_CORP_ID")
        self.token = settings.wecom_token
        self.crypto = make_crypto(
            self.token, settings.wecom_aes_key, settings.wecom_corp_id, WeComCrypto
        )
        self.max_bytes = settings.max_body_bytes
        self.responder = responder
        self.replay = ReplayGuard(settings.wechat_timestamp_window_s)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["wecom"])
        router.add_api_route("/wecom", self.verify_url, methods=["GET"])
        router.add_api_route("/wecom", self.receive, methods=["POST"])
        return router

    async def verify_url(
        self,
        msg_signature: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
        echostr: str | None = None,
    ) -> PlainTextResponse:
        """URL verification: decrypt `echostr` and send its plaintext back."""
        self.replay.check(timestamp, nonce)
        signing.verify(msg_signature, self.token, timestamp, nonce, echostr)
        self.replay.remember(timestamp, nonce)
        try:
            plain = self.crypto.check_signature(msg_signature, timestamp, nonce, echostr)
        except Exception as e:
            raise UnsafeXML("echostr cannot be decrypted with the configured key") from e
        return PlainTextResponse(plain)

    async def receive(
        self,
        request: Request,
        msg_signature: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
    ) -> Response:
        """One encrypted message or event; the reply is encrypted the same way.

        The timestamp window, the nonce and the signature over the sealed text are checked
        before the body is parsed.
        """
        self.replay.check(timestamp, nonce)
        body = await request.body()
        sealed = open_sealed(body, self.replay, self.token, msg_signature, timestamp, nonce)
        outer = parse_xml(body, self.max_bytes)
        message = decrypt(self.crypto, outer, sealed, msg_signature, timestamp, nonce)
        text = await self.responder.reply(message)
        if text is None:
            return PlainTextResponse(NO_REPLY)
        agent = message.get("AgentID", "")
        fields = {"agent": int(agent)} if agent.isdigit() else {}
        xml = render_text(message, text, WeComTextReply, **fields)
        return xml_response(self.crypto.encrypt_message(xml, nonce))
