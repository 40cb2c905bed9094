"""The page's first HTML: Gradio's own template, rewritten to speak Chinese and never be blank."""

from __future__ import annotations

import re
from pathlib import Path

import gradio

from bot.chat_ui.shell import rewrite, shell_parts

TEMPLATE = Path(gradio.__file__).parent / "templates" / "frontend" / "index.html"


def test_gradio_template_gets_the_language_title_description_and_loading_note():
    page = TEMPLATE.read_bytes()
    parts = shell_parts(
        "zh-CN", "某区问答 · <测试>", '只依据"某区"的文章回答。', "正在打开某区问答…"
    )
    out = rewrite(page, parts).decode("utf-8")
    html_tag = re.search(r"<html\b[^>]*>", out).group(0)
    assert re.findall(r'\slang="([^"]*)"', html_tag) == ["zh-CN"]
    head = out[out.index("<head") : out.index("</head>")]
    assert "<title>某区问答 · &lt;测试&gt;</title>" in head
    assert '<meta name="description" content="只依据&quot;某区&quot;的文章回答。">' in head
    body = out[out.index("<body") :]
    assert re.search(r'<body[^>]*>\s*<div id="jj-boot" role="status">', body)
    assert "正在打开某区问答…" in body and "<gradio-app" in body
    assert "body:has(.jj-header) #jj-boot{display:none}" in head


def test_a_page_without_a_language_gets_one():
    out = rewrite(b"<html><head></head><body></body></html>", shell_parts("zh-CN", "t", "d", "l"))
    assert out.startswith(b'<html lang="zh-CN"><head><title>t</title>')
