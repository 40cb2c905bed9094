"""The chat in a real headless Chromium against the real app, bot and index."""

from __future__ import annotations

import json
import re

import pytest
from chat_browser import DESKTOP, PHONE, WARM_TIMEOUT_S, axe_violations, screenshot, serve_chat

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
# Which parts of a turn lie wholly inside the part of the chat box that is on screen.
SEEN_JS = """(i) => {
  const box = document.querySelector('.jj-log').getBoundingClientRect();
  const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, window.innerHeight);
  const turn = document.querySelectorAll('.jj-turn')[i];
  const parts = {question: '.jj-q .jj-bubble', answer: '.jj-a .jj-text', sources: '.jj-sources',
                 feedback: '.jj-feedback', whole: '.jj-a > .jj-bubble'};
  const seen = {};
  for (const [name, sel] of Object.entries(parts)) {
    const r = turn.querySelector(sel).getBoundingClientRect();
    seen[name] = r.height > 0 && r.top >= top - 1 && r.bottom <= bottom + 1;
  }
  return seen;
}"""
# Every control a person can reach: visible, not hidden, with its size.
CONTROLS_JS = """() => [...document.querySelectorAll(
    '#jj-chat a[href], #jj-chat button, #jj-chat [role=button], #jj-chat textarea, '
    + '#jj-question textarea, #jj-send, #jj-article a[href], #jj-article button, '
    + '#jj-article [tabindex="0"], #jj-chat [tabindex="0"]')]
  .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                 return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
                   && !e.closest('[hidden]'); })
  .map(e => { const r = e.getBoundingClientRect();
              return {key: e.dataset.key || e.id || e.getAttribute('href') || e.className
                        || e.tagName, text: (e.textContent || '').trim().slice(0, 16),
                      w: r.width, h: r.height}; })"""
FOCUSED_JS = """() => { const e = document.activeElement;
  return e && e !== document.body ? (e.dataset.key || e.id || e.getAttribute('href')
    || e.className || e.tagName) : null; }"""


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def open_chat(page, url: str):
    """Open the chat and wait until the index is ready and the kept conversation restored."""
    page.goto(url)
    page.wait_for_selector(".jj-log[data-ready='1']")
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
        page.wait_for_selector(".jj-log[data-ready='1']")
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


def test_the_first_html_speaks_chinese_names_the_bot_and_shows_a_loading_note(chat, desktop):
    from bot.settings import Settings

    profile = Settings().profile()
    raw = desktop.request.get(chat.url).text()
    assert re.search(r'<html[^>]*\slang="zh-CN"', raw)
    assert f'<meta name="description" content="{profile.description}">' in raw
    assert f"<title>{profile.name}" in raw
    assert 'id="jj-boot"' in raw and f"正在打开{profile.name}" in raw

    page = desktop
    open_chat(page, chat.url)
    assert page.locator("#jj-boot").is_hidden()  # gone once the chat is there
    assert page.title().startswith(profile.name)
    assert page.locator(".jj-header h1").inner_text() == profile.name
    assert page.locator(".jj-logo").inner_text() == profile.name[0]
    assert page.locator(".jj-header p").inner_text() == profile.description
    chips = page.locator(".jj-welcome .jj-ask")
    assert chips.all_inner_texts() == list(profile.examples)
    assert page.get_by_role("textbox", name="你的问题").count() == 1


