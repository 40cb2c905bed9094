"""The page's static parts: styles and scripts from assets/, the theme, and the words the
deployer's profile gives it (title, description, example questions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import gradio as gr

from bot.profile import Profile

FONTS = [
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "system-ui",
    "sans-serif",
]
MAX_CHIPS = 8


@dataclass(frozen=True)
class PageText:
    """What the page says about the bot, taken from the profile."""

    name: str
    description: str
    examples: tuple[str, ...]

    @classmethod
    def from_profile(cls, profile: Profile) -> PageText:
        return cls(profile.name, profile.description, tuple(profile.examples[:MAX_CHIPS]))

    @property
    def title(self) -> str:
        """The browser tab's title: the name, and the description's first clause if short."""
        first = re.split(r"[，,；;。.！!？?]", self.description, maxsplit=1)[0].strip()
        return f"{self.name} · {first}" if first and len(first) <= 30 else self.name

    @property
    def meta_description(self) -> str:
        return self.description or f"{self.name}：依据文章回答，并标出原文出处。"


@cache
def asset(name: str) -> str:
    """The text of one file in bot/chat_ui/assets."""
    return resources.files("bot.chat_ui").joinpath("assets", name).read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    """Gradio's Soft theme in the page's colours, with text at 4.5:1 or more in both modes."""
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=FONTS).set(
        body_text_color_subdued="#475569",
        body_text_color_subdued_dark="#cbd5e1",
        body_background_fill_dark="#0b1120",
        background_fill_primary_dark="#111827",
        background_fill_secondary_dark="#0b1120",
        block_background_fill_dark="#111827",
        input_background_fill="#ffffff",
        input_background_fill_dark="#1e293b",
        input_border_color_dark="#64748b",
        input_placeholder_color="#64748b",
        input_placeholder_color_dark="#a3b1c6",
        button_primary_background_fill="#0f766e",
        button_primary_background_fill_hover="#115e59",
        button_primary_background_fill_dark="#0f766e",
        button_primary_background_fill_hover_dark="#115e59",
        button_primary_text_color="#ffffff",
        button_primary_text_color_dark="#ffffff",
        button_secondary_background_fill="#e6f4f1",
        button_secondary_background_fill_hover="#cdeae4",
        button_secondary_text_color="#115e59",
        button_secondary_background_fill_dark="#134e4a",
        button_secondary_background_fill_hover_dark="#115e59",
        button_secondary_text_color_dark="#f0fdfa",
    )


def launch_options() -> dict:
    """What Gradio 6 takes at launch() rather than in Blocks(): theme, CSS, footer."""
    return {"theme": theme(), "css": asset("chat.css"), "footer_links": []}
