"""The citizens' chat in the browser: `python ui.py` serves it on JJQA_UI_HOST:JJQA_UI_PORT."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Gradio takes seconds to import: `--help` and setting errors need none of it
    import gradio as gr

    from bot.chat_ui.warmup import Warmup


def create_app(bot, warmup: Warmup | None = None) -> gr.Blocks:
    """The chat page over a Bot, in the words of the deployer's profile. Warming starts now
    unless a Warmup is passed in; the example questions are checked once it is warm."""
    import gradio as gr

    from bot.chat_ui import page, render
    from bot.chat_ui.article import LiveArticles
    from bot.chat_ui.chat import Chat
    from bot.chat_ui.feedback import FeedbackLog
    from bot.chat_ui.suggest import Suggestions
    from bot.chat_ui.warmup import Warmup

    settings = bot.settings
    text = page.PageText.from_profile(settings.profile())
    live = LiveArticles(settings)
    articles = live.get()
    if warmup is None:
        warmup = Warmup(bot).start()
    suggestions = Suggestions(bot, text.examples).start(warmup)
    feedback = FeedbackLog(settings.feedback_path)
    chat = Chat(bot, live, feedback, warmup, suggestions, name=text.name, examples=text.examples)

    with gr.Blocks(title=text.title, analytics_enabled=False) as app:
        app.page_text = text  # read by serve() for the page's first HTML
        app.suggestions = suggestions
        turns = gr.State([])
        saved = gr.BrowserState([], storage_key="jjqa-conversation")
        gr.HTML(
            render.header_html(text.name, text.description, articles),
            js_on_load=None,
            apply_default_css=False,
        )
        banner = gr.HTML(render.status_html("building"), js_on_load=None, elem_id="jj-banner")
        with gr.Row(equal_height=False, elem_id="jj-main"):
            with gr.Column(scale=3, min_width=320, elem_id="jj-chat-col"):
                log = gr.HTML(
                    chat.html([], ready=False),
                    js_on_load=page.asset("chat.js"),
                    apply_default_css=False,
                    elem_id="jj-chat",
                )
                with gr.Row(elem_id="jj-input-row"):
                    question = gr.Textbox(
                        label="你的问题",
                        placeholder="问一个关于文章的问题…",
                        show_label=False,
                        container=False,
                        lines=1,
                        max_lines=4,
                        max_length=settings.max_question_chars,
                        scale=5,
                        min_width=0,
                        elem_id="jj-question",
                    )
                    send = gr.Button(
                        "发送", variant="primary", scale=0, min_width=76, elem_id="jj-send"
                    )
                gr.HTML(
                    render.note_html(settings.max_question_chars),
                    js_on_load=None,
                    apply_default_css=False,
                    elem_id="jj-note-box",
                )
            with gr.Column(scale=2, min_width=300, elem_id="jj-article-col"):
                panel = gr.HTML(
                    render.article_html(articles),
                    js_on_load=page.asset("article.js"),
                    apply_default_css=False,
                    elem_id="jj-article",
                )
        timer = gr.Timer(1.0)

        outputs = [log, turns, question, send, saved]
        ask = {
            "outputs": outputs,
            "show_progress": "hidden",
            "concurrency_limit": 16,
            "concurrency_id": "ask",
        }
        asking = [
            question.submit(chat.ask, [question, turns], **ask),
            send.click(chat.ask, [question, turns], **ask),
            log.ask_next(chat.ask_next, [turns], **ask),
        ]
        quick = {"show_progress": "hidden", "queue": False}
        log.new_chat(chat.reset, None, outputs, cancels=asking, **quick)
        log.feedback(chat.rate, [turns], [log, turns, saved], **quick)
        app.load(chat.restore, [saved, turns], [log, turns], **quick)
        app.load(chat.status, None, [banner, timer], **quick)
        # A page opened after documents changed shows them as the live build has them.
        app.load(lambda: render.article_html(live.get()), None, [panel], **quick)
        timer.tick(chat.status, None, [banner, timer], **quick)
    return app


def serve(app: gr.Blocks, host: str, port: int, **kwargs):
    """Launch the app with the page's theme, styles and first HTML (language, title,
    description, loading note); kwargs go on to Blocks.launch()."""
    from starlette.middleware import Middleware

    from bot.chat_ui import page
    from bot.chat_ui.shell import PageShell

    text = app.page_text
    shell = Middleware(
        PageShell,
        lang="zh-CN",
        title=text.title,
        description=text.meta_description,
        loading=f"正在打开{text.name}…",
    )
    return app.launch(
        server_name=host,
        server_port=port,
        app_kwargs={"middleware": [shell]},
        **page.launch_options(),
        **kwargs,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python ui.py",
        description="Serve the chat in the browser. The index is built on first start "
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
    print(f"{bot.profile.name}: http://{host}:{port}", flush=True)
    warmup.start()
    app.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
