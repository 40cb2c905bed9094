"""The article as a web page, a PDF printed by Chromium and a Word file, made once per test
session with those real tools (make_files.py), and the hostile files an operator may be sent."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from make_files import CHROMIUM, write_docx, write_html, write_pdf

BOMB_UNPACKED = 300 * 1024 * 1024  # more than the default 200 MB limit


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """One folder for the bundled model as converted, shared by this folder's indexes."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _shared_models(model_cache, monkeypatch):
    """Commands started by a test (python -m index) use the shared model folder too."""
    monkeypatch.setenv("JJQA_MODEL_CACHE", str(model_cache))


def need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (make browser installs Debian's chromium)")


@pytest.fixture(scope="session")
def made(tmp_path_factory) -> Path:
    """A folder with jiangjin.html, jiangjin.docx and, when Chromium is here, jiangjin.pdf."""
    folder = tmp_path_factory.mktemp("formats")
    page = write_html(folder)
    write_docx(folder)
    if CHROMIUM.exists():
        write_pdf(folder, page)
        write_pdf(folder, page, tagged=False)
    return folder


@pytest.fixture
def article_file(made):
    """Factory: the path of the article in one format ("html", "pdf", "untagged.pdf" or
    "docx")."""

    def path(fmt: str) -> Path:
        if fmt.endswith("pdf"):
            need_chromium()
        return made / ("jiangjin-untagged.pdf" if fmt == "untagged.pdf" else f"jiangjin.{fmt}")

    return path


@pytest.fixture(scope="session")
def hostile(made, tmp_path_factory) -> dict[str, Path]:
    """Files to refuse: a zip bomb posing as a DOCX, a password-protected PDF (the article
    encrypted with pypdf), a PDF of only a drawing (no text layer, as a scan), a PNG named .pdf
    and an HTML page with no text."""
    folder = tmp_path_factory.mktemp("hostile")
    files = {}

    bomb = folder / "bomb.docx"
    with (
        zipfile.ZipFile(made / "jiangjin.docx") as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z,
    ):
        for item in source.infolist():
            z.writestr(item, source.read(item.filename), zipfile.ZIP_DEFLATED)
        with z.open("word/media/padding.bin", "w", force_zip64=True) as pad:
            zeros = bytes(1 << 20)
            for _ in range(BOMB_UNPACKED >> 20):
                pad.write(zeros)
    files["bomb"] = bomb

    png = folder / "photo.pdf"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    files["png"] = png

    empty = folder / "empty.html"
    empty.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body><nav><a href='/'>首页</a>"
        "</nav></body></html>",
        encoding="utf-8",
    )
    files["empty_page"] = empty

    if CHROMIUM.exists():
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(made / "jiangjin.pdf"))
        writer.encrypt(user_password="secret", owner_password="owner-secret", algorithm="AES-256")
        locked = folder / "locked.pdf"
        with open(locked, "wb") as out:
            writer.write(out)
        files["encrypted"] = locked

        drawing = folder / "scan.html"
        drawing.write_text(
            '<!DOCTYPE html><html><body><svg width="600" height="800">'
            '<rect x="20" y="20" width="560" height="60" fill="#333"/>'
            '<rect x="20" y="120" width="560" height="600" fill="#999"/></svg></body></html>',
            encoding="utf-8",
        )
        files["scan"] = write_pdf(folder, drawing).rename(folder / "scan.pdf")
    return files


@pytest.fixture
def hostile_file(hostile):
    """Factory: one hostile file by name; the PDFs need Chromium."""

    def path(name: str) -> Path:
        if name not in hostile:
            need_chromium()
        return hostile[name]

    return path
