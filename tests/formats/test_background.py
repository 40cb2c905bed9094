"""The background build the admin API starts: progress a person can follow, a failure recorded
with its reason while the live build stays, and changes made during a build taken by the next."""

from __future__ import annotations

import os
from pathlib import Path

from bot.settings import Settings
from index.background import Rebuilder
from index.build import build_index
from index.store import IndexStore

NOTICE = "# 图书馆通知\n\n区图书馆每周一闭馆，其余日子九点开馆。\n"


def settings_for(tmp_path: Path, model_cache: Path) -> Settings:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notice.txt").write_text(NOTICE, encoding="utf-8")
    return Settings(docs_dir=docs, data_dir=tmp_path / "data", model_cache=model_cache)


def test_a_failed_background_build_says_why_and_the_live_build_stays(
    tmp_path, model_cache, hostile_file
):
    settings = settings_for(tmp_path, model_cache)
    live = build_index(settings, progress=False).manifest.build
    os.link(hostile_file("encrypted"), settings.docs_dir / "locked.pdf")
    rebuilder = Rebuilder(settings)
    assert rebuilder.request("by hand")["reason"] == "by hand"
    assert rebuilder.wait(300)
    progress = rebuilder.progress()
    assert progress["state"] == "failed" and progress["finished_at"]
    assert "docs/locked.pdf" in progress["error"] and "已加密" in progress["error"]
    assert IndexStore(settings).current().build == live


def test_changes_during_a_build_are_taken_by_the_next(tmp_path, model_cache, article_file):
    settings = settings_for(tmp_path, model_cache)
    rebuilder = Rebuilder(settings)
    rebuilder.request("first")
    os.link(article_file("docx"), settings.docs_dir / "jiangjin.docx")
    rebuilder.request("second")
    assert rebuilder.wait(300)
    progress = rebuilder.progress()
    assert progress["state"] == "done", progress
    assert progress["documents"] == {"done": 2, "total": 2}
    manifest = IndexStore(settings).current()
    assert set(manifest.documents) == {"docs/notice.txt", "docs/jiangjin.docx"}
    assert manifest.build == progress["build"]


def test_the_chat_follows_documents_added_while_it_runs(tmp_path, model_cache, article_file):
    from bot.chat_ui.article import LiveArticles
    from bot.chat_ui.render import source_card

    settings = settings_for(tmp_path, model_cache)
    build_index(settings, progress=False)
    live = LiveArticles(settings, check_s=0)
    assert [a.source for a in live.get()] == ["docs/notice.txt"]
    os.link(article_file("pdf"), settings.docs_dir / "jiangjin.pdf")
    rebuilder = Rebuilder(settings)
    rebuilder.request("added")
    assert rebuilder.wait(300) and rebuilder.progress()["state"] == "done"
    articles = live.get()
    assert [a.source for a in articles] == ["docs/jiangjin.pdf", "docs/notice.txt"]
    from bot.chain import Bot

    answer = Bot(settings).ask("江津2019年GDP是多少？")
    card = source_card(0, answer.citations[0], articles)
    assert 'data-source="docs/jiangjin.pdf"' in card  # the card opens the new document
