"""The readers of web pages, PDFs and Word files give the article as the text loader gives the
.txt: the same titles, sections, paragraphs and captions, without the site around it, with the
PDF's pages and the metadata each file states."""

from __future__ import annotations

from pathlib import Path

import pytest
from make_files import AUTHOR, FOOTER, NAV, PUBLISHED, SIDEBAR

from index.load import load_document

ROOT = Path(__file__).resolve().parents[2]


def squeeze(text: str) -> str:
    return "".join(text.split())


def passages(doc) -> list[tuple[str, str, str | None]]:
    return [(p.kind, squeeze(p.text), p.section) for p in doc.passages]


@pytest.fixture(scope="module")
def txt():
    return load_document(ROOT / "docs" / "jiangjin.txt", "docs/jiangjin.txt")


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_each_format_reads_as_the_text_does(fmt, article_file, txt):
    doc = load_document(article_file(fmt), f"docs/jiangjin.{fmt}")
    assert doc.format == fmt
    assert doc.title == txt.title
    got, base = passages(doc), passages(txt)
    # Every title, heading, paragraph and caption of the .txt, under the same section.
    assert sorted(p for p in got if p in base) == sorted(base)
    # In the same order, apart from where a page puts its byline.
    in_order = [p for p in got if p in base and p[0] != "byline"]
    assert in_order == [p for p in base if p[0] != "byline"]
    # Anything more is what the page itself states above the article (its date and source).
    extra = [p[1] for p in got if p not in base]
    assert all(PUBLISHED in text for text in extra), extra


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_the_site_around_the_article_is_left_out(fmt, article_file):
    text = squeeze(load_document(article_file(fmt), f"docs/x.{fmt}").text)
    for furniture in NAV[1:] + SIDEBAR + FOOTER + ["分享到"]:
        assert squeeze(furniture) not in text, furniture


def test_pdf_pages_hold_what_the_document_says_they_do(article_file):
    import pypdfium2 as pdfium

    doc = load_document(article_file("pdf"), "docs/jiangjin.pdf")
    pdf = pdfium.PdfDocument(article_file("pdf"))
    pages = [squeeze(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    assert len(doc.page_starts) == len(pages) >= 2
    assert doc.page_starts == sorted(doc.page_starts) and doc.page_starts[0] == 0
    for p in doc.passages:
        page = doc.page_at(p.start)
        assert squeeze(p.text)[:12] in pages[page - 1], (page, p.text)


def test_pdf_pages_of_a_passage_continue_across_the_break(article_file):
    """A paragraph the printer split over two pages is one passage again, kept on its first
    page, with the text between joined as the .txt has it."""
    doc = load_document(article_file("pdf"), "docs/jiangjin.pdf")
    texts = [p.text for p in doc.passages]
    assert len(texts) == len(set(texts))
    spanning = [
        p for p in doc.passages if doc.page_at(p.start) != doc.page_at(p.offset(len(p.text) - 1))
    ]
    assert spanning, "the article's paragraphs all fit their pages; the check proves nothing"


def test_an_untagged_pdf_is_read_from_its_layout(article_file, txt):
    """Without structure tags, headings come from font sizes and paragraphs from line spacing:
    every heading of the .txt is a heading and every paragraph is there, on the right page.
    (The site's navigation and sidebar stay: nothing in such a file says they are not text.)"""
    import pypdfium2 as pdfium

    doc = load_document(article_file("untagged.pdf"), "docs/jiangjin.pdf")
    headings = {squeeze(p.text) for p in doc.passages if p.kind in ("title", "subtitle", "heading")}
    for kind, text, _ in passages(txt):
        assert text in squeeze(doc.text), text
        if kind in ("title", "subtitle", "heading"):
            assert text in headings, text
    pdf = pdfium.PdfDocument(article_file("untagged.pdf"))
    pages = [squeeze(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    for p in doc.passages:
        assert squeeze(p.text)[:12] in pages[doc.page_at(p.start) - 1], p.text


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_metadata_the_file_states(fmt, article_file):
    doc = load_document(article_file(fmt), f"docs/jiangjin.{fmt}")
    assert doc.author == AUTHOR
    assert doc.date == PUBLISHED


def test_plain_text_is_read_as_before(txt):
    text = (ROOT / "docs" / "jiangjin.txt").read_text(encoding="utf-8")
    assert txt.text == text and txt.format == "text" and txt.page_starts == []
    for p in txt.passages:
        start, end = p.span(0, len(p.text))
        assert squeeze(text[start:end]) == squeeze(p.text)
