"""Web pages: the main text and the metadata a page states, by trafilatura (navigation,
sidebars, footers and share buttons dropped), with headings kept at their level.

trafilatura leaves figures out of the main text; their captions are facts people ask about
(who took a photo, who supplied the pictures), so each <figcaption> becomes a paragraph before
extraction and is marked a caption afterwards."""

from __future__ import annotations

import re

from bot.errors import DocumentError
from index.formats.blocks import Block, Extracted, one_line

_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([a-zA-Z0-9_-]+)", re.IGNORECASE)


def read_html(data: bytes, name: str) -> Extracted:
    """The page's blocks and metadata; raises DocumentError when it has no main text."""
    import trafilatura
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(_decode(data, name))
    captions = set()
    for caption in tree.iter("figcaption"):
        text = one_line(caption.text_content())
        figure = caption.getparent()
        if figure is not None and figure.tag == "figure" and text:
            paragraph = lxml_html.Element("p")
            paragraph.text = text
            figure.addprevious(paragraph)
            captions.add(text)
    result = trafilatura.bare_extraction(
        tree,
        output_format="python",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_formatting=False,
        with_metadata=True,
        favor_recall=True,
        deduplicate=False,
    )
    body = getattr(result, "body", None) if result is not None else None
    if body is None:
        raise DocumentError(f"{name}：网页里找不到正文")
    blocks = []
    for element in body.iter("head", "p", "item", "cell", "quote"):
        if any(a.tag in ("p", "item", "cell", "quote") for a in element.iterancestors()):
            continue
        text = one_line("".join(element.itertext()))
        if not text:
            continue
        if element.tag == "head":
            level = _level(element.get("rend"))
            blocks.append(Block("heading", text, level))
        else:
            blocks.append(Block("caption" if text in captions else "text", text))
    if not any(b.kind != "heading" for b in blocks):
        raise DocumentError(f"{name}：网页里找不到正文")
    author = one_line(result.author or "") or None
    if author and author.replace(" ", "") not in "".join(b.text for b in blocks).replace(" ", ""):
        blocks.append(Block("byline", author))
    return Extracted(
        format="html", blocks=blocks, title=result.title, author=author, date=result.date
    )


def _level(rend: str | None) -> int:
    """h1-h6 from trafilatura's rend attribute; a heading without one is a section (3)."""
    if rend and len(rend) == 2 and rend[0] == "h" and rend[1].isdigit():
        return int(rend[1])
    return 3


def _decode(data: bytes, name: str) -> str:
    """The page as text: UTF-8 (with or without a BOM), else the charset its <meta> declares."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:4096])
    charset = declared.group(1).decode("ascii").lower() if declared else "gb18030"
    if charset in ("gb2312", "gbk"):
        charset = "gb18030"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError) as e:
        raise DocumentError(f"{name}：网页的编码（{charset}）读不出来") from e
