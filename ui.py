"""The citizens' chat in the browser: `python ui.py` serves it on JJQA_UI_HOST:JJQA_UI_PORT."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Gradio takes seconds to import: `--help` and setting errors need none of it
    import gradio as gr

    from bot.chat_ui.chat import Chat
    from bot.chat_ui.warmup import Warmup


def create_app(bot, warmup: Warmup | None = None) -> gr.Blocks:
    """The chat page over a Bot. Warming starts now unless a Warmup is passed in."""
    import gradio as gr

    from bot.chat_ui import page, render
    from bot.chat_ui.article import load_articles
    from bot.chat_ui.chat import Chat
    from bot.chat_ui.feedback import FeedbackLog
    from bot.chat_ui.warmup import Warmup

    settings = bot.settings
    articles = load_articles(settings.docs_dir)
    if warmup is None:
        warmup = Warmup(bot).start()
    chat = Chat(bot, articles, FeedbackLog(settings.feedback_path), warmup)

    with gr.Blocks(title=page.TITLE, analytics_enabled=False) as app:
        turns = gr.State([])
        gr.HTML(render.header_html(articles), js_on_load=None, apply_default_css=False)
        banner = gr.HTML(render.status_html("building"), js_on_load=None, elem_id="jj-banner")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                log = gr.HTML(
                    chat.html([]),
                    js_on_load=page.asset("chat.js"),
                    apply_default_css=False,
                    elem_id="jj-chat",
                )
                with gr.Row(elem_id="jj-input-row"):
                    question = gr.Textbox(
                        placeholder="问一个关于文章的问题…",
                        show_label=False,
                        container=False,
                        lines=1,
                        max_length=settings.max_question_chars,
                        scale=5,
                        min_width=0,
                        elem_id="jj-question",
                    )
                    send = gr.Button(
                        "发送", variant="primary", scale=0, min_width=76, elem_id="jj-send"
                    )
                gr.Markdown("试试这样问：", elem_classes="jj-examples-label")
                with gr.Row(elem_id="jj-examples"):
                    example_buttons = [
                        gr.Button(text, size="sm", variant="secondary", min_width=0)
                        for text in page.examples()
                    ]
            with gr.Column(scale=2, min_width=300):
                gr.HTML(
                    render.article_html(articles),
                    js_on_load=page.asset("article.js"),
                    apply_default_css=False,
                    elem_id="jj-article",
                )
        timer = gr.Timer(1.0)

        ask = {
            "outputs": [log, turns, question, send],
            "show_progress": "hidden",
            "concurrency_limit": 8,
        }
        asking = [
            question.submit(chat.ask, [question, turns], **ask),
            send.click(chat.ask, [question, turns], **ask),
        ]
        for button, text in zip(example_buttons, page.examples()):
            asking.append(button.click(_asker(chat, text), [turns], **ask))
        log.new_chat(
            chat.reset, None, [log, turns, question, send], cancels=asking, show_progress="hidden"
        )
        log.feedback(chat.rate, [turns], [log, turns], show_progress="hidden")
        app.load(chat.status, None, [banner, timer], show_progress="hidden")
        timer.tick(chat.status, None, [banner, timer], show_progress="hidden")
    return app


def _asker(chat: Chat, text: str):
    """An event handler that asks one fixed example question."""

    def ask_example(turns):
        yield from chat.ask(text, turns)

    return ask_example


def serve(app: gr.Blocks, host: str, port: int, **kwargs):
    """Launch the app with the page's theme and styles; kwargs go on to Blocks.launch()."""
    from bot.chat_ui import page

    return app.launch(server_name=host, server_port=port, **page.launch_options(), **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python ui.py",
        description="Serve the 江津问答 chat in the browser. The index is built on first start "
        "(the page says so while it builds). Settings come from JJQA_* variables.",
    )
    parser.add_argument("--host", help="address to listen on (JJQA_UI_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (JJQA_UI_PORT, default 7860)")
    args = parser.parse_args(argv)

    from bot import Bot
    from bot.chat_ui.warmup import Warmup
    from bot.errors import JJQAError

    try:
        overrides = {k: v for k, v in (("ui_host", args.host), ("ui_port", args.port)) if v}
        bot = Bot.from_env(**overrides)
        warmup = Warmup(bot)
        app = create_app(bot, warmup=warmup)
    except JJQAError as e:
        print(f"ui.py: {e}", file=sys.stderr)
        return 2
    host, port = bot.settings.ui_host, bot.settings.ui_port
    # Serve first, then warm: the page is up at once and says the index is being built.
    try:
        serve(app, host, port, quiet=True, prevent_thread_lock=True)
    except OSError as e:
        print(
            f"ui.py: cannot serve on {host}:{port} ({e.strerror or 'port in use'}); "
            "choose another with --port or JJQA_UI_PORT",
            file=sys.stderr,
        )
        return 2
    print(f"江津问答: http://{host}:{port}", flush=True)
    warmup.start()
    app.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