def test_answer_streams_with_its_source_highlighted_in_the_article(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    page.evaluate(RECORD_STREAM_JS)
    turn = ask(page, "江津2019年GDP是多少？")

    lengths = page.evaluate("window.jjLengths")
    assert len(lengths) >= 3 and lengths == sorted(lengths), lengths  # it grew step by step
    answer = turn.locator(".jj-a .jj-text")
    assert "1036.7亿元" in answer.inner_text()
    live = page.locator("[aria-live='polite'].jj-live")
    assert "1036.7亿元" in live.inner_text()  # read out to screen readers once finished

    card = turn.locator(".jj-card").first
    quote = card.locator("mark").inner_text()
    assert "1036.7亿元" in quote
    assert _compact(quote) in _compact(page.evaluate(ARTICLE_TEXT_JS))
    context = card.locator(".jj-ctx").inner_text()
    assert quote in context  # inside its sentence (the whole sentence when it is the quote)
    assert _compact(context) in _compact(page.evaluate(ARTICLE_TEXT_JS))

    ref = answer.locator("a.jj-ref").first
    assert ref.get_attribute("href") == "#" + card.get_attribute("id")

    card.click()
    page.wait_for_function(f"() => {{ const h = ({HIT_JS})(); return h && h.inside; }}")
    assert _compact(page.evaluate(HIT_JS)["text"]) == _compact(quote)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_each_new_answer_is_in_view_with_its_sources_and_feedback(chat, browse, size):
    page = browse(DESKTOP if size == "desktop" else PHONE)
    open_chat(page, chat.url)
    ask(page, "江津2019年GDP是多少？")
    for n, question in ((2, "那2015年呢？"), (3, "江津有多少家高新技术企业？")):
        turn = ask(page, question)
        page.wait_for_timeout(200)  # any scrolling has happened by now
        assert turn.locator(".jj-card").count() >= 1
        seen = page.evaluate(SEEN_JS, n - 1)
        assert all(seen.values()), (size, question, seen)
    # The chat and the question box fit the screen together.
    box = page.locator("#jj-question textarea").bounding_box()
    log = page.locator(".jj-log").bounding_box()
    assert log["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    screenshot(page, size)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_accessibility_violations_before_and_after_an_answer(chat, browse, size, scheme):
    page = browse(DESKTOP if size == "desktop" else PHONE, color_scheme=scheme)
    open_chat(page, chat.url)
    assert axe_violations(page) == []
    turn = ask(page, "江津2019年GDP是多少？")
    turn.locator(".jj-rate[data-rate='up']").click()  # the comment form is open too
    assert axe_violations(page) == []
    ask(page, "江津2022年GDP是多少？")  # a refusal, with its own colours
    assert axe_violations(page) == []
    if scheme == "dark":
        screenshot(page, f"{size}-dark")


def test_dark_mode_darkens_the_chat_the_article_and_the_question_box(chat, browse):
    page = browse(DESKTOP, color_scheme="dark")
    open_chat(page, chat.url)
    ask(page, "江津2019年GDP是多少？")
    luminance = """(sel) => {
      const c = getComputedStyle(document.querySelector(sel)).backgroundColor.match(/[\\d.]+/g);
      const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]); }"""
    for sel in (".jj-log", ".jj-a .jj-bubble", ".jj-panel", "#jj-question textarea", "body"):
        assert page.evaluate(luminance, sel) < 0.05, sel


CONTRAST_JS = """([sel, pseudo]) => {
  const parse = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = parse(c).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const el = document.querySelector(sel);
  let back = el;
  while (parse(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
  const fg = lum(getComputedStyle(el, pseudo).color);
  const bg = lum(getComputedStyle(back).backgroundColor);
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_placeholder_and_subtitle_are_readable(chat, browse, scheme):
    page = browse(PHONE, color_scheme=scheme)  # axe-core does not check placeholders
    open_chat(page, chat.url)
    for sel, pseudo in (("#jj-question textarea", "::placeholder"), (".jj-header p", None)):
        assert page.evaluate(CONTRAST_JS, [sel, pseudo]) >= 4.5, (sel, scheme)


def test_phone_controls_are_big_enough_to_tap(chat, phone):
    page = phone
    open_chat(page, chat.url)
    turn = ask(page, "江津2019年GDP是多少？")
    turn.locator(".jj-rate[data-rate='down']").click()
    ask(page, "江津2022年GDP是多少？")  # refusals list topic links
    controls = page.evaluate(CONTROLS_JS)
    assert len(controls) > 20
    small = [c for c in controls if c["w"] < 43.5 or c["h"] < 43.5]
    assert small == [], small


def test_every_control_is_reached_and_used_with_the_keyboard(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    box = page.locator("#jj-question textarea")
    for _ in range(40):  # Tab from the top of the page to the question box
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('#jj-question') !== null"):
            break
    else:
        pytest.fail("Tab never reached the question box")
    page.keyboard.type("江津2019年GDP是多少？")
    page.keyboard.press("Enter")
    turn = wait_done(page, 1)

    reached = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        key = page.evaluate(FOCUSED_JS)
        if key:
            reached.add(key)
    controls = {c["key"] for c in page.evaluate(CONTROLS_JS)}
    assert controls - reached == set()

    turn.locator(".jj-rate[data-rate='up']").focus()
    page.keyboard.press("Space")  # opens the comment form and moves there
    page.keyboard.type("很清楚")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 提交反馈
    page.wait_for_selector(".jj-fb-done")
    assert "有用" in turn.locator(".jj-fb-done").inner_text()

    turn.locator(".jj-ask").first.focus()
    offered = turn.locator(".jj-ask").first.inner_text()
    page.keyboard.press("Enter")
    second = wait_done(page, 2)
    assert second.locator(".jj-q").inner_text() == offered
    assert box.is_enabled()


def test_offered_questions_are_answered_from_the_article(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    turn = ask(page, "江津2019年GDP是多少？")
    offered = turn.locator(".jj-next .jj-ask")
    assert 2 <= offered.count() <= 3
    questions = offered.all_inner_texts()
    assert "江津2019年GDP是多少？" not in questions
    offered.first.click()
    second = wait_done(page, 2)
    assert second.locator(".jj-q").inner_text() == questions[0]
    assert second.locator(".jj-a .jj-answer").count() == 1  # answered, not refused
    assert second.locator(".jj-card").count() >= 1
    assert page.locator(".jj-next").count() == 1  # only under the newest answer
    assert questions[0] not in second.locator(".jj-next").inner_text()


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(chat, browse):
    page = browse(DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    open_chat(page, chat.url)
    turn = ask(page, "江津有多少家高新技术企业？")
    answer = turn.locator(".jj-a .jj-text").inner_text()
    quote = turn.locator(".jj-card mark").first.inner_text()
    turn.locator(".jj-copy").click()
    page.wait_for_function("() => document.querySelector('.jj-copy').textContent === '已复制'")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith(answer.strip())
    assert "\n\n出处：\n[1] " in copied and _compact(quote) in _compact(copied)
    assert "<" not in copied


def test_the_conversation_survives_a_reload_and_new_chat_clears_it(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    ask(page, "江津2019年GDP是多少？")
    ask(page, "那2015年呢？")
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('.jj-turn').length === 2")
    texts = page.locator(".jj-turn .jj-a .jj-text").all_inner_texts()
    assert "1036.7亿元" in texts[0] and "682.7亿元" in texts[1]
    assert page.locator(".jj-turn").nth(1).locator(".jj-card").count() >= 1

    turn = ask(page, "那2019年呢？")  # the restored turns are the history of a follow-up
    question, history = chat.bot.calls[-1]
    assert question == "那2019年呢？"
    assert [q for q, _ in history] == ["江津2019年GDP是多少？", "那2015年呢？"]
    assert turn.locator(".jj-a .jj-text").inner_text()

    page.locator(".jj-new").click()
    page.wait_for_selector(".jj-welcome")
    page.wait_for_timeout(300)
    page.reload()
    page.wait_for_selector(".jj-welcome")
    page.wait_for_timeout(500)
    assert page.locator(".jj-turn").count() == 0


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


def test_greetings_are_friendly_replies_not_refusals(chat, desktop):
    assert chat.bot.bot.ask("你好").kind == "smalltalk"
    page = desktop
    open_chat(page, chat.url)
    turn = ask(page, "你好")
    assert turn.locator(".jj-refused, .jj-tag").count() == 0
    assert turn.locator(".jj-friendly .jj-text").inner_text().strip()
    assert turn.locator(".jj-next .jj-ask").count() >= 2


def test_feedback_with_a_comment_lands_in_the_jsonl_file(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    turn = ask(page, "江津有多少家高新技术企业？")
    answer_text = turn.locator(".jj-a .jj-text").inner_text()

    buttons = turn.locator(".jj-rate")
    assert buttons.all_inner_texts() == ["✓有用", "✗没用"]  # words, not emoji
    turn.locator(".jj-rate", has_text="没用").click()
    turn.locator(".jj-fb-comment").fill("想知道今年的数字")
    turn.locator(".jj-fb-send").click()
    page.wait_for_selector(".jj-fb-done")
    assert turn.locator(".jj-fb-done").inner_text() == "已收到你的反馈（没用），谢谢！"

    lines = chat.feedback_path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[-1])
    assert entry["question"] == "江津有多少家高新技术企业？"
    assert entry["rating"] == "down"
    assert entry["comment"] == "想知道今年的数字"
    assert _compact(entry["answer"]) == _compact(answer_text)
    assert entry["citations"] and entry["citations"][0]["quote"]
    assert entry["time"] and "restored" not in entry


def test_typed_markup_shows_as_text_and_never_runs(chat, desktop):
    page = desktop
    payload = (
        '<img src=x onerror="window.jjPwned=1"><script>window.jjPwned=2</script>'
        "[点我](javascript:window.jjPwned=3) ${window.jjPwned=4} {{constructor}} GDP"
    )
    open_chat(page, chat.url)
    turn = ask(page, payload)

    assert turn.locator(".jj-q .jj-qtext").inner_text() == payload
    assert page.evaluate("window.jjPwned") is None
    assert page.locator("#jj-chat img, #jj-chat script").count() == 0
    assert page.locator("#jj-chat a[href^='javascript']").count() == 0
    assert turn.locator(".jj-a .jj-bubble").inner_text().strip()


def test_the_question_box_counts_near_the_limit_and_keeps_the_send_button(chat, phone):
    page = phone
    open_chat(page, chat.url)
    box = page.locator("#jj-question textarea")
    send = page.locator("#jj-send")
    note = page.locator(".jj-note")
    before = send.bounding_box()

    box.fill("江津" * 300)
    assert note.inner_text() == ""  # far from the limit: no counter
    box.fill("江津" * 450 + "\n" * 5)
    assert note.inner_text().startswith("905/1000")
    box.press("End")
    page.keyboard.type("G" * 200)  # the box stops at the limit and says so
    assert box.input_value().__len__() == 1000
    assert "已到上限" in note.inner_text()
    after = send.bounding_box()
    assert (round(after["width"]), round(after["height"])) == (
        round(before["width"]),
        round(before["height"]),
    )
    assert box.bounding_box()["height"] < 160  # grows a few lines, then scrolls
    assert after["x"] + after["width"] <= 375

    turn = ask(page, box.input_value())
    bubble = turn.locator(".jj-q .jj-bubble")
    assert bubble.bounding_box()["height"] < 200
    more = bubble.locator(".jj-more")
    assert more.inner_text() == "展开" and more.get_attribute("aria-expanded") == "false"
    more.click()
    assert more.inner_text() == "收起" and more.get_attribute("aria-expanded") == "true"
    assert bubble.bounding_box()["height"] > 400


def test_spaces_are_not_sent_and_a_hint_says_why(chat, desktop):
    page = desktop
    open_chat(page, chat.url)
    calls = len(chat.bot.calls)
    box = page.locator("#jj-question textarea")
    box.fill("    ")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#jj-question textarea').value === ''")
    assert "请先输入问题" in page.locator(".jj-note").inner_text()
    assert page.locator(".jj-turn").count() == 0 and len(chat.bot.calls) == calls


def test_phone_width_example_question_and_source_jump(chat, phone):
    page = phone
    open_chat(page, chat.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    examples = page.locator(".jj-welcome .jj-ask")
    assert 6 <= examples.count() <= 8
    asked = examples.first.inner_text()
    examples.first.click()
    turn = wait_done(page, 1)
    assert turn.locator(".jj-q").inner_text() == asked
    assert turn.locator(".jj-card").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    card = turn.locator(".jj-card").first
    card.click()
    page.wait_for_function(f"() => {{ const h = ({HIT_JS})(); return h && h.inside; }}")
    back = page.locator(".jj-back")
    assert back.is_visible()
    back.click()
    page.wait_for_function(IN_VIEW_JS, arg=f"#{card.get_attribute('id')}")
