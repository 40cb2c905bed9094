"""The code knows Chinese, not the shipped article: what the bot knows about its documents comes
from the documents (at build time) and from the deployer's profile, never from the source."""

from __future__ import annotations

import json
import re

from bot.settings import PROJECT_ROOT, Settings
from bot.text import normalize_chars
from bot.tokenizer import Tokenizer
from index.lexicon import mine

ARTICLE = PROJECT_ROOT / "docs" / "jiangjin.txt"
CODE = [
    p
    for folder in ("bot", "index")
    for p in (PROJECT_ROOT / folder).rglob("*")
    if p.suffix in {".py", ".tsv", ".txt", ".toml", ".js", ".css", ".html"}
] + [PROJECT_ROOT / "ui.py"]
GENERAL = [
    PROJECT_ROOT / "eval" / "datasets" / "cmrc2018_trial.json",
    PROJECT_ROOT / "eval" / "datasets" / "drcd_dev.json",
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _article_terms() -> set[str]:
    """The article's own words: what the build mines from it, the names jieba tags in it (one
    it repeats: a lone tag is often jieba's mistake, as 加密 in 「加密东南亚……」), and
    what the profile maps users' words to; less those that three or more Wikipedia passages of
    the development sets use too (ordinary Chinese, like 城市)."""
    text = normalize_chars(ARTICLE.read_text(encoding="utf-8"))
    sentences = [s for s in re.split(r"[。！？\n]", text) if s]
    base = Tokenizer()
    terms = set(mine(sentences, base.known))
    names = {w for s in sentences for w, tag in base.tagged(s) if tag in {"ns", "nr", "nt", "nz"}}
    terms |= {w for w in names if text.count(w) >= 2}  # a name the article repeats
    terms |= {w for w in Settings().profile().synonyms.values() if not base.known(w)}
    terms = {w for w in terms if len(w) >= 2 and CJK.search(w)}
    passages = []
    for path in GENERAL:
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            passages += [normalize_chars(p["context"]) for p in article["paragraphs"]]
    return {w for w in terms if sum(w in p for p in passages) < 3}


def test_the_code_names_nothing_of_the_shipped_article():
    terms = _article_terms()
    assert {"江津", "综保区", "十三五"} <= terms, "the check must see the article's own words"
    named = {}
    for path in CODE:
        if "model" in path.relative_to(PROJECT_ROOT).parts:
            continue  # fitted numbers, not words
        body = path.read_text(encoding="utf-8", errors="ignore")
        if hits := sorted(w for w in terms if w in body):
            named[str(path.relative_to(PROJECT_ROOT))] = hits
    assert not named, f"article words in the code: {named}"


def test_the_product_speaks_with_the_profiles_name(tmp_path):
    profile = tmp_path / "profile.toml"
    profile.write_text('name = "某报问答"\nexamples = ["今年的预算是多少？"]\n', encoding="utf-8")
    loaded = Settings(profile_path=profile).profile()
    assert loaded.name == "某报问答"
    assert "某报问答" in loaded.welcome_text() and "今年的预算是多少？" in loaded.welcome_text()


def test_without_a_profile_the_bot_has_a_neutral_name(tmp_path):
    loaded = Settings(profile_path=tmp_path / "missing.toml").profile()
    assert loaded.name == "文档问答"
    assert loaded.examples == () and loaded.example() == "文章的主要内容是什么？"
