"""The evaluation set asked of the article in each format, each with its own real index: the web
page, the PDF and the Word file answer within one point of correctness of the .txt, and every
citation is verifiable against the text the build stored (with its page for the PDF).

tests/formats/compare.py runs the same comparison from the command line and prints a table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cite import verify_citation
from bot.settings import Settings
from eval.dataset import load_qa
from eval.metrics import summarize
from eval.runner import run
from index.texts import current_texts

ROOT = Path(__file__).resolve().parents[2]
QA = ROOT / "eval" / "qa.jsonl"
EVERY = 2  # every other question: the whole set is `python tests/formats/compare.py`
MAX_GAP = 0.01
PDF_QUESTIONS = [
    "江津2019年GDP是多少？",
    "江津综合保税区哪一年封关运行？",
    "白沙工业园有多少家企业？",
]


@pytest.fixture(scope="module")
def evaluated(made, model_cache, tmp_path_factory) -> dict[str, dict]:
    """For each format: the summary of its answers, and its settings and bot."""
    from make_files import CHROMIUM

    from bot.chain import Bot
    from index.build import build_index
    from index.embed import get_embedder

    work = tmp_path_factory.mktemp("answers")
    sample = work / "sample.jsonl"
    lines = [line for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample.write_text("\n".join(lines[::EVERY]) + "\n", encoding="utf-8")
    files = {"txt": ROOT / "docs" / "jiangjin.txt", "html": made / "jiangjin.html"}
    files["docx"] = made / "jiangjin.docx"
    if CHROMIUM.exists():
        files["pdf"] = made / "jiangjin.pdf"
    embedder = None
    out = {}
    for fmt, path in files.items():
        docs = work / fmt / "docs"
        docs.mkdir(parents=True)
        shutil.copy(path, docs / path.name)
        shutil.copy(ROOT / "docs" / "profile.toml", docs / "profile.toml")
        settings = Settings(docs_dir=docs, data_dir=work / fmt / "data", model_cache=model_cache)
        embedder = embedder or get_embedder(settings)
        build_index(settings, embedder, progress=False)
        bot = Bot(settings, embedder=embedder).warm()
        with pytest.MonkeyPatch.context() as env:  # eval reads the stored text of the build
            env.setenv("JJQA_DATA_DIR", str(settings.data_dir))
            env.setenv("JJQA_DOCS_DIR", str(docs))
            results = run(bot, load_qa(sample, f"docs/{path.name}"), progress=False)
        out[fmt] = {"summary": summarize(results), "settings": settings, "bot": bot}
    return out


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_each_format_answers_within_one_point_of_the_text(fmt, evaluated):
    if fmt not in evaluated:
        pytest.skip("/usr/bin/chromium is missing: no PDF to ask")
    base = evaluated["txt"]["summary"]
    got = evaluated[fmt]["summary"]
    assert got["items"] == base["items"] > 100
    assert abs(got["answer_correctness"] - base["answer_correctness"]) <= MAX_GAP, (got, base)
    assert got["answer_correctness"] >= 0.9
    assert got["citation_validity"] == 1.0


def test_pdf_citations_carry_the_page_that_holds_the_quote(evaluated, article_file):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(article_file("pdf"))
    pages = ["".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    bot, settings = evaluated["pdf"]["bot"], evaluated["pdf"]["settings"]
    texts = current_texts(settings)
    for question in PDF_QUESTIONS:
        answer = bot.ask(question)
        assert answer.citations, question
        for c in answer.citations:
            assert c.source == "docs/jiangjin.pdf" and c.page is not None
            assert verify_citation(c, settings.docs_dir, texts)
            assert "".join(c.quote.split())[:10] in pages[c.page - 1], (c.page, c.quote)


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_citations_of_other_formats_are_checked_against_the_stored_text(fmt, evaluated):
    bot, settings = evaluated[fmt]["bot"], evaluated[fmt]["settings"]
    texts = current_texts(settings)
    answer = bot.ask(PDF_QUESTIONS[0])
    assert answer.citations
    for c in answer.citations:
        assert c.page is None and verify_citation(c, settings.docs_dir, texts)
        # Never against the file itself: its bytes are markup or a ZIP, not the quoted text.
        assert not verify_citation(c, settings.docs_dir, None)


def test_the_article_panel_shows_the_extracted_text(evaluated):
    from bot.chat_ui.article import load_articles

    for fmt in ("html", "docx", "pdf"):
        if fmt not in evaluated:
            continue
        settings = evaluated[fmt]["settings"]
        texts = current_texts(settings)
        (article,) = load_articles(settings.docs_dir, texts)
        assert article.source.endswith(fmt) and article.text == texts.text(article.source)
        assert "江津区经济数据表明" in article.text
        # Before the first build (the chat starts while it runs), it reads the same text.
        (before,) = load_articles(settings.docs_dir, None)
        assert before.text == article.text


def test_a_source_card_says_the_file_and_page_and_opens_the_panel_at_the_quote(evaluated):
    from bot.chat_ui.article import load_articles
    from bot.chat_ui.render import article_html, plain_text, source_card

    if "pdf" not in evaluated:
        pytest.skip("/usr/bin/chromium is missing: no PDF to ask")
    bot, settings = evaluated["pdf"]["bot"], evaluated["pdf"]["settings"]
    articles = load_articles(settings.docs_dir, current_texts(settings))
    answer = bot.ask(PDF_QUESTIONS[0])
    c = answer.citations[0]
    card = source_card(0, c, articles)
    assert f'<span class="jj-where">jiangjin.pdf 第 {c.page} 页</span>' in card
    assert 'data-source="docs/jiangjin.pdf"' in card  # a click shows it in the panel
    assert f"（jiangjin.pdf 第 {c.page} 页）" in plain_text(answer)
    # The panel marks where each page begins, so the page a card names can be found.
    panel = article_html(articles)
    assert all(f'<div class="jj-page" aria-hidden="true">第 {n} 页</div>' in panel for n in (1, 2))
