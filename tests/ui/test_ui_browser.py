"""The chat in a real headless Chromium against the real app, bot and index."""

from __future__ import annotations

import json
import re

from chat_browser import WARM_TIMEOUT_S, screenshot, serve_chat

ARTICLE_TEXT_JS = "() => document.querySelector('#jj-article article').textContent"
HIT_JS = """() => {
  const marks = [...document.querySelectorAll('#jj-article mark.jj-hit')];
  if (!marks.length) return null;
  const body = marks[0].closest('.jj-article-body').getBoundingClientRect();
  const r = marks[0].getBoundingClientRect();
  const inside = r.top >= body.top - 1 && r.bottom <= body.bottom + 1
    && r.top >= 0 && r.bottom <= window.innerHeight;
  return {text: marks.map(m => m.textContent).join(''), inside};
}"""
IN_VIEW_JS = """(sel) => {
  const r = document.querySelector(sel).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
}"""
RECORD_STREAM_JS = """() => {
  window.jjLengths = [];
  new MutationObserver(() => {
    const t = document.querySelector('.jj-turn:last-child .jj-a .jj-text');
    const n = t ? t.textContent.length : 0;
    if (n && window.jjLengths[window.jjLengths.length - 1] !== n) window.jjLengths.push(n);
  }).observe(document.querySelector('#jj-chat'), {subtree: true, childList: true, characterData: true});
}"""


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def open_chat(page, url: str):
    page.goto(url)
    page.wait_for_selector(".jj-log")
    page.wait_for_selector(".jj-status", state="hidden", timeout=WARM_TIMEOUT_S * 1000)


def wait_done(page, turns: int):
    page.wait_for_function(
        """(n) => { const l = document.querySelector('.jj-log');
           return l && l.dataset.busy === '0' && Number(l.dataset.turns) === n; }""",
        arg=turns,
    )
    return page.locator(".jj-turn").nth(turns - 1)


def ask(page, question: str):
    """Type a question, press Enter, wait for the whole answer; the last turn's locator."""
    turns = page.locator(".jj-turn").count()
    box = page.locator("#jj-question textarea")
    box.fill(question)
    box.press("Enter")
    return wait_done(page, turns + 1)


def test_first_start_says_the_index_is_building_then_answers(desktop, shared_data_dir, tmp_path):
    from bot.chain import Bot
    from bot.chat_ui.warmup import Warmup
    from bot.settings import Settings

    page = desktop
    bot = Bot(Settings(data_dir=shared_data_dir, feedback_path=tmp_path / "fb.jsonl"))
    warmup = Warmup(bot)  # not started: the page must show the building state
    with serve_chat(bot, warmup) as served:
        page.goto(served.url)
        banner = page.locator(".jj-status")
        banner.wait_for()
        assert "正在建立索引" in banner.inner_text()
        box = page.locator("#jj-question textarea")
        box.fill("江津2019年GDP是多少？")
        box.press("Enter")
        pending = page.locator(".jj-turn .jj-pending")
        pending.wait_for()
        assert "正在建立索引" in pending.inner_text()

        warmup.start()
        turn = wait_done(page, 1)
        assert "1036.7亿元" in turn.locator(".jj-a .jj-text").inner_text()
        banner.wait_for(state="hidden")


