"""Chinese text normalisation and tokenisation shared by retrieval, answering and refusal."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jieba

jieba.setLogLevel(60)

# Article wording for common paraphrases: a question may use either side.
SYNONYMS = {
    "综合保税区": "综保区",
    "保税区": "综保区",
    "国内生产总值": "GDP",
    "地区生产总值": "GDP",
    "生产总值": "GDP",
    "经济总量": "GDP",
    "外商投资": "外资",
    "森林覆蓋率": "森林覆盖率",
    "绿化率": "森林覆盖率",
    "植树造林": "营造林",
    "造林": "营造林",
    "高企": "高新技术企业",
    "世界五百强": "世界500强",
    "五百强": "500强",
    "进出口额": "进出口总额",
    "外贸总额": "进出口总额",
    "十三五期间": "十三五",
    "十四五期间": "十四五",
}

# English words a visitor may use, mapped to the article's own terms.
GLOSSARY = {
    "jiangjin": "江津",
    "chongqing": "重庆",
    "gdp": "GDP",
    "forest": "森林",
    "coverage": "覆盖率",
    "foreign": "外资",
    "investment": "投资",
    "fixed": "固定资产",
    "asset": "固定资产",
    "assets": "固定资产",
    "import": "进出口",
    "export": "进出口",
    "exports": "进出口",
    "imports": "进出口",
    "trade": "进出口",
    "growth": "增长",
    "grow": "增长",
    "industrial": "工业",
    "industry": "产业",
    "output": "总产值",
    "enterprises": "企业",
    "companies": "企业",
    "company": "企业",
    "fortune": "世界500强",
    "zone": "综保区",
    "bonded": "综保区",
    "railway": "铁路",
    "logistics": "物流",
    "hub": "枢纽",
    "selenium": "富硒",
    "innovation": "创新",
    "science": "科学城",
    "plan": "规划",
    "environmental": "环保",
    "environment": "环保",
    "pollution": "污染",
    "market": "市场主体",
    "entities": "市场主体",
    "high-tech": "高新技术企业",
    "hightech": "高新技术企业",
    "target": "目标",
    "fourteenth": "十四五",
    "thirteenth": "十三五",
    "smart": "智能",
    "factories": "智能工厂",
    "factory": "智能工厂",
    "billion": "亿",
    "yuan": "元",
}

STOPWORDS = set(
    """
    的 了 吗 呢 吧 啊 呀 么 嘛 是 在 有 和 与 及 或 就 都 也 还 又 把 被 让 给 对 从 向 到 为 以
    什么 多少 哪些 哪个 哪里 哪儿 怎么 怎样 怎么样 如何 为何 为什么 是否 是不是 有没有 有无 几 几个 多大
    请问 请 一下 介绍 说说 讲讲 告诉 我 我们 你 你们 他 他们 它 这 那 这个 那个 这些 那些 那么 还有 其中
    谁 何时 什么时候 时候 江津 江津区 该区 津 重庆 重庆市 区 情况 方面 主要 相关 有关 具体 大概 大约 左右 目前 现在 当时 方面
    搞 咋 咋样 啥 哪 得 地 着 过 吗 多 少 些 个 年 时候 时期 期间 一共 总共 共 分别 文章 文中 提到 提及 说
    达到 达 是多少 有多少 多高 多快 怎么样了 如何了 变化 计划 打算 准备 要 会 能 将 想 做 做了 用 用了
    what which how many much is are was were the a an of in on at to for by and or does did do
    has have had its it jiangjin's s be been will would can could about tell me please district
    """.split()
)

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC, traditional to simplified, lower-case Latin letters, article wording for synonyms."""
    text = unicodedata.normalize("NFKC", text)
    text = _converter().convert(text)
    text = text.lower()
    for variant, canonical in SYNONYMS.items():
        if variant.lower() in text:
            text = text.replace(variant.lower(), canonical.lower())
    return text


def tokens(text: str) -> list[str]:
    """Search-mode jieba tokens of normalised text, without punctuation or spaces."""
    return [t for t in jieba.lcut_for_search(normalize(text)) if _WORDLIKE.search(t)]


def content_terms(text: str) -> list[str]:
    """The words of a question that carry its meaning: no stopwords, English mapped to Chinese."""
    out: list[str] = []
    for word in jieba.lcut(normalize(text)):
        word = word.strip()
        if not _WORDLIKE.search(word) or word in STOPWORDS:
            continue
        if word.isascii() and word.isalpha():
            word = GLOSSARY.get(word, word).lower()
            if word in STOPWORDS:
                continue
        elif len(word) == 1 and not word.isdigit():
            continue
        if word not in out:
            out.append(word)
    return out


def years(text: str) -> list[str]:
    """Four-digit years (19xx or 20xx) mentioned in the text."""
    return _YEAR.findall(unicodedata.normalize("NFKC", text))


def numbers(text: str) -> list[str]:
    """Every number in the text, as written (NFKC-normalised)."""
    return _NUMBER.findall(unicodedata.normalize("NFKC", text))


def has_words(text: str) -> bool:
    """True when the text holds at least one letter, digit or Chinese character."""
    return bool(_WORDLIKE.search(text))
