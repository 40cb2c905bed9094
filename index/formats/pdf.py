"""PDF files, read with pypdfium2 (PDFium): the text layer page by page, as paragraphs,
headings and captions, each with its page number.

A tagged PDF (what Chromium, Word and LibreOffice write) says what each piece of text is: its
structure tree gives headings with their level, paragraphs, captions and list items, and page
furniture (running headers, footers, page numbers) is marked as artifacts and left out. When
the document marks an article, only the article is kept, as a web page's navigation and
sidebars are left out of an HTML file. An untagged PDF is read from the layout: lines grouped
into paragraphs by their spacing and indents, headings by a font larger than the body's, and
lines that repeat at the top or bottom of most pages dropped as furniture."""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.errors import DocumentError
from index.formats.blocks import Block, Extracted, one_line

BLOCK_TYPES = {"P", "Caption", "LI", "Lbl", "LBody", "TD", "TH", "BlockQuote", "Note", "Figure"}
BLOCK_TYPES |= {f"H{i}" for i in range(1, 7)} | {"H", "Title"}
FURNITURE_BAND = 0.08  # share of the page height at the top and bottom where furniture sits
MIN_CHARS_PER_PAGE = 5
HEADING_RATIO = 1.1  # a short line this much larger than the body text is a heading (h3: 1.17)
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^[\-–—\s第页Pp.age]*\d+(\s*(/|of|共)\s*\d+)?[\s页\-–—]*$")


