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
    except Exception as e:
        raise ConfigError(f"EncodingAESKey {aes_key[:4]}… is not a 43-character key") from e


def decrypt(crypto, encrypted: str, msg_signature: str | None, timestamp, nonce) -> dict:
    """Check `msg_signature`, decrypt the `Encrypt` text and parse the XML inside it."""
    signing.verify(msg_signature, crypto.token, timestamp, nonce, encrypted)
    try:
        inner = crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp, nonce)
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
        signing.verify(signature, self.token, timestamp, nonce)
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
        """One message or event; the reply is plaintext XML or, in aes mode, encrypted XML."""
        signing.verify(signature, self.token, timestamp, nonce)
        outer = parse_xml(await request.body(), self.max_bytes)
        encrypted = encrypt_type.lower() == "aes"
        if encrypted:
            if self.crypto is None:
                raise UnsafeXML("encrypted message received but JJQA_WECHAT_AES_KEY is not set")
            if "Encrypt" not in outer:
                raise UnsafeXML("encrypt_type=aes but the XML has no Encrypt element")
            message = decrypt(self.crypto, outer["Encrypt"], msg_signature, timestamp, nonce)
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
