"""HTML for the chat: answers with linked [n] markers, source cards, the article panel, banners.

Every piece of text that comes from a user, the bot or a document passes through `esc`, so
questions and quotes always show as text: no tag, attribute, link or template runs.
"""

from __future__ import annotations

import re
from pathlib import Path

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
    where = where_text(c, len(articles) > 1)
    where = f'<span class="jj-where">{esc(where)}</span>' if where else ""
    return (
        f'<div class="jj-card{"" if attrs else " jj-card-plain"}" id="{card_id(turn, c.n)}"{attrs}>'
        f'<div class="jj-card-head"><span class="jj-n">{c.n}</span>'
        f'<span class="jj-sec">{esc(section)}</span>{where}{go}</div>'
        f'<div class="jj-ctx">{esc(before)}<mark>{esc(quote)}</mark>{esc(after)}</div></div>'
    )


def where_text(c: Citation, name_file: bool) -> str:
    """Where a quote is beyond its section: the file (when there are several documents, or
    for a PDF) and the PDF page, e.g. "report.pdf 第 2 页"; "" when there is nothing to add."""
    parts = [Path(c.source).name] if name_file or c.page else []
    if c.page:
        parts.append(f"第 {c.page} 页")
    return " ".join(parts)


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


def plain_text(answer: Answer) -> str:
    """The answer and its sources as plain text, the way the copy button copies them."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines += ["", "出处：" if answer.kind == "answer" else "相关的原文："]
        lines += [
            f"[{c.n}] "
            + (f"【{c.section}】" if c.section else "")
            + (f"（{where_text(c, False)}）" if c.page else "")
            + " ".join(c.quote.split())
            for c in answer.citations
        ]
    return "\n".join(lines)


def _feedback(i: int, t: Turn) -> str:
    if t.feedback in ("saved", "unsaved"):
        said = "有用" if t.rating == "up" else "没用"
        text = (
            f"已收到你的反馈（{said}），谢谢！"
            if t.feedback == "saved"
            else "反馈暂时没能保存，不影响继续提问。"
        )
        return f'<div class="jj-feedback jj-fb-done" tabindex="-1" data-key="fb-{i}">{text}</div>'
    limited = (
        '<div class="jj-fb-limited" role="alert">反馈提交得太频繁了，请过几分钟再试。</div>'
        if t.feedback == "limited"
        else ""
    )
    return (
        f'<div class="jj-feedback" data-turn="{i}" role="group" aria-label="这个回答有帮助吗？">'
        '<span class="jj-fb-label" aria-hidden="true">这个回答有帮助吗？</span>'
        f'<button type="button" class="jj-rate" data-rate="up" aria-pressed="false" data-key="up-{i}">'
        '<span class="jj-icon" aria-hidden="true">✓</span>有用</button>'
        f'<button type="button" class="jj-rate" data-rate="down" aria-pressed="false" data-key="down-{i}">'
        '<span class="jj-icon" aria-hidden="true">✗</span>没用</button>'
        f"{limited}"
        '<div class="jj-fb-form" hidden>'
        f'<label class="jj-sr" for="jj-fb{i}">补充说明（可选）</label>'
        f'<textarea id="jj-fb{i}" class="jj-fb-comment" maxlength="500" rows="2" '
        'placeholder="想补充点什么？（可选）"></textarea>'
        f'<button type="button" class="jj-fb-send" data-key="send-{i}">提交反馈</button></div></div>'
    )


def _actions(i: int, t: Turn) -> str:
    """Feedback and the copy button under an answer or a refusal."""
    copy = (
        f'<button type="button" class="jj-copy" data-key="copy-{i}" '
        f'data-copy="{esc(plain_text(t.answer))}" aria-label="复制回答和出处">复制</button>'
    )
    return f'<div class="jj-actions">{_feedback(i, t)}{copy}</div>'


def _next(i: int, t: Turn) -> str:
    """The questions offered after the newest reply, as buttons that ask them."""
    if not t.suggestions:
        return ""
    title = "接着问" if t.answer is not None and t.answer.kind == "answer" else "可以这样问"
    buttons = "".join(
        f'<button type="button" class="jj-ask" data-q="{esc(q)}" data-key="next-{i}-{k}">'
        f"{esc(q)}</button>"
        for k, q in enumerate(t.suggestions)
    )
    return (
        f'<div class="jj-next" role="group" aria-label="{title}">'
        f'<div class="jj-next-title" aria-hidden="true">{title}</div>{buttons}</div>'
    )


def _answer(i: int, t: Turn, articles: list[Article], last: bool) -> str:
    if t.error is not None:
        return f'<div class="jj-bubble jj-error">{esc(t.error)}</div>'
    if t.answer is None:
        note = t.shown or "正在文章里查找…"
        return (
            '<div class="jj-bubble jj-pending"><span class="jj-dots" aria-hidden="true">'
            f"<i></i><i></i><i></i></span>{esc(note)}</div>"
        )
    a: Answer = t.answer
    if t.shown is not None:
        return (
            f'<div class="jj-bubble jj-streaming{" jj-refused" if a.kind == "refusal" else ""}">'
            f'<div class="jj-text">{esc(t.shown)}<span class="jj-caret"></span></div></div>'
        )
    numbers = {c.n for c in a.citations}
    text = f'<div class="jj-text">{answer_text(a.answer, i, numbers)}</div>'
    after = _next(i, t) if last else ""
    if a.kind in ("smalltalk", "unclear"):
        return f'<div class="jj-bubble jj-friendly">{text}</div>{after}'
    cards = "".join(source_card(i, c, articles) for c in a.citations)
    if a.kind == "refusal":
        sources = f'<div class="jj-sources-title">相关的原文</div>{cards}' if cards else ""
        return (
            '<div class="jj-bubble jj-refused"><div class="jj-tag">文章里没有这方面的内容</div>'
            f"{text}{_covers(articles)}{sources}{_actions(i, t)}</div>{after}"
        )
    sources = f'<div class="jj-sources-title">出处</div>{cards}' if cards else ""
    return (
        f'<div class="jj-bubble jj-answer">{text}<div class="jj-sources">{sources}</div>'
        f"{_actions(i, t)}</div>{after}"
    )


LONG_QUESTION_CHARS = 140
LONG_QUESTION_LINES = 5


def _question(i: int, question: str) -> str:
    """The question bubble; a long one is folded to a few lines with a 「展开」 button."""
    if len(question) <= LONG_QUESTION_CHARS and question.count("\n") < LONG_QUESTION_LINES:
        return f'<div class="jj-bubble"><div class="jj-qtext">{esc(question)}</div></div>'
    return (
        f'<div class="jj-bubble jj-long" id="jj-q{i}"><div class="jj-qtext">{esc(question)}</div>'
        f'<button type="button" class="jj-more" aria-expanded="false" aria-controls="jj-q{i}" '
        f'data-key="more-{i}">展开</button></div>'
    )


def turn_html(i: int, t: Turn, articles: list[Article], last: bool = False) -> str:
    """One question bubble and the answer (or its progress) under it; `last` adds the
    questions offered next."""
    return (
        f'<div class="jj-turn" data-turn="{i}">'
        f'<div class="jj-q">{_question(i, t.question)}</div>'
        f'<div class="jj-a">{_answer(i, t, articles, last)}</div></div>'
    )


def _examples(examples: list[str] | tuple[str, ...]) -> str:
    """The deployer's example questions as buttons that ask them."""
    if not examples:
        return ""
    buttons = "".join(
        f'<button type="button" class="jj-ask" data-q="{esc(q)}" data-key="ex-{k}">{esc(q)}</button>'
        for k, q in enumerate(examples)
    )
    return (
        '<div class="jj-next jj-examples" role="group" aria-label="试试这样问">'
        f'<div class="jj-next-title" aria-hidden="true">试试这样问：</div>{buttons}</div>'
    )


