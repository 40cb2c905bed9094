"""WeChat Official Account (公众号) callback at /wechat: plaintext, compatible and safe modes."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.errors import ConfigError
from bot.settings import Settings
from bot.web import signing
from bot.web.errors import UnsafeXML
from bot.web.replay import ReplayGuard
from bot.web.replies import xml_safe
from bot.web.responder import Responder
from bot.web.xml_safety import parse_xml

log = logging.getLogger(__name__)

NO_REPLY = "success"  # WeChat's "received, nothing to send" answer; it stops the retries.


def make_crypto(token: str, aes_key: str | None, app_id: str | None, crypto_class=WeChatCrypto):
    """wechatpy's message crypto for the given EncodingAESKey, or None without a key."""
    if not aes_key:
        return None
    if not app_id:
        raise ConfigError("an EncodingAESKey needs the AppID (JJQA_WECHAT_APPID or _WECOM_CORP_ID)")
    try:
        return crypto_class(token, aes_key, app_id)
    except Exception:
        # Never echo the key, not even its first characters: logs and terminals are shared.
        raise ConfigError(
            f"the EncodingAESKey is not a 43-character key (it has {len(aes_key)} characters)"
        ) from None


def open_sealed(
    body: bytes, replay: ReplayGuard, token: str, msg_signature: str | None, timestamp, nonce
) -> str:
    """The `Encrypt` text of a sealed body, its signature proven before any XML is parsed.

    The (timestamp, nonce) pair is remembered once the signature holds.
    """
    sealed = signing.sealed_text(body)
    signing.verify(msg_signature, token, timestamp, nonce, sealed)
    replay.remember(timestamp, nonce)
    return sealed


def decrypt(crypto, outer: dict, sealed: str, msg_signature: str | None, timestamp, nonce) -> dict:
    """Decrypt the proven `sealed` text (the parsed `outer` XML must carry the same) and parse
    the XML inside it."""
    if outer.get("Encrypt") != sealed:
        raise UnsafeXML("the Encrypt element is not the one the signature covers")
    try:
        inner = crypto.decrypt_message({"Encrypt": sealed}, msg_signature, timestamp, nonce)
    except Exception as e:
        raise UnsafeXML("encrypted message cannot be decrypted with the configured key") from e
    return parse_xml(inner)


def render_text(message: dict, text: str, reply_class=TextReply, **fields) -> str:
    """Passive text reply XML with sender and receiver swapped."""
    reply = reply_class(
        source=xml_safe(message["ToUserName"]),
        target=xml_safe(message["FromUserName"]),
        content=xml_safe(text),
        time=int(time.time()),
        **fields,
    )
    return reply.render()


def xml_response(body: str) -> Response:
    return Response(content=body, media_type="application/xml")


class WeChatChannel:
    """Verifies, decrypts and answers the Official Account's callbacks."""

    def __init__(self, settings: Settings, responder: Responder):
        self.token = settings.wechat_token
        self.crypto = make_crypto(self.token, settings.wechat_aes_key, settings.wechat_appid)
        self.max_bytes = settings.max_body_bytes
        self.responder = responder
        self.replay = ReplayGuard(settings.wechat_timestamp_window_s)

    def router(self) -> APIRouter:
        router = APIRouter(tags=["wechat"])
        router.add_api_route("/wechat", self.verify_url, methods=["GET"])
        router.add_api_route("/wechat", self.receive, methods=["POST"])
        return router

    async def verify_url(
        self,
        signature: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
        echostr: str = "",
    ) -> PlainTextResponse:
        """URL verification: echo `echostr` back when the signature matches the token."""
        self.replay.check(timestamp, nonce)
        signing.verify(signature, self.token, timestamp, nonce)
        self.replay.remember(timestamp, nonce)
        return PlainTextResponse(echostr)

    async def receive(
        self,
        request: Request,
        signature: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
        encrypt_type: str = Query("raw"),
        msg_signature: str | None = None,
    ) -> Response:
        """One message or event; the reply is plaintext XML or, in aes mode, encrypted XML.

        Signatures, the timestamp window and the nonce are checked before the body is parsed.
        In plaintext mode the signature covers only the timestamp and nonce, not the body.
        """
        self.replay.check(timestamp, nonce)
        signing.verify(signature, self.token, timestamp, nonce)
        body = await request.body()
        encrypted = encrypt_type.lower() == "aes"
        if encrypted:
            if self.crypto is None:
                raise UnsafeXML("encrypted message received but JJQA_WECHAT_AES_KEY is not set")
            sealed = open_sealed(body, self.replay, self.token, msg_signature, timestamp, nonce)
        else:
            self.replay.remember(timestamp, nonce)
        outer = parse_xml(body, self.max_bytes)
        if encrypted:
            message = decrypt(self.crypto, outer, sealed, msg_signature, timestamp, nonce)
        elif "Encrypt" in outer and "MsgType" not in outer:
            raise UnsafeXML("an encrypted message needs encrypt_type=aes in the URL")
        else:
            message = outer
        text = await self.responder.reply(message)
        if text is None:
            return PlainTextResponse(NO_REPLY)
        xml = render_text(message, text)
        if encrypted:
            xml = self.crypto.encrypt_message(xml, nonce)
        return xml_response(xml)