@dataclass
class _Line:
    text: str = ""
    left: float = 1e9
    right: float = -1e9
    top: float = -1e9
    bottom: float = 1e9
    baseline: float = 0.0
    sizes: list[float] = field(default_factory=list)
    keys: list = field(default_factory=list)

    @property
    def size(self) -> float:
        return sorted(self.sizes)[len(self.sizes) // 2] if self.sizes else 0.0


def read_pdf(data: bytes, name: str) -> Extracted:
    """The document's blocks (each with its 1-based page) and metadata; raises DocumentError
    for an encrypted, damaged or image-only PDF."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise DocumentError(
                f"{name}：PDF 已加密（需要密码才能打开），请先去掉密码再上传"
            ) from e
        raise DocumentError(f"{name}：PDF 文件损坏，打不开（{e}）") from e
    try:
        pages = [_page_lines(pdf, i) for i in range(len(pdf))]
        meta = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    chars = sum(len(line.text.strip()) for lines, _, _ in pages for line in lines)
    if chars < MIN_CHARS_PER_PAGE * max(1, len(pages)):
        raise DocumentError(
            f"{name}：PDF 没有文字层（可能是扫描件或图片），读不出文字；请先做文字识别（OCR）"
        )
    tagged = any(k is not None for lines, _, _ in pages for line in lines for k in line.keys)
    blocks = _tagged_blocks(pages) if tagged else _layout_blocks(pages)
    if not any(b.kind != "heading" for b in blocks):
        raise DocumentError(f"{name}：PDF 里找不到正文")
    return Extracted(
        format="pdf",
        blocks=blocks,
        title=meta.get("Title") or None,
        author=meta.get("Author") or None,
        date=_pdf_date(meta.get("CreationDate")),
        pages=len(pages),
    )


# -- reading a page --------------------------------------------------------------------------
def _page_lines(pdf, index: int):
    """The page's lines of text (artifacts left out) and its height, with each character's
    structure element when the page is tagged."""
    import pypdfium2.raw as raw

    page = pdf[index]
    textpage = page.get_textpage()
    height = page.get_height()
    owners = _structure(page)
    marks: dict[int, tuple[int, bool]] = {}
    lines, line = [], _Line()
    left, right = ctypes.c_double(), ctypes.c_double()
    bottom, top = ctypes.c_double(), ctypes.c_double()
    x, y = ctypes.c_double(), ctypes.c_double()
    for i in range(raw.FPDFText_CountChars(textpage.raw)):
        ch = chr(raw.FPDFText_GetUnicode(textpage.raw, i))
        if ch in "\r\n":
            if ch == "\n" and line.text.strip():
                lines.append(line)
                line = _Line()
            continue
        obj = raw.FPDFText_GetTextObject(textpage.raw, i)
        address = ctypes.cast(obj, ctypes.c_void_p).value if obj else None
        if address is not None and address not in marks:
            marks[address] = (raw.FPDFPageObj_GetMarkedContentID(obj), _is_artifact(obj))
        mcid, artifact = marks.get(address, (-1, False))
        if artifact:
            continue
        if ch.isspace() or address is None:
            line.text += " " if line.text and not line.text.endswith(" ") else ""
            continue
        raw.FPDFText_GetCharBox(textpage.raw, i, left, right, bottom, top)
        raw.FPDFText_GetCharOrigin(textpage.raw, i, x, y)
        line.text += ch
        line.left, line.right = min(line.left, left.value), max(line.right, right.value)
        line.top, line.bottom = max(line.top, top.value), min(line.bottom, bottom.value)
        line.baseline = y.value
        line.sizes.append(raw.FPDFText_GetFontSize(textpage.raw, i))
        line.keys.append(owners.get(mcid) if mcid >= 0 else None)
    if line.text.strip():
        lines.append(line)
    textpage.close()
    page.close()
    return lines, height, index + 1


def _is_artifact(obj) -> bool:
    import pypdfium2.raw as raw

    for k in range(raw.FPDFPageObj_CountMarks(obj)):
        mark = raw.FPDFPageObj_GetMark(obj, k)
        size = ctypes.c_ulong()
        raw.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(size))
        buf = (ctypes.c_ushort * max(1, size.value // 2))()
        raw.FPDFPageObjMark_GetName(mark, buf, size.value, ctypes.byref(size))
        if bytes(buf).decode("utf-16-le").rstrip("\x00") == "Artifact":
            return True
    return False


def _structure(page) -> dict[int, tuple[int, tuple[str, ...]]]:
    """Marked-content id -> (the block element that holds it, the element types from the root).
    An id belongs to the deepest element that lists it: PDFium also lists, under a container,
    ids that the container holds on other pages."""
    import pypdfium2.raw as raw

    tree = raw.FPDF_StructTree_GetForPage(page.raw)
    if not tree:
        return {}
    found: dict[int, tuple[int, int, tuple[str, ...]]] = {}

    def walk(element, path, block, depth):
        kind = _type(element)
        path = path + (kind,)
        if kind in BLOCK_TYPES:
            block = ctypes.cast(element, ctypes.c_void_p).value
        for k in range(max(0, raw.FPDF_StructElement_GetMarkedContentIdCount(element))):
            mcid = raw.FPDF_StructElement_GetMarkedContentIdAtIndex(element, k)
            if mcid >= 0 and (mcid not in found or found[mcid][0] < depth):
                found[mcid] = (depth, block or 0, path)
        for k in range(raw.FPDF_StructElement_CountChildren(element)):
            child = raw.FPDF_StructElement_GetChildAtIndex(element, k)
            if child and depth < 64:
                walk(child, path, block, depth + 1)

    try:
        for k in range(raw.FPDF_StructTree_CountChildren(tree)):
            walk(raw.FPDF_StructTree_GetChildAtIndex(tree, k), (), None, 0)
    finally:
        raw.FPDF_StructTree_Close(tree)
    return {mcid: (block, path) for mcid, (_, block, path) in found.items()}


def _type(element) -> str:
    import pypdfium2.raw as raw

    size = raw.FPDF_StructElement_GetType(element, None, 0)
    if size <= 0:
        return ""
    buf = ctypes.create_string_buffer(size)
    raw.FPDF_StructElement_GetType(element, buf, size)
    return buf.raw[:size].decode("utf-16-le", errors="replace").rstrip("\x00")


# -- tagged PDFs -----------------------------------------------------------------------------
def _tagged_blocks(pages) -> list[Block]:
    """One block per structure element, in reading order, typed by the element."""
    has_article = any(
        "Art" in key[1] for lines, _, _ in pages for line in lines for key in line.keys if key
    )
    blocks: list[Block] = []
    current = None
    for lines, _, number in pages:
        for line in lines:
            key = next((k for k in line.keys if k), None)
            if key is None or (has_article and "Art" not in key[1]):
                current = None
                continue
            element, path = key
            if current is not None and current[0] == (element, number) and blocks:
                blocks[-1].text = one_line(blocks[-1].text + "\n" + line.text)
                continue
            current = ((element, number), path)
            blocks.append(_typed(path, one_line(line.text), number))
    return [b for b in blocks if b.text]


def _typed(path: tuple[str, ...], text: str, page: int) -> Block:
    for kind in reversed(path):
        if len(kind) == 2 and kind[0] == "H" and kind[1].isdigit():
            return Block("heading", text, int(kind[1]), page)
        if kind in ("H", "Title"):
            return Block("heading", text, 3 if kind == "H" else 1, page)
        if kind in ("Caption", "Figure"):
            return Block("caption", text, 0, page)
    return Block("text", text, 0, page)


# -- untagged PDFs ---------------------------------------------------------------------------
def _layout_blocks(pages) -> list[Block]:
    """Paragraphs from line spacing and indents, headings from font size, furniture dropped."""
    furniture = _furniture(pages)
    body = _body_size(pages)
    pitch = _usual_pitch(pages)
    blocks: list[Block] = []
    for lines, height, number in pages:
        previous = None
        for line in lines:
            if _masked(line.text) in furniture and _in_band(line, height):
                continue
            if _PAGE_NUMBER.match(line.text.strip()) and _in_band(line, height):
                continue
            if previous is None or _starts_paragraph(previous, line, pitch, body):
                blocks.append(Block("text", one_line(line.text), 0, number))
                blocks[-1].level = round(line.size * 10)  # the size, until levels are known
            else:
                blocks[-1].text = one_line(blocks[-1].text + "\n" + line.text)
            previous = line
    sizes = sorted(
        {b.level for b in blocks if b.level >= body * 10 * HEADING_RATIO and len(b.text) <= 80}
    )
    ranks = {size: rank for rank, size in enumerate(reversed(sizes), 1)}
    for b in blocks:
        rank = ranks.get(b.level) if len(b.text) <= 80 else None
        b.kind, b.level = ("heading", min(6, rank)) if rank else ("text", 0)
    return blocks


def _starts_paragraph(previous: _Line, line: _Line, pitch: float, body: float) -> bool:
    size = line.size or body
    if abs(line.size - previous.size) > 0.1 * max(line.size, previous.size):
        return True
    gap = previous.baseline - line.baseline
    if gap < 0 or gap > 1.25 * pitch:
        return True
    return line.left - previous.left > 1.5 * size  # a first-line indent


def _usual_pitch(pages) -> float:
    """The most common distance between the baselines of consecutive lines of body text."""
    gaps = Counter()
    for lines, _, _ in pages:
        for a, b in zip(lines, lines[1:]):
            gap = a.baseline - b.baseline
            if 0 < gap < 4 * max(a.size, 1):
                gaps[round(gap, 0)] += len(b.text)
    return gaps.most_common(1)[0][0] if gaps else 14.0


def _body_size(pages) -> float:
    sizes = Counter()
    for lines, _, _ in pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _furniture(pages) -> set[str]:
    """Lines (digits masked) near the top or bottom that repeat on at least half the pages."""
    if len(pages) < 2:
        return set()
    seen = Counter()
    for lines, height, _ in pages:
        seen.update({_masked(line.text) for line in lines if _in_band(line, height)})
    return {text for text, n in seen.items() if n >= max(2, len(pages) / 2)}


def _in_band(line: _Line, height: float) -> bool:
    return line.top > height * (1 - FURNITURE_BAND) or line.bottom < height * FURNITURE_BAND


def _masked(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.split()))


def _pdf_date(value: str | None) -> str | None:
    """YYYY-MM-DD from a PDF date (D:20210119083000+08'00'), when it has one."""
    match = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value or "")
    return "-".join(match.groups()) if match else None
