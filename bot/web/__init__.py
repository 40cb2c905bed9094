"""Channels that put the bot on the network: the HTTP API, WeChat Official Accounts and WeCom."""

from bot.web.app import create_app
from bot.web.serving import serve

__all__ = ["create_app", "serve"]