def welcome_html(articles: list[Article], name: str, examples=()) -> str:
    """What an empty conversation shows: what the bot knows, how to use it, examples."""
    docs = "".join(
        f'<li class="jj-doc">《{esc(a.title)}》{"——" + esc(a.subtitle) if a.subtitle else ""}</li>'
        for a in articles
    )
    which = "下面这篇文章" if len(articles) == 1 else "下面这些文章"
    return (
        f'<div class="jj-welcome"><p class="jj-hello">你好！我是{esc(name)}，只回答关于{which}的问题：</p>'
        f'<ul class="jj-docs">{docs}</ul><ul class="jj-tips">'
        "<li>每个回答都标出原文出处，点出处就能在原文里看到那句话。</li>"
        "<li>文章没写的（比如最新数据、办事流程），我会直接说「文章中没有提到」，不会编造。</li>"
        "<li>可以接着追问，我记得这次对话里问过什么；点「新对话」重新开始。</li>"
        f"</ul>{_examples(examples)}</div>"
    )


def conversation_html(
    turns: list[Turn],
    articles: list[Article],
    name: str = "",
    announce: str = "",
    examples: list[str] | tuple[str, ...] = (),
    ready: bool = True,
) -> str:
    """The whole chat: a live region that reads out `announce` (the newest finished reply),
    the head with 新对话, and the log (the welcome when empty, else every turn).

    `ready` is False only in the page as first served, before the conversation kept in the
    browser has been restored (the log's data-ready says which)."""
    last = len(turns) - 1
    body = "".join(turn_html(i, t, articles, i == last) for i, t in enumerate(turns))
    streaming = any(not t.done for t in turns)
    new = (
        '<button type="button" class="jj-new" data-key="new" title="清空对话，重新开始">'
        "＋ 新对话</button>"
        if turns
        else ""
    )
    return (
        f'<div class="jj-sr jj-live" role="status" aria-live="polite" aria-atomic="true">'
        f"{esc(announce)}</div>"
        f'<div class="jj-chat-head"><h2 class="jj-chat-title">对话</h2>{new}</div>'
        f'<div class="jj-log" role="region" aria-label="对话记录" tabindex="0" '
        f'data-turns="{len(turns)}" data-busy="{int(streaming)}" data-ready="{int(ready)}">'
        f"{body or welcome_html(articles, name, examples)}</div>"
    )


