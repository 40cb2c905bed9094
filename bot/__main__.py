"""Command line: `python -m bot ask "问题"` answers with sources; `serve` runs the HTTP API."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from bot.errors import JJQAError
from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="根据 docs/ 里的文章回答问题，并给出引用的原句（名称和示例见 docs/profile.toml）。",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="回答一个问题（或用 --jsonl 从标准输入批量回答）")
    ask.add_argument("question", nargs="?", help="问题，例如：2019年GDP是多少？")
    ask.add_argument(
        "--history",
        metavar="JSON",
        help='之前的对话，JSON 列表，例如 [["2019年GDP是多少？", "1036.7亿元"]]',
    )
    mode = ask.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    mode.add_argument(
        "--jsonl",
        action="store_true",
        help='从标准输入逐行读取 {"question": ..., "history": [[q, a], ...]}，每行输出一个 JSON 回答',
    )
    serve = sub.add_parser("serve", help="启动 HTTP API 和微信接入（FastAPI + uvicorn）")
    serve.add_argument("--host", help="监听地址（默认 JJQA_API_HOST 或 127.0.0.1）")
    serve.add_argument("--port", type=int, help="端口（默认 JJQA_API_PORT 或 8000）")
    serve.add_argument(
        "--workers",
        type=int,
        help="工作进程数（默认 JJQA_API_WORKERS 或 1；开启微信/企业微信时只能是 1）",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            from bot.web.serving import serve as run_server

            run_server(settings, args.host, args.port, args.workers)
            return 0
        if args.jsonl:
            return _jsonl(settings)
        if args.question is None:
            parser.error("ask 需要一个问题，或使用 --jsonl")
        history = _parse_history(args.history, parser)
        from bot.chain import Bot

        answer = Bot(settings).ask(args.question, history=history)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            print(render(answer))
    except JJQAError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def render(answer) -> str:
    """The answer followed by its numbered sources, for a terminal."""
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines.append("来源：")
        for c in answer.citations:
            section = f"【{c.section}】" if c.section else ""
            lines.append(f"[{c.n}] {section}{c.quote}（{c.source}:{c.start}-{c.end}）")
    return "\n".join(lines)


def _parse_history(raw: str | None, parser: argparse.ArgumentParser):
    if not raw:
        return None
    try:
        history = json.loads(raw)
    except ValueError:
        parser.error('--history 必须是 JSON 列表，例如 [["问题", "回答"]]')
    if not isinstance(history, list):
        parser.error('--history 必须是 JSON 列表，例如 [["问题", "回答"]]')
    return history


def _jsonl(settings: Settings) -> int:
    """One JSON answer per input line, in order; a bad line gets an error object, not a crash."""
    from bot.chain import Bot

    bot = Bot(settings)
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            answer = bot.ask(item.get("question", ""), history=item.get("history")).to_dict()
        except ValueError as e:
            answer = {
                "error": f"line {number}: {e}",
                "answer": "",
                "refused": True,
                "citations": [],
            }
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
