"""Sentence chunks: split where Chinese sentences end, with exact offsets into the file."""

from index.chunk import chunk_document, split_sentences
from index.load import load_document


def test_split_keeps_closing_quotes_and_merges_fragments():
    text = "他说：“要加快发展江津经济。”大家都表示赞同吗？好。这是第三句，比较长一些；最后一句也要足够长"
    parts = [text[i:j] for i, j in split_sentences(text)]
    assert parts == [
        "他说：“要加快发展江津经济。”",
        "大家都表示赞同吗？好。",  # 「好。」 is too short to stand alone
        "这是第三句，比较长一些；",
        "最后一句也要足够长",
    ]


def test_every_chunk_and_every_substring_maps_to_its_span(article_text):
    from tests.conftest import ARTICLE

    chunks = chunk_document(load_document(ARTICLE, "docs/jiangjin.txt"))
    assert len(chunks) > 40
    for c in chunks:
        assert "".join(article_text[c.start : c.end].split()) == "".join(c.text.split())
        for i in range(0, len(c.text), 5):
            for j in range(i + 1, len(c.text) + 1, 7):
                s, e = c.span(i, j)
                assert "".join(article_text[s:e].split()) == "".join(c.text[i:j].split())


def test_repaired_sentence_spans_the_blank_lines(article_text):
    from tests.conftest import ARTICLE

    chunks = chunk_document(load_document(ARTICLE, "docs/jiangjin.txt"))
    chunk = next(c for c in chunks if "营商环境持续改善" in c.text)
    assert "\n\n" in article_text[chunk.start : chunk.end]
    assert chunk.gaps
