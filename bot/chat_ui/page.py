"""The page's static parts read from assets/: styles, scripts, example questions, theme."""

from __future__ import annotations

from functools import cache
from importlib import resources

import gradio as gr

TITLE = "江津问答 · 只依据一篇江津新闻稿回答"
FONTS = [
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "system-ui",
    "sans-serif",
]


@cache
def asset(name: str) -> str:
    """The text of one file in bot/chat_ui/assets."""
    return resources.files("bot.chat_ui").joinpath("assets", name).read_text(encoding="utf-8")


def examples() -> list[str]:
    """The example questions, one per line of assets/examples.txt."""
    return [line.strip() for line in asset("examples.txt").splitlines() if line.strip()]


def launch_options() -> dict:
    """What Gradio 6 takes at launch() rather than in Blocks(): theme, CSS, head."""
    theme = gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=FONTS).set(
        button_primary_background_fill="#0f766e",
        button_primary_background_fill_hover="#115e59",
        button_primary_text_color="#ffffff",
    )
    return {
        "theme": theme,
        "css": asset("chat.css"),
        "head": '<meta name="description" content="江津问答：只依据一篇江津新闻稿回答，并标出原文出处。">',
        "footer_links": [],
    }
