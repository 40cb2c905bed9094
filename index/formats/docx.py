"""Word (DOCX) files, read with python-docx: headings by style or outline level, paragraphs and
table cells in order, captions by style, author, title and date from the document properties.

A DOCX is a ZIP: before anything is unpacked, the sizes its entries declare are added up and a
file that would unpack to more than the limit is refused (a zip bomb). zipfile never inflates
an entry past its declared size, so the declared sizes bound what reading it can cost."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from bot.errors import DocumentError
from index.formats import MAX_UNPACKED_BYTES
from index.formats.blocks import Block, Extracted, one_line, size_text

MAX_ENTRIES = 5000
_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_CAPTION = {"caption", "题注"}
_TITLE = {"title": 1, "标题": 1, "subtitle": 2, "副标题": 2}
# Authors a template writes by itself: not someone the document names.
_TEMPLATE_AUTHORS = {"python-docx", "un-named", "administrator", "user"}


def check_unpacked(data: bytes, name: str, limit: int = MAX_UNPACKED_BYTES) -> None:
    """Raise DocumentError when the ZIP's entries would unpack to more than `limit` bytes."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            entries = z.infolist()
    except zipfile.BadZipFile as e:
        raise DocumentError(f"{name}：DOCX 文件损坏（{e}）") from e
    if len(entries) > MAX_ENTRIES:
        raise DocumentError(f"{name}：DOCX 里有 {len(entries)} 个部件，超过上限 {MAX_ENTRIES}")
    total = sum(e.file_size for e in entries)
    if total > limit:
        raise DocumentError(
            f"{name}：DOCX 解压后有 {size_text(total)}，超过上限 {size_text(limit)}"
            "（可能是压缩炸弹），没有读取"
        )


def read_docx(data: bytes, name: str, max_unpacked: int = MAX_UNPACKED_BYTES) -> Extracted:
    """The document's blocks and properties; raises DocumentError for a damaged, oversized or
    empty file."""
    check_unpacked(data, name, max_unpacked)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(BytesIO(data))
    except Exception as e:  # python-docx raises several kinds for a damaged package
        raise DocumentError(f"{name}：DOCX 文件打不开（{type(e).__name__}: {e}）") from e
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks += _table(item)
            continue
        text = one_line(item.text)
        if text:
            blocks.append(_paragraph(item, text))
    if not any(b.kind != "heading" for b in blocks):
        raise DocumentError(f"{name}：DOCX 里没有文字")
    props = document.core_properties
    author = (props.author or "").strip()
    date = props.created or props.modified
    return Extracted(
        format="docx",
        blocks=blocks,
        title=(props.title or "").strip() or None,
        author=author if author and author.lower() not in _TEMPLATE_AUTHORS else None,
        date=date.date().isoformat() if date else None,
    )


def _paragraph(paragraph, text: str) -> Block:
    style = paragraph.style
    names = []
    while style is not None:
        names.append((style.name or "").strip().lower())
        style = style.base_style
    for style_name in names:
        if style_name in _TITLE:
            return Block("heading", text, _TITLE[style_name])
        heading = _HEADING.match(style_name)
        if heading:
            return Block("heading", text, min(6, int(heading.group(1)) + 2))
        if style_name in _CAPTION:
            return Block("caption", text)
    outline = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    if outline and outline[0].isdigit() and int(outline[0]) < 9:
        return Block("heading", text, min(6, int(outline[0]) + 3))
    return Block("text", text)


def _table(table) -> list[Block]:
    """One block per row: its cells' text joined with a space (merged cells once)."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = one_line(cell.text)
            if text:
                cells.append(text)
        if cells:
            rows.append(Block("text", " ".join(cells)))
    return rows
