"""Chinese text normalisation and tokenisation shared by retrieval, answering and refusal."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jieba

jieba.setLogLevel(60)
for _word in ("十三五", "十四五", "综保区", "森林覆盖率", "世界500强", "市场主体", "高新技术企业"):
    jieba.add_word(_word)

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
    "全球五百强": "世界500强",
    "全球500强": "世界500强",
    "高科技": "高新技术",
    "对外贸易": "进出口",
    "外贸": "进出口",
    "公司": "企业",
    "厂家": "企业",
    "树林": "森林",
    "新注册": "新设",
    "注册": "新设",
    "个体户": "市场主体",
    "研发平台": "创新平台",
    "涨幅": "增长",
    "增幅": "增长",
    "增速": "增长",
    "增涨": "增长",
    "上涨": "增长",
    "涨": "增长",
    "增加": "增长",
    "投入": "投资",
    "一千亿": "千亿",
    "跨过": "突破",
    "超过千亿": "突破千亿",
    # Chongqing and Sichuan speech
    "啥子": "什么",
    "好多": "多少",
    "咋个": "怎么",
    "咋样": "怎么样",
    "没得": "没有",
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
    "capital": "外资",
    "afforestation": "营造林",
    "afforested": "营造林",
    "workshops": "数字化车间",
    "workshop": "数字化车间",
    "digital": "数字化",
    "actions": "行动",
    "protection": "环保",
    "designated": "规模以上",
    "value": "产值",
    "average": "年均",
    "annual": "年均",
    "annually": "年均",
    "platforms": "平台",
    "platform": "平台",
    "global": "世界",
    "500": "500",
    "tech": "科技",
    "technology": "技术",
    "academician": "院士",
    "academicians": "院士",
    "consumer": "消费品",
    "goods": "消费品",
    "town": "镇",
    "reform": "改革",
    "railways": "铁路",
    "expressways": "高速",
    "expressway": "高速",
    "population": "人口",
    "mayor": "区长",
    "secretary": "书记",
    "weather": "天气",
    "unemployment": "失业率",
    "income": "收入",
    "price": "价格",
    "prices": "价格",
    "housing": "房价",
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
    这篇 篇文章 本文 报道 这篇报道 原文 文章里 单位 状态 部门 年份 称号 名字 姓名 级别 方向 内容 东西 地方 措施 哪条 哪几个 哪几 哪一年 什么样 一共 今后
    原来 听说 来说 做到 拿到 跨过 花了 多少钱 叫 叫啥 是哪 哪种 哪类 哪方面 哪几项 第几 几项 分别是 各 各有
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


def normalize_chars(text: str) -> str:
    """NFKC, traditional to simplified, lower-case Latin letters."""
    return _converter().convert(unicodedata.normalize("NFKC", text)).lower()


def normalize(text: str) -> str:
    """normalize_chars, then the article's wording for synonyms and dialect."""
    text = normalize_chars(text)
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
        if word.isascii() and not word.isdigit() and not re.fullmatch(r"[\d.%]+", word):
            # English: only words the glossary knows carry meaning; the rest are ignored
            if word not in GLOSSARY and word not in ("gdp",):
                continue
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


NOUNISH = ("n", "vn", "eng", "j", "l", "i")


def noun_terms(terms: list[str]) -> set[str]:
    """The terms jieba tags as nouns (or English, idioms, abbreviations): the things asked about."""
    import jieba.posseg

    out = set()
    for term in terms:
        if any(flag.startswith(NOUNISH) for _, flag in jieba.posseg.lcut(term)):
            out.add(term)
    return out


def bigrams(text: str) -> set[str]:
    """Character pairs of the Chinese (and alphanumeric) runs of normalised text."""
    out = set()
    for run in re.findall(r"[\u4e00-\u9fff]+|[a-z0-9.%]+", text):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out
