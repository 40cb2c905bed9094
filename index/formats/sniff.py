"""Which format a file is, told by its content, never by its name: PDF and DOCX by their
signatures, HTML by its markup, text by being UTF-8 without binary bytes."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from bot.errors import DocumentError

TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = {"text": TEXT_SUFFIXES, "html": (".html", ".htm"), "pdf": (".pdf",), "docx": (".docx",)}
NAMES = {"text": "纯文本", "html": "网页（HTML）", "pdf": "PDF", "docx": "Word（DOCX）"}
HEAD_BYTES = 8192
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_MAGIC = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc/.xls），请另存为 .docx"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"{\\rtf", "RTF 文件，请另存为 .docx"),
]


def sniff(path: Path) -> str:
    """ "text", "html", "pdf" or "docx" for the file's content; raises DocumentError saying what
    it is otherwise. Text is only taken from files named .txt or .md (anything else written in
    UTF-8, such as docs/profile.toml, is not a document)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if not head.strip():
        raise DocumentError(f"{path.name}：文件是空的")
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and not _HTML.search(head)):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise DocumentError(f"{path.name}：这是{what}，不是支持的文档格式")
    text = _decoded(head)
    if text is None:
        raise DocumentError(f"{path.name}：不是文本、网页、PDF 或 Word（DOCX）文件")
    if _HTML.search(head.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]):
        return "html"
    if path.suffix.lower() in TEXT_SUFFIXES:
        return "text"
    raise DocumentError(
        f"{path.name}：纯文本文档要以 .txt 或 .md 结尾（支持 .txt、.md、网页、PDF 和 DOCX）"
    )


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError) as e:
        raise DocumentError(f"{path.name}：ZIP 结构损坏，打不开（{e}）") from e
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
        raise DocumentError(f"{path.name}：Excel 和 PowerPoint 文件不支持，只支持 Word（DOCX）")
    raise DocumentError(f"{path.name}：这是 ZIP 压缩包，不是 Word（DOCX）文件")


def _decoded(head: bytes) -> str | None:
    """The head as UTF-8 text, or None when it holds binary bytes (a cut last character is
    allowed: the head may end inside one)."""
    if b"\x00" in head:
        return None
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        return text if controls <= len(text) // 100 else None
    return None


def suffix_for(fmt: str, name: str) -> str:
    """`name` with a suffix that fits the format: kept when it does, added when it does not."""
    if Path(name).suffix.lower() in SUFFIXES[fmt]:
        return name
    return name + SUFFIXES[fmt][0]
