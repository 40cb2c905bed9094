"""The front door: tell a question about the documents from what is not one (a greeting,
thanks, a request for help, markup or code, text with no words) and reply to those kindly.
Every channel goes through it, so the chat, the API, the CLI and WeChat behave the same."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from bot.profile import Profile
from bot.text import _data, has_words, stopwords

MARKUP = re.compile(
    r"<\s*/?\s*[a-zA-Z][^<>]*>"  # HTML tags
    r"|\[([^\]]*)\]\([^)]*\)"  # Markdown links (their text is kept)
    r"|\$\{[^}]*\}|\{\{.*?\}\}|\{%.*?%\}"  # template syntax
    r"|\b(?:javascript|data|vbscript):\S*|https?://\S+"  # script and web addresses
    r"|\b[A-Za-z_][\w.]*\s*\([^()]*\)\s*;?"  # code calls: alert(1);
)
EDGE = "，。！？、；：,.!?;:~～…　 \t\"'“”‘’()（）[]【】<>《》-—_=+*/\\|`@#$%^&"
PARTICLES = "啊呀呢吧哦哈嘛啦么哇噢喔"
PIECES = re.compile(r"[，。！？、；：,.!?;:~～…\s]+")
MIN_QUESTION_CHARS = 4


@cache
def smalltalk_phrases() -> dict[str, str]:
    """Phrase -> intent (greeting, thanks, help, bye, who, praise), from bot/data."""
    return dict(line.split("\t")[:2] for line in _data("smalltalk.tsv"))


@dataclass(frozen=True)
class Door:
    """What came in: a question (with the text to answer), smalltalk (with its intent) or
    something unclear."""

    kind: str
    text: str = ""
    intent: str = ""


def _bare(piece: str) -> str:
    """A piece of text without edge punctuation and trailing particles, lower case."""
    piece = unicodedata.normalize("NFKC", piece).strip(EDGE).lower()
    return piece.rstrip(PARTICLES).strip(EDGE)


def classify(text: str) -> Door:
    """Sort cleaned input: smalltalk phrases up front are dropped from a question that follows
    them (「你好，请问…」); markup and code are removed; what has no words left is unclear."""
    if not has_words(text):
        return Door("unclear")
    stripped, markup = MARKUP.subn(lambda m: m.group(1) or " ", text)
    if markup and not _looks_like_question(stripped):
        return Door("unclear")
    pieces = [p for p in PIECES.split(stripped) if p.strip()]
    intents = []
    while pieces and _bare(pieces[0]) in smalltalk_phrases():
        intents.append(smalltalk_phrases()[_bare(pieces.pop(0))])
    if not pieces:
        return Door("smalltalk", intent=intents[-1] if intents else "greeting")
    rest = stripped[stripped.find(pieces[0]) :].strip() if intents else stripped.strip()
    if not _has_content(rest):
        return Door("unclear")
    return Door("question", " ".join(rest.split()))


def _looks_like_question(text: str) -> bool:
    """After markup is removed: enough words left to be a question of its own."""
    words = re.sub(r"[^\w\u4e00-\u9fff]", "", text)
    return len(words) >= MIN_QUESTION_CHARS and _has_content(text)


def _has_content(text: str) -> bool:
    """True when some word is not a function word, question word or punctuation."""
    if not has_words(text):
        return False
    bare = re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text)).lower()
    for stop in sorted(stopwords(), key=len, reverse=True):
        if not stop.isascii():
            bare = bare.replace(stop, " ")
    return any(w not in stopwords() and not w.isdigit() for w in bare.split())


def reply(door: Door, profile: Profile, scope: str) -> str:
    """The friendly reply to smalltalk or unclear input, with example questions."""
    examples = "".join(f"「{q}」" for q in profile.examples[:3])
    try_these = f"可以这样问：{examples}" if examples else "请直接用一句话提问。"
    about = profile.description or f"我只根据{scope}回答问题，并标出原文出处。"
    if door.kind == "unclear" and door.intent == "empty":
        return f"请输入一个问题。{try_these}"
    if door.kind == "unclear":
        return f"没看懂这个问题……请用一句完整的话提问。{try_these}"
    texts = {
        "greeting": f"你好！我是{profile.name}。{about}{try_these}",
        "thanks": f"不客气！还有别的问题吗？{try_these}",
        "help": f"{about}文章里没写的，我会直说不知道。{try_these}",
        "bye": "再见！有问题随时来问。",
        "who": f"我是{profile.name}。{about}{try_these}",
        "praise": f"谢谢！还有别的问题吗？{try_these}",
    }
    return texts.get(door.intent, texts["greeting"])
