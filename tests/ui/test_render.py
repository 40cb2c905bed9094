"""The chat's HTML: escaping, [n] links, quote highlighting and offsets, the article panel."""

from __future__ import annotations

import html
import json
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


def test_turns_kept_in_the_browser_come_back_the_same(article):
    from bot.chat_ui.turns import keep, restore

    c = cite(article, "1036.7亿元")
    turns = [
        Turn("江津2019年GDP是多少？", Answer("2019年为1036.7亿元[1]。", citations=[c])),
        Turn("江津2022年GDP是多少？", Answer("文章中没有提到。", refused=True), rating="down"),
        Turn("问三", error="抱歉"),
        Turn("还在答", Answer("答"), shown="答"),
    ]
    turns[1].feedback = "saved"
    back = restore(json.loads(json.dumps(keep(turns))))
    assert [t.question for t in back] == ["江津2019年GDP是多少？", "江津2022年GDP是多少？", "问三"]
    assert back[0].answer.to_dict() == turns[0].answer.to_dict()
    assert (back[1].rating, back[1].feedback, back[1].answer.kind) == ("down", "saved", "refusal")
    assert back[2].error == "抱歉" and all(t.restored for t in back)


def test_what_the_browser_sends_back_is_checked_before_it_is_shown():
    from bot.chat_ui.turns import MAX_KEPT_TURNS, restore

    good = {"question": "问", "answer": {"answer": "答", "citations": []}}
    bad_citation = {
        "n": '"><img src=x onerror=alert(1)>',
        "source": "docs/a.txt",
        "section": None,
        "quote": "q",
        "start": 0,
        "end": 1,
    }
    saved = [
        "not a turn",
        {"question": "", "answer": {"answer": "答"}},
        {"question": "问", "answer": {"answer": "答", "kind": "shouting"}},
        {"question": "问", "answer": {"answer": "答", "citations": [bad_citation]}},
        {"question": "问" * 6000, "answer": {"answer": "答"}},
        {"question": "问", "answer": None},
        {**good, "rating": "<b>", "suggestions": ["<s>", 3, ""]},
    ]
    back = restore(saved)
    assert len(back) == 1 and back[0].rating is None and back[0].suggestions == ["<s>"]
    assert restore({"question": "问"}) == [] and restore(None) == []
    assert len(restore([good] * (MAX_KEPT_TURNS + 10))) == MAX_KEPT_TURNS


def test_history_holds_only_finished_answers():
    done = Turn("问一", Answer("答一"))
    streaming = Turn("问二", Answer("答二"), shown="答")
    failed = Turn("问三", error="抱歉")
    assert history([done, streaming, failed]) == [("问一", "答一")]


def test_status_banner_says_the_index_is_building():
    assert "正在建立索引" in render.status_html("building")
    assert render.status_html("ready") == ""
    assert "索引没能建立" in render.status_html("failed")


def test_each_kind_of_reply_has_its_own_look(articles):
    quote = "2019年为1036.7亿元"
    at = articles[0].text.index(quote)
    cited = [Citation(1, articles[0].source, "节", quote, at, at + len(quote))]
    looks = {
        "answer": Answer("2019年为1036.7亿元[1]。", citations=cited),
        "refusal": Answer("文章中没有提到2022年的GDP。", refused=True),
        "smalltalk": Answer("你好！我可以回答关于这篇文章的问题。", kind="smalltalk"),
        "unclear": Answer("没看懂这个问题……", kind="unclear"),
    }
    out = {
        kind: render.turn_html(0, Turn("问", a, suggestions=["例一？", "例二？"]), articles, True)
        for kind, a in looks.items()
    }
    assert "jj-answer" in out["answer"] and "jj-card" in out["answer"]
    assert "jj-refused" in out["refusal"] and "文章里没有这方面的内容" in out["refusal"]
    for kind in ("smalltalk", "unclear"):
        assert "jj-refused" not in out[kind] and "文章里没有" not in out[kind]
        assert "jj-friendly" in out[kind] and looks[kind].answer in text_of(out[kind])
        assert "jj-rate" not in out[kind]  # nothing to rate: no answer from the article
        assert "可以这样问" in out[kind] and 'data-q="例一？"' in out[kind]
    for kind in ("answer", "refusal"):
        assert ">有用</button>" in out[kind] and ">没用</button>" in out[kind]
        assert "👍" not in out[kind] and "👎" not in out[kind]
    assert "接着问" in out["answer"]


def test_only_the_newest_turn_offers_questions(articles):
    turn = Turn("问", Answer("答"), suggestions=["例一？"])
    assert "jj-next" in render.turn_html(0, turn, articles, last=True)
    assert "jj-next" not in render.turn_html(0, turn, articles, last=False)


def test_copy_text_is_the_answer_and_its_sources_without_markup(articles):
    a = Answer(
        "2019年为<b>1036.7</b>亿元[1]。",
        citations=[
            Citation(1, "docs/jiangjin.txt", "坚持新发展理念", "2019年为\n1036.7亿元", 0, 5)
        ],
    )
    assert render.plain_text(a) == (
        "2019年为<b>1036.7</b>亿元[1]。\n\n出处：\n[1] 【坚持新发展理念】2019年为 1036.7亿元"
    )
    button = render.turn_html(0, Turn("问", a), articles)
    copy = re.search(r'class="jj-copy"[^>]*data-copy="([^"]*)"', button).group(1)
    assert html.unescape(copy) == render.plain_text(a)
    assert render.plain_text(Answer("文章中没有提到。", refused=True)) == "文章中没有提到。"


def test_a_long_question_folds_with_a_button_to_unfold_it(articles):
    short = render.turn_html(0, Turn("江津2019年GDP是多少？"), articles)
    assert "jj-more" not in short
    long = render.turn_html(3, Turn("江津" * 200), articles)
    assert 'class="jj-bubble jj-long" id="jj-q3"' in long
    assert 'aria-expanded="false" aria-controls="jj-q3"' in long and ">展开</button>" in long
    assert "jj-more" in render.turn_html(0, Turn("一\n二\n三\n四\n五\n六"), articles)


def test_header_and_welcome_come_from_the_profile(articles):
    header = render.header_html("某区问答", "只依据<某区>的文章回答。", articles)
    assert '<div class="jj-logo" aria-hidden="true">某</div>' in header
    assert "<h1>某区问答</h1>" in header and "只依据&lt;某区&gt;的文章回答。" in header
    fallback = render.header_html("文档问答", "", articles)
    assert f"《{articles[0].title}》一文" in fallback
    welcome = render.conversation_html([], articles, "某区问答", examples=("问一？", "问二？"))
    assert "我是某区问答" in welcome
    assert re.findall(r'data-q="([^"]*)"', welcome) == ["问一？", "问二？"]


def test_the_live_region_reads_out_only_what_it_is_given(articles):
    turns = [Turn("问", Answer("答案是<这个>。"))]
    out = render.conversation_html(turns, articles, announce="答案是<这个>。")
    live = re.search(r'<div class="jj-sr jj-live"[^>]*aria-live="polite"[^>]*>(.*?)</div>', out)
    assert html.unescape(live.group(1)) == "答案是<这个>。"
    quiet = render.conversation_html(turns, articles)
    assert re.search(r'aria-live="polite"[^>]*></div>', quiet)
