"""Document formats beside plain text: web pages, PDF and Word files, told apart by content.

`read(path)` reads one file in this process; `index.formats.guard.Extractor` does the same in a
separate process with a time and memory limit, which is how the build and uploads use it."""

from __future__ import annotations

from pathlib import Path

from bot.errors import DocumentError
from bot.settings import Settings
from index.formats.blocks import Block, Extracted, size_text
from index.formats.sniff import NAMES, SUFFIXES, sniff, suffix_for

FORMATS = ("text", "html", "pdf", "docx")
# The defaults of JJQA_MAX_UPLOAD_BYTES, JJQA_MAX_UNPACKED_BYTES and JJQA_PARSE_TIMEOUT_S.
MAX_FILE_BYTES = Settings.max_upload_bytes
MAX_UNPACKED_BYTES = Settings.max_unpacked_bytes
PARSE_TIMEOUT_S = Settings.parse_timeout_s

__all__ = [
    "FORMATS",
    "NAMES",
    "SUFFIXES",
    "Block",
    "DocumentError",
    "Extracted",
    "read",
    "size_text",
    "sniff",
    "suffix_for",
]


def read(
    path: Path,
    fmt: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> Extracted:
    """The blocks and metadata of an HTML, PDF or DOCX file (its format sniffed when not
    given); raises DocumentError with a message that names the file."""
    path = Path(path)
    fmt = fmt or sniff(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(
            f"{path.name}：文件有 {size_text(size)}，超过上限 {size_text(max_bytes)}"
        )
    data = path.read_bytes()
    if fmt == "html":
        from index.formats.html import read_html

        return read_html(data, path.name)
    if fmt == "pdf":
        from index.formats.pdf import read_pdf

        return read_pdf(data, path.name)
    if fmt == "docx":
        from index.formats.docx import read_docx

        return read_docx(data, path.name, max_unpacked)
    raise DocumentError(f"{path.name}：{fmt} 不是要抽取的格式（纯文本直接读取）")
