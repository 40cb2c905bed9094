"""The chat's HTML: escaping, [n] links, quote highlighting and offsets, the article panel."""

from __future__ import annotations

import html
import re

import pytest

from bot.chat_ui import render
from bot.chat_ui.article import load_articles
from bot.chat_ui.chat import pieces
from bot.chat_ui.turns import Turn, history
from bot.settings import Settings
from bot.values import Answer, Citation

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">[点我](javascript:alert(3)) ${x}'


@pytest.fixture(scope="module")
def articles():
    return load_articles(Settings().docs_dir)


@pytest.fixture
def article(articles):
    return articles[0]


def cite(article, quote: str, n: int = 1, occurrence: int = 0) -> Citation:
    at = -1
    for _ in range(occurrence + 1):
        at = article.text.index(quote, at + 1)
    return Citation(n, article.source, "节", quote, at, at + len(quote))


def marked(card: str) -> str:
    return html.unescape(re.search(r"<mark>(.*?)</mark>", card).group(1))


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_esc_leaves_no_markup_or_template_syntax():
    out = render.esc(PAYLOAD + " `{{x}}` 'q'")
    assert not re.search(r"[<>\"'`${}]", out)
    assert html.unescape(out) == PAYLOAD + " `{{x}}` 'q'"


def test_answer_links_only_markers_that_have_a_card():
    out = render.answer_text("GDP为682.7亿元[1]，另见[7]。<b>x</b>", turn=3, numbers={1})
    assert '<a class="jj-ref" href="#jj-c3-1" data-card="jj-c3-1"' in out
    assert "[7]" in out and "jj-c3-7" not in out
    assert "<b>" not in out and "&lt;b&gt;" in out


def test_card_highlights_the_quote_inside_its_sentence(article):
    c = cite(article, "1036.7亿元")
    card = render.source_card(0, c, [article])
    assert marked(card) == "1036.7亿元"
    context = text_of(card.split('class="jj-ctx">')[1])
    assert context == (
        "江津区经济数据表明：2015年GDP为682.7亿元，2019年为1036.7亿元，"
        "为全市第6个GDP突破千亿元的区县，2020年预计GDP超过1100亿元。"
    )
    assert f'data-s="{c.start}"' in card and f'data-e="{c.end}"' in card
    assert 'data-source="docs/jiangjin.txt"' in card


def test_quote_across_a_broken_paragraph_is_highlighted_whole(article):
    start = article.text.index("营商环境持续改")
    end = article.text.index("五年新设")
    quote = article.text[start:end]
    assert "\n" in quote  # the article breaks this sentence over two paragraphs
    card = render.source_card(0, Citation(1, article.source, None, quote, start, end), [article])
    assert marked(card) == "营商环境持续改善，"


def test_long_context_is_cut_and_marked(article):
    c = cite(article, "力争五年累计完成进出口总值150亿美元")
    before, quote, after = article.around(c.start, c.end)
    assert before.startswith("…") and len(before) <= 60
    assert quote == c.quote and after == "。"


def test_stale_offsets_fall_back_to_finding_the_quote(article):
    good = cite(article, "森林覆盖率从46.5%提高到51.8%")
    stale = Citation(1, good.source, None, good.quote, good.start + 40, good.end + 40)
    card = render.source_card(0, stale, [article])
    assert marked(card) == good.quote
    assert f'data-s="{good.start}"' in card


def test_unknown_source_shows_the_quote_alone_and_escaped(articles):
    c = Citation(2, "docs/missing.txt", "<b>节</b>", PAYLOAD, 0, len(PAYLOAD))
    card = render.source_card(5, c, articles)
    assert "jj-card-plain" in card and "data-s=" not in card
    assert "<script>" not in card and "<img" not in card and "<b>" not in card
    assert marked(card) == PAYLOAD


def test_offsets_are_in_browser_units_after_characters_outside_the_bmp(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("# 标题\n\n𠀀𠀁江津GDP很高。\n", encoding="utf-8")
    a = load_articles(docs)[0]
    at = a.text.index("江津")
    card = render.source_card(0, Citation(1, "docs/a.txt", None, "江津", at, at + 2), [a])
    assert f'data-s="{at + 2}"' in card  # two astral characters are two UTF-16 units each
    segment = re.search(r'<span class="jj-seg" data-s="(\d+)">𠀀', render.article_html([a]))
    assert int(segment.group(1)) == a.text.index("𠀀")


def test_article_panel_segments_match_the_file_and_headings_link(article):
    out = render.article_html([article])
    segments = re.findall(r'<span class="jj-seg" data-s="(\d+)">(.*?)</span>', out)
    assert len(segments) > 30
    for start, text in segments:
        text = html.unescape(text)
        assert article.text[int(start) : int(start) + len(text)] == text
    for h in article.headings:
        assert f'data-goto="{h.anchor}"' in out and f'id="{h.anchor}"' in out


def test_article_text_from_a_file_is_escaped(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "x.md").write_text(f"# 标题<i>\n\n{PAYLOAD}。\n", encoding="utf-8")
    out = render.article_html(load_articles(docs))
    assert "<script>" not in out and "<img" not in out and "<i>" not in out
    assert PAYLOAD in text_of(out)


def test_refusal_is_marked_and_lists_what_the_article_covers(articles):
    turn = Turn("江津2022年GDP是多少？", Answer("文章中没有提到2022年的GDP。", refused=True))
    out = render.turn_html(0, turn, articles)
    assert "jj-refused" in out and "jj-answer" not in out
    for h in articles[0].headings:
        assert h.text in text_of(out)


def test_question_and_streaming_text_are_escaped(articles):
    turn = Turn(PAYLOAD, Answer("答<b>案</b>"), shown="答<b>")
    out = render.turn_html(0, turn, articles)
    assert "<script>" not in out and "<b>" not in out
    assert PAYLOAD in text_of(out)


def test_streaming_pieces_grow_to_the_whole_answer():
    text = "2019年为1036.7亿元，为全市第6个GDP突破千亿元的区县[1]。"
    parts = list(pieces(text, steps=10))
    assert len(parts) >= 5
    assert all(a == b[: len(a)] and len(a) < len(b) for a, b in zip(parts, parts[1:]))
    assert parts[-1] == text


def test_history_holds_only_finished_answers():
    done = Turn("问一", Answer("答一"))
    streaming = Turn("问二", Answer("答二"), shown="答")
    failed = Turn("问三", error="抱歉")
    assert history([done, streaming, failed]) == [("问一", "答一")]


def test_status_banner_says_the_index_is_building():
    assert "正在建立索引" in render.status_html("building")
    assert render.status_html("ready") == ""
    assert "索引没能建立" in render.status_html("failed")
