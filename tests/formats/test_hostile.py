"""Files an operator should not take: each is refused with one clear line naming it, and the
documents folder and the live index are left exactly as they were."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from index_cli import index_cli

from bot.errors import DocumentError, IndexBuildError
from bot.settings import Settings
from index.documents import MAX_NAME_BYTES, Documents, safe_name
from index.formats.guard import Extractor

ROOT = Path(__file__).resolve().parents[2]


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file under the folder, hidden ones included, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notice.txt").write_text("# 通知\n\n图书馆周一闭馆。\n", encoding="utf-8")
    return folder


def documents(docs: Path, **limits) -> Documents:
    return Documents(Settings(docs_dir=docs, data_dir=docs.parent / "data", **limits))


HOSTILE = {
    "bomb": "压缩炸弹",
    "encrypted": "已加密",
    "scan": "没有文字层",
    "png": "PNG 图片",
    "empty_page": "找不到正文",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_and_nothing_changes(name, hostile_file, docs):
    path = hostile_file(name)
    before = folder_state(docs)
    with pytest.raises(DocumentError) as refused:
        documents(docs).add_files([path])
    message = str(refused.value)
    assert HOSTILE[name] in message and path.name in message and "\n" not in message
    assert folder_state(docs) == before


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(article_file, docs):
    before = folder_state(docs)
    with pytest.raises(DocumentError, match="jiangjin.pdf：文件超过上限 100 KB，没有保存"):
        documents(docs, max_upload_bytes=100 * 1024).add_files([article_file("pdf")])
    assert folder_state(docs) == before


def test_one_refused_file_refuses_the_others_sent_with_it(article_file, hostile_file, docs):
    before = folder_state(docs)
    with pytest.raises(DocumentError, match="bomb.docx"):
        documents(docs).add_files([article_file("docx"), hostile_file("bomb")])
    assert folder_state(docs) == before


def test_a_parse_that_runs_too_long_is_stopped_and_the_next_file_is_read(article_file):
    with Extractor(timeout_s=0.05) as hurried:
        with pytest.raises(DocumentError, match="解析超过 0.05 秒"):
            hurried.read(article_file("pdf"), "pdf")
        hurried.timeout_s = 60
        assert hurried.read(article_file("docx"), "docx").blocks


def test_the_type_is_told_by_content_not_by_name(article_file, docs, tmp_path):
    disguised = tmp_path / "report.txt"
    disguised.write_bytes(article_file("pdf").read_bytes())
    assert documents(docs).add_files([disguised]) == ["report.txt.pdf"]
    listed = {i.name: i.format for i in documents(docs).list()}
    assert listed == {"notice.txt": "text", "report.txt.pdf": "pdf"}


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/abs/path/报告.pdf", "报告.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("a\x00b<c>|d.txt", "a_b_c_d.txt"),
    ],
)
def test_names_are_made_safe(raw, safe):
    assert safe_name(raw) == safe


def test_a_long_name_is_cut_to_255_bytes_keeping_its_suffix():
    name = safe_name("江津" * 200 + ".docx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(".docx")
    assert name.startswith("江津江津")


@pytest.mark.parametrize("raw", ["", "..", "/", "...", "\x00\x01"])
def test_a_name_with_nothing_left_is_refused(raw):
    with pytest.raises(DocumentError, match="不能用"):
        safe_name(raw)


def test_an_upload_named_to_escape_the_folder_lands_inside_it(article_file, docs, tmp_path):
    stream = io.BytesIO(article_file("docx").read_bytes())
    name = documents(docs).add_stream(stream, "../../../escaped.docx")
    assert name == "escaped.docx" and (docs / name).is_file()
    assert not (tmp_path / "escaped.docx").exists() and not Path("/escaped.docx").exists()


def test_a_name_taken_is_refused_unless_replacing(article_file, docs):
    docs_api = documents(docs)
    docs_api.add_files([article_file("docx")])
    before = folder_state(docs)
    with pytest.raises(DocumentError, match="已有同名文档"):
        docs_api.add_files([article_file("docx")])
    assert folder_state(docs) == before
    assert docs_api.add_files([article_file("docx")], replace=True) == ["jiangjin.docx"]


def test_removing_checks_every_name_first_and_keeps_the_last_document(docs):
    docs_api = documents(docs)
    before = folder_state(docs)
    with pytest.raises(DocumentError, match="没有名为 'missing.pdf'"):
        docs_api.remove(["notice.txt", "missing.pdf"])
    with pytest.raises(DocumentError, match="至少要有一篇"):
        docs_api.remove(["notice.txt"])
    with pytest.raises(DocumentError, match="没有名为"):
        docs_api.remove(["../docs/notice.txt"])
    assert folder_state(docs) == before


def test_a_hostile_file_put_in_the_folder_by_hand_stops_the_build_not_the_index(
    hostile_file, docs, model_cache
):
    from index.build import build_index
    from index.store import IndexStore

    settings = Settings(docs_dir=docs, data_dir=docs.parent / "data", model_cache=model_cache)
    live = build_index(settings, progress=False).manifest.build
    os.link(hostile_file("encrypted"), docs / "locked.pdf")
    with pytest.raises(IndexBuildError) as failed:
        build_index(settings, progress=False)
    assert "docs/locked.pdf" in str(failed.value) and "已加密" in str(failed.value)
    assert IndexStore(settings).current().build == live


def test_the_cli_refuses_in_one_line_and_changes_nothing(hostile_file, article_file, docs):
    before = folder_state(docs)
    done = index_cli(
        "add", "--no-build", str(article_file("html")), str(hostile_file("bomb")), docs=docs
    )
    assert done.returncode == 1
    assert done.stderr.startswith("错误：bomb.docx：") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert folder_state(docs) == before
