"""The loader repairs extraction artefacts and keeps every passage mapped to the file."""

from index.load import find_documents, load_document, source_name


def _doc(path):
    return load_document(path, "docs/jiangjin.txt")


def test_broken_paragraphs_are_joined(tmp_path):
    from tests.conftest import ARTICLE

    texts = [p.text for p in _doc(ARTICLE).passages]
    assert any("营商环境持续改善，五年新设市场主体5万余户" in t for t in texts)
    assert any("对标“具有全国影响力的科技创新中心”" in t for t in texts)
    assert any("这些要求赋予了江津‘十四五’发展的新使命" in t for t in texts)
    assert not any(
        t.endswith("持续改") or t == "善，五年新设市场主体5万余户，总量突破12万户。" for t in texts
    )


def test_headings_become_sections_and_captions_stay_apart():
    from tests.conftest import ARTICLE

    passages = _doc(ARTICLE).passages
    by_text = {p.text: p for p in passages}
    assert by_text["乘风破浪开新局"].kind == "title"
    assert by_text["江津 加快建设主城都市区同城化发展先行区"].kind == "subtitle"
    forest = next(p for p in passages if "森林覆盖率" in p.text)
    assert forest.section == "坚持新发展理念 GDP迈上千亿台阶"
    caption = by_text["江津加快基础设施建设，城乡面貌发生翻天覆地变化 摄/林晓光"]
    assert caption.kind == "caption"
    assert by_text["图片除署名外由江津区委宣传部提供"].kind == "caption"
    assert by_text["唐楸 陈元媛"].kind == "byline"
    assert by_text["蓬勃发展的江津"].kind == "caption"


def test_every_passage_maps_back_to_the_file(article_text):
    from tests.conftest import ARTICLE

    for p in _doc(ARTICLE).passages:
        start, end = p.span(0, len(p.text))
        assert "".join(article_text[start:end].split()) == "".join(p.text.split())


def test_markdown_headings_and_new_files_are_found(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# 标题\n\n## 小节\n\n第一句。第二句！\n", encoding="utf-8")
    (docs / "skip.png").write_bytes(b"\x89PNG")
    found = find_documents(docs)
    assert [p.name for p in found] == ["a.md"]
    doc = load_document(found[0], source_name(docs, found[0]))
    assert doc.source == "docs/a.md"
    assert doc.title == "标题"
    assert [p.section for p in doc.passages][-1] == "小节"
