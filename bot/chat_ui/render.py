"""HTML for the chat: answers with linked [n] markers, source cards, the article panel, banners.

Every piece of text that comes from a user, the bot or a document passes through `esc`, so
questions and quotes always show as text: no tag, attribute, link or template runs.
"""

from __future__ import annotations

import re

from bot.chat_ui.article import Article, Passage, find
from bot.chat_ui.turns import Turn
from bot.values import Answer, Citation

_MARKER = re.compile(r"\[(\d{1,3})\]")
# Beyond HTML's own characters, `$ { } `` would be template syntax to the page's HTML
# component; writing them as entities keeps them plain text there too.
_EXTRA = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})


def esc(text: object) -> str:
    """Text made safe to place inside HTML elements and quoted attributes."""
    s = str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace('"', "&quot;").replace("'", "&#39;")
    return s.translate(_EXTRA)


def card_id(turn: int, n: int) -> str:
    return f"jj-c{turn}-{n}"


def answer_text(text: str, turn: int, numbers: set[int]) -> str:
    """The answer escaped, each `[n]` with a card of that number turned into a link to it."""

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in numbers:
            return m.group(0)
        cid = card_id(turn, n)
        return f'<a class="jj-ref" href="#{cid}" data-card="{cid}" title="查看出处 {n}">[{n}]</a>'

    return _MARKER.sub(link, esc(text))


def source_card(turn: int, c: Citation, articles: list[Article]) -> str:
    """A numbered card: section title and the quote highlighted inside its sentence.

    When the quote is found in a loaded article the card carries its span (in browser string
    units) so a click can highlight it in the article panel.
    """
    article = find(articles, c.source)
    span = article.locate(c.quote, c.start, c.end) if article else None
    section = c.section or (article.title if article else c.source)
    attrs, before, quote, after = "", "", c.quote, ""
    if article and span:
        before, quote, after = article.around(*span)
        attrs = (
            f' data-source="{esc(article.source)}" data-s="{article.utf16(span[0])}"'
            f' data-e="{article.utf16(span[1])}" role="button" tabindex="0"'
            f' title="在原文中查看"'
        )
    go = '<span class="jj-go">看原文 ›</span>' if attrs else ""
    return (
        f'<div class="jj-card{"" if attrs else " jj-card-plain"}" id="{card_id(turn, c.n)}"{attrs}>'
        f'<div class="jj-card-head"><span class="jj-n">{c.n}</span>'
        f'<span class="jj-sec">{esc(section)}</span>{go}</div>'
        f'<div class="jj-ctx">{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}</div></div>'
    )


def _covers(articles: list[Article]) -> str:
    """What the article does cover, as links to its headings: shown with a refusal."""
    links = "".join(
        f'<a href="#{h.anchor}" data-goto="{h.anchor}">{esc(h.text)}</a>'
        for a in articles
        for h in a.headings
    )
    titles = "、".join(f"《{esc(a.title)}》" for a in articles)
    return (
        f'<div class="jj-covers"><div class="jj-covers-title">{titles}讲的是这些内容，'
        f"可以换个问法或点开看看：</div>{links}</div>"
    )


def _feedback(i: int, t: Turn) -> str:
    if t.rating is not None:
        if t.feedback_saved:
            face = "👍" if t.rating == "up" else "👎"
            return f'<div class="jj-feedback jj-fb-done">已收到你的反馈 {face}，谢谢！</div>'
        return '<div class="jj-feedback jj-fb-done">反馈暂时没能保存，不影响继续提问。</div>'
    return (
        f'<div class="jj-feedback" data-turn="{i}"><span class="jj-fb-label">这个回答有帮助吗？</span>'
        '<button type="button" class="jj-rate" data-rate="up" aria-label="有帮助">👍</button>'
        '<button type="button" class="jj-rate" data-rate="down" aria-label="没帮助">👎</button>'
        '<div class="jj-fb-form" hidden>'
        '<textarea class="jj-fb-comment" maxlength="500" rows="2" '
        'placeholder="想补充点什么？（可选）"></textarea>'
        '<button type="button" class="jj-fb-send">提交反馈</button></div></div>'
    )


def _answer(i: int, t: Turn, articles: list[Article]) -> str:
    if t.error is not None:
        return f'<div class="jj-bubble jj-error">{esc(t.error)}</div>'
    if t.answer is None:
        note = t.shown or "正在文章里查找…"
        return (
            '<div class="jj-bubble jj-pending"><span class="jj-dots"><i></i><i></i><i></i></span>'
            f"{esc(note)}</div>"
        )
    a: Answer = t.answer
    if t.shown is not None:
        return (
            f'<div class="jj-bubble jj-streaming{" jj-refused" if a.refused else ""}">'
            f'<div class="jj-text">{esc(t.shown)}<span class="jj-caret"></span></div></div>'
        )
    numbers = {c.n for c in a.citations}
    cards = "".join(source_card(i, c, articles) for c in a.citations)
    if a.refused:
        head = '<div class="jj-tag">文章里没有这方面的内容</div>'
        sources = f'<div class="jj-sources-title">相关的原文</div>{cards}' if cards else ""
        return (
            f'<div class="jj-bubble jj-refused">{head}'
            f'<div class="jj-text">{answer_text(a.answer, i, numbers)}</div>'
            f"{_covers(articles)}{sources}{_feedback(i, t)}</div>"
        )
    sources = f'<div class="jj-sources-title">出处</div>{cards}' if cards else ""
    return (
        f'<div class="jj-bubble jj-answer"><div class="jj-text">'
        f"{answer_text(a.answer, i, numbers)}</div>"
        f'<div class="jj-sources">{sources}</div>{_feedback(i, t)}</div>'
    )