def header_html(name: str, description: str, articles: list[Article]) -> str:
    """The page header: the bot's name, its first character as the logo, and what it knows."""
    if not description:
        if len(articles) == 1:
            scope = f"《{articles[0].title}》一文"
        else:
            scope = f"这 {len(articles)} 篇文章"
        description = f"只依据{scope}回答，并标出原文出处；文章没写的，会直说不知道。"
    return (
        f'<header class="jj-header"><div class="jj-logo" aria-hidden="true">{esc(name[:1])}</div>'
        f"<div><h1>{esc(name)}</h1><p>{esc(description)}</p></div></header>"
    )


def note_html(max_chars: int) -> str:
    """The line under the question box where the page shows the character count and hints."""
    return f'<div class="jj-note" data-max="{max_chars}" aria-live="polite"></div>'


def _passage(a: Article, p: Passage) -> str:
    segs = "".join(
        f'<span class="jj-seg" data-s="{a.utf16(s.start)}">{esc(s.text)}</span>' for s in p.segments
    )
    tag = {"title": "h2", "heading": "h3"}.get(p.kind, "p")
    return f'<{tag} id="{p.anchor}" class="jj-{p.kind}">{segs}</{tag}>'


def _passages(a: Article) -> str:
    """The article's passages, with a mark where each PDF page begins."""
    out, page = [], None
    for p in a.passages:
        if p.page is not None and p.page != page:
            out.append(f'<div class="jj-page" aria-hidden="true">第 {p.page} 页</div>')
            page = p.page
        out.append(_passage(a, p))
    return "".join(out)


def article_html(articles: list[Article]) -> str:
    """The article panel: a table of contents over the headings and the full text."""
    toc = "".join(
        f'<a href="#{h.anchor}" data-goto="{h.anchor}">{esc(h.text)}</a>'
        for a in articles
        for h in a.headings
    )
    bodies = "".join(
        f'<article data-source="{esc(a.source)}">{_passages(a)}</article>' for a in articles
    )
    if not articles:
        bodies = '<p class="jj-empty">docs/ 里还没有文章。</p>'
    return (
        '<section class="jj-panel" aria-label="原文"><div class="jj-panel-bar">'
        '<h2 class="jj-panel-title">原文</h2>'
        '<button type="button" class="jj-back" hidden>↩ 回到对话</button></div>'
        f'<nav class="jj-toc" aria-label="目录">{toc}</nav>'
        f'<div class="jj-article-body" role="region" aria-label="原文全文" tabindex="0">'
        f"{bodies}</div></section>"
    )


def status_html(phase: str) -> str:
    """The banner over the chat: index building, failed, or nothing once ready."""
    if phase == "ready":
        return ""
    if phase == "failed":
        return (
            '<div class="jj-status jj-status-failed" role="alert">索引没能建立，暂时无法回答。'
            "请联系网站管理员（原因记在服务器日志里）。</div>"
        )
    return (
        '<div class="jj-status" role="status"><span class="jj-spinner" aria-hidden="true"></span>'
        "正在建立索引…首次启动需要十几秒，完成后就能提问（现在提的问题也会在完成后自动回答）。</div>"
    )