def test_answer_streams_with_its_source_highlighted_in_the_article(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    page.evaluate(RECORD_STREAM_JS)
    turn = ask(page, "江津2019年GDP是多少？")

    lengths = page.evaluate("window.jjLengths")
    assert len(lengths) >= 3 and lengths == sorted(lengths), lengths  # it grew step by step
    answer = turn.locator(".jj-a .jj-text")
    assert "1036.7亿元" in answer.inner_text()

    card = turn.locator(".jj-card").first
    quote = card.locator("mark").inner_text()
    assert "1036.7亿元" in quote
    assert _compact(quote) in _compact(page.evaluate(ARTICLE_TEXT_JS))
    assert quote in card.locator(".jj-ctx").inner_text()  # inside its sentence, not alone
    assert len(card.locator(".jj-ctx").inner_text()) > len(quote)

    ref = answer.locator("a.jj-ref").first
    assert ref.get_attribute("href") == "#" + card.get_attribute("id")

    card.click()
    page.wait_for_function(f"() => {{ const h = ({HIT_JS})(); return h && h.inside; }}")
    assert _compact(page.evaluate(HIT_JS)["text"]) == _compact(quote)
    screenshot(page, "desktop")


def test_follow_up_uses_the_conversation_and_new_chat_forgets_it(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    first = ask(page, "江津2019年GDP是多少？").locator(".jj-a .jj-text").inner_text()
    turn = ask(page, "那2015年呢？")
    assert "682.7亿元" in turn.locator(".jj-a .jj-text").inner_text()
    question, history = chat.bot.calls[-1]
    assert question == "那2015年呢？"
    assert [q for q, _ in history] == ["江津2019年GDP是多少？"]
    assert _compact(history[0][1]) == _compact(first)

    page.locator(".jj-new").click()
    page.wait_for_selector(".jj-welcome")
    assert page.locator(".jj-turn").count() == 0
    ask(page, "江津有多少家高新技术企业？")
    assert chat.bot.calls[-1] == ("江津有多少家高新技术企业？", [])


def test_refusal_looks_different_and_says_what_the_article_covers(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    answered = ask(page, "江津2019年GDP是多少？").locator(".jj-a .jj-bubble")
    refused = ask(page, "江津2022年GDP是多少？").locator(".jj-a .jj-bubble")

    assert "文章中没有提到" in refused.inner_text()
    assert "文章里没有这方面的内容" in refused.locator(".jj-tag").inner_text()
    style = "(e) => getComputedStyle(e).backgroundColor + ' ' + getComputedStyle(e).borderStyle"
    assert refused.evaluate(style) != answered.evaluate(style)

    topics = refused.locator(".jj-covers a")
    assert topics.count() >= 3
    target = topics.nth(2).get_attribute("data-goto")
    topics.nth(2).click()
    page.wait_for_function(
        """(id) => { const h = document.getElementById(id).getBoundingClientRect();
           const b = document.querySelector('.jj-article-body').getBoundingClientRect();
           return Math.abs(h.top - b.top) < 40; }""",
        arg=target,
    )


def test_feedback_with_a_comment_lands_in_the_jsonl_file(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    turn = ask(page, "江津有多少家高新技术企业？")
    answer_text = turn.locator(".jj-a .jj-text").inner_text()

    turn.locator(".jj-rate[data-rate='down']").click()
    turn.locator(".jj-fb-comment").fill("想知道今年的数字")
    turn.locator(".jj-fb-send").click()
    page.wait_for_selector(".jj-fb-done")
    assert "已收到你的反馈" in turn.locator(".jj-fb-done").inner_text()

    lines = chat.feedback_path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[-1])
    assert entry["question"] == "江津有多少家高新技术企业？"
    assert entry["rating"] == "down"
    assert entry["comment"] == "想知道今年的数字"
    assert _compact(entry["answer"]) == _compact(answer_text)
    assert entry["citations"] and entry["citations"][0]["quote"]
    assert entry["time"]


def test_typed_markup_shows_as_text_and_never_runs(chat, desktop):
    page = desktop
    payload = (
        '<img src=x onerror="window.jjPwned=1"><script>window.jjPwned=2</script>'
        "[点我](javascript:window.jjPwned=3) ${window.jjPwned=4} {{constructor}} GDP"
    )
    open_chat(page, chat.url)
    turn = ask(page, payload)

    assert turn.locator(".jj-q .jj-bubble").inner_text() == payload
    assert page.evaluate("window.jjPwned") is None
    assert page.locator("#jj-chat img, #jj-chat script").count() == 0
    assert page.locator("#jj-chat a[href^='javascript']").count() == 0
    assert turn.locator(".jj-a .jj-bubble").inner_text().strip()


def test_phone_width_example_question_and_source_jump(chat, phone):
    page = phone
    open_chat(page, chat.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    examples = page.locator("#jj-examples button")
    assert 6 <= examples.count() <= 8
    asked = examples.first.inner_text()
    examples.first.click()
    turn = wait_done(page, 1)
    assert turn.locator(".jj-q").inner_text() == asked
    assert turn.locator(".jj-card").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "phone")

    card = turn.locator(".jj-card").first
    card.click()
    page.wait_for_function(f"() => {{ const h = ({HIT_JS})(); return h && h.inside; }}")
    back = page.locator(".jj-back")
    assert back.is_visible()
    back.click()
    page.wait_for_function(IN_VIEW_JS, arg=f"#{card.get_attribute('id')}")
