"""Reply texts: compact sources, XML-safe text and splitting at sentence ends within 2048 bytes."""

from __future__ import annotations

from bot.settings import PROJECT_ROOT
from bot.values import Answer, Citation
from bot.web.replies import MAX_REPLY_BYTES, MORE_HINT, compact, split_reply, xml_safe

ARTICLE = (PROJECT_ROOT / "docs" / "jiangjin.txt").read_text(encoding="utf-8").strip()


def test_split_reply_cuts_the_article_at_sentence_ends_within_the_byte_limit():
    parts = split_reply(ARTICLE)
    assert len(parts) >= 4
    assert all(len(p.encode("utf-8")) <= MAX_REPLY_BYTES for p in parts)
    assert all(p.endswith(MORE_HINT) for p in parts[:-1]) and not parts[-1].endswith(MORE_HINT)
    assert all(p.removesuffix(MORE_HINT)[-1] in "。！？；\n" for p in parts[:-1])
    assert "".join(p.removesuffix(MORE_HINT) for p in parts) == ARTICLE


def test_split_reply_keeps_short_text_whole_and_cuts_an_endless_sentence_between_characters():
    assert split_reply("江津2019年GDP为1036.7亿元。") == ["江津2019年GDP为1036.7亿元。"]
    endless = "江津" * 2000 + "😀" * 10
    parts = split_reply(endless)
    assert all(len(p.encode("utf-8")) <= MAX_REPLY_BYTES for p in parts)
    assert "".join(p.removesuffix(MORE_HINT) for p in parts) == endless


def test_compact_names_each_section_once_and_refusals_carry_no_sources():
    cite = [
        Citation(1, "jiangjin.txt", "坚持新发展理念 GDP迈上千亿台阶", "2019年为1036.7亿元", 0, 1),
        Citation(2, "jiangjin.txt", "坚持新发展理念 GDP迈上千亿台阶", "2015年GDP为682.7亿元", 2, 3),
        Citation(3, "jiangjin.txt", None, "蓬勃发展的江津", 4, 5),
    ]
    text = compact(Answer("2019年为1036.7亿元[1]，2015年为682.7亿元[2]。[3]", citations=cite))
    assert text.endswith("\n来源：[1][2] 坚持新发展理念 GDP迈上千亿台阶；[3] jiangjin.txt")
    refused = compact(Answer("抱歉，文章没有提到这一点。", refused=True, citations=cite))
    assert refused == "抱歉，文章没有提到这一点。"


def test_xml_safe_removes_what_breaks_cdata_and_xml():
    assert xml_safe("a]]>b\x00c\x1bd\ufffee\tf\ng") == "a]] >bcde\tf\ng"
    assert "]]>" not in xml_safe("]]]>>")