def turn_html(i: int, t: Turn, articles: list[Article]) -> str:
    """One question bubble and the answer (or its progress) under it."""
    return (
        f'<div class="jj-turn" data-turn="{i}">'
        f'<div class="jj-q"><div class="jj-bubble">{esc(t.question)}</div></div>'
        f'<div class="jj-a">{_answer(i, t, articles)}</div></div>'
    )


def welcome_html(articles: list[Article]) -> str:
    """What an empty conversation shows: what the bot knows and how to use it."""
    docs = "".join(
        f'<li class="jj-doc">《{esc(a.title)}》{"——" + esc(a.subtitle) if a.subtitle else ""}</li>'
        for a in articles
    )
    return (
        '<div class="jj-welcome"><p class="jj-hello">你好！我只回答关于下面这篇文章的问题：</p>'
        f'<ul class="jj-docs">{docs}</ul><ul class="jj-tips">'
        "<li>每个回答都标出原文出处，点出处就能在原文里看到那句话。</li>"
        "<li>文章没写的（比如最新数据、办事流程），我会直接说「文章中没有提到」，不会编造。</li>"
        "<li>可以接着追问，比如先问“2019年GDP是多少？”，再问“那2015年呢？”。</li>"
        "</ul></div>"
    )


def conversation_html(turns: list[Turn], articles: list[Article]) -> str:
    """The whole chat log: the welcome when empty, else every turn."""
    body = "".join(turn_html(i, t, articles) for i, t in enumerate(turns))
    streaming = any(not t.done for t in turns)
    new = (
        '<button type="button" class="jj-new" title="清空对话，重新开始">＋ 新对话</button>'
        if turns
        else ""
    )
    return (
        f'<div class="jj-chat-head"><span>对话</span>{new}</div>'
        f'<div class="jj-log" data-turns="{len(turns)}" data-busy="{int(streaming)}">'
        f"{body or welcome_html(articles)}</div>"
    )


def header_html(articles: list[Article]) -> str:
    """The page header: the bot's name and what it knows and doesn't."""
    if len(articles) == 1:
        scope = f"《{esc(articles[0].title)}》一文"
    else:
        scope = f"这 {len(articles)} 篇文章"
    return (
        '<header class="jj-header"><div class="jj-logo" aria-hidden="true">津</div><div>'
        "<h1>江津问答</h1>"
        f"<p>只依据{scope}回答，并标出原文出处；文章没写的，会直说不知道。</p>"
        "</div></header>"
    )


def _passage(a: Article, p: Passage) -> str:
    segs = "".join(
        f'<span class="jj-seg" data-s="{a.utf16(s.start)}">{esc(s.text)}</span>' for s in p.segments
    )
    tag = {"title": "h2", "heading": "h3"}.get(p.kind, "p")
    return f'<{tag} id="{p.anchor}" class="jj-{p.kind}">{segs}</{tag}>'


def article_html(articles: list[Article]) -> str:
    """The article panel: a table of contents over the headings and the full text."""
    toc = "".join(
        f'<a href="#{h.anchor}" data-goto="{h.anchor}">{esc(h.text)}</a>'
        for a in articles
        for h in a.headings
    )
    bodies = "".join(
        f'<article data-source="{esc(a.source)}">{"".join(_passage(a, p) for p in a.passages)}</article>'
        for a in articles
    )
    if not articles:
        bodies = '<p class="jj-empty">docs/ 里还没有文章。</p>'
    return (
        '<section class="jj-panel" aria-label="原文"><div class="jj-panel-bar"><span>原文</span>'
        '<button type="button" class="jj-back" hidden>↩ 回到对话</button></div>'
        f'<nav class="jj-toc" aria-label="目录">{toc}</nav>'
        f'<div class="jj-article-body">{bodies}</div></section>'
    )


def status_html(phase: str) -> str:
    """The banner over the chat: index building, failed, or nothing once ready."""
    if phase == "ready":
        return ""
    if phase == "failed":
        return (
            '<div class="jj-status jj-status-failed" role="alert">⚠️ 索引没能建立，暂时无法回答。'
            "请联系网站管理员（原因记在服务器日志里）。</div>"
        )
    return (
        '<div class="jj-status" role="status"><span class="jj-spinner"></span>'
        "正在建立索引…首次启动需要十几秒，完成后就能提问（现在提的问题也会在完成后自动回答）。</div>"
    )
