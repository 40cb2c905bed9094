"""Measure the chat as a person sees it: send -> first answer text and send -> whole answer
(medians over --runs questions) at desktop and phone size, and how soon the page shows
something. Runs the real chat and bot in Debian's Chromium and prints a Markdown table.

    .venv/bin/python tests/ui/measure_latency.py --runs 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

QUESTIONS = [
    "江津2019年GDP是多少？",
    "江津有多少家高新技术企业？",
    "五年来江津的森林覆盖率有什么变化？",
    "到2025年江津规模以上工业总产值要达到多少？",
    "江津要建设哪几个商圈？",
    "江津2022年GDP是多少？",
]
# Arms a timer for the next question: window.jjTiming resolves with [ms from pressing Enter
# to the first answer text, ms to the finished answer].
ARM_JS = """() => { window.jjTiming = new Promise((resolve) => {
  const want = Number(document.querySelector('.jj-log').dataset.turns) + 1;
  const box = document.querySelector('#jj-question textarea');
  let first = null, t0 = null;
  box.addEventListener('keydown', () => { t0 = performance.now(); }, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    const log = document.querySelector('.jj-log');
    const turn = log.querySelectorAll('.jj-turn')[want - 1];
    const text = turn && turn.querySelector('.jj-a .jj-text');
    if (t0 === null) return;
    if (first === null && text && text.textContent.trim()) first = performance.now() - t0;
    if (Number(log.dataset.turns) === want && log.dataset.busy === '0' && first !== null) {
      observer.disconnect();
      resolve([first, performance.now() - t0]);
    }
  });
  observer.observe(document.querySelector('#jj-chat'),
                   {subtree: true, childList: true, characterData: true, attributes: true});
}); }"""
PAINT_JS = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return paint ? paint.startTime : null;
}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/ui/measure_latency.py",
        description="Time the chat in Chromium at 1280x800 and 375x812: send -> first answer "
        "text and send -> whole answer (medians), and page load -> first paint / chat shown.",
    )
    parser.add_argument("--runs", type=int, default=30, help="questions per width (default 30)")
    parser.add_argument(
        "--data-dir", type=Path, help="a JJQA data directory with an index (default: built anew)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    from chat_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, serve_chat
    from playwright.sync_api import sync_playwright

    from bot.chain import Bot
    from bot.settings import Settings
    from index.build import build_index

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        settings = Settings(data_dir=data_dir, feedback_path=Path(tmp) / "fb.jsonl")
        if args.data_dir is None:
            build_index(settings, progress=True)
        bot = Bot(settings)
        with serve_chat(bot) as served, sync_playwright() as p:
            served.warmup.wait(300)
            served.suggestions.wait(300)
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            rows = []
            for name, viewport in (("1280×800", DESKTOP), ("375×812", PHONE)):
                page = browser.new_page(viewport=viewport, locale="zh-CN")
                aborted = []
                page.on("requestfailed", lambda r, a=aborted: a.append(r.url))
                loads = []
                for _ in range(5):
                    page.goto(served.url)
                    page.wait_for_selector(".jj-header")
                    shown = page.evaluate("() => performance.now()")
                    loads.append((page.evaluate(PAINT_JS), shown))
                    page.evaluate("() => localStorage.clear()")
                page.goto(served.url)
                page.wait_for_selector(".jj-log[data-ready='1']")
                firsts, wholes = [], []
                for i in range(args.runs):
                    if i and i % 5 == 0:  # a fresh conversation now and then
                        page.locator(".jj-new").click()
                        page.wait_for_selector(".jj-welcome")
                    box = page.locator("#jj-question textarea")
                    box.fill(QUESTIONS[i % len(QUESTIONS)])
                    page.evaluate(ARM_JS)
                    box.press("Enter")
                    first, whole = page.evaluate("() => window.jjTiming")
                    firsts.append(first)
                    wholes.append(whole)
                page.evaluate("() => localStorage.clear()")
                streams = sum("/queue/data" in url for url in aborted)
                rows.append((name, firsts, wholes, loads, streams))
                page.close()
            browser.close()

    print(
        f"\n| width | send → first text (median of {args.runs}) | send → whole answer "
        "| first paint | chat shown | aborted queue/data streams |"
    )
    print("|---|---|---|---|---|---|")
    for name, firsts, wholes, loads, streams in rows:
        paint = statistics.median(p for p, _ in loads if p is not None)
        shown = statistics.median(s for _, s in loads)
        print(
            f"| {name} | {statistics.median(firsts):.0f} ms | {statistics.median(wholes):.0f} ms "
            f"| {paint:.0f} ms | {shown:.0f} ms | {streams} for {args.runs} answers |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
