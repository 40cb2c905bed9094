"""A damaged build (its chroma.sqlite3 deleted, truncated or overwritten) is reported by
`index status`, repaired by a plain `index build`, and never served: the bot answers from the
previous whole build, or says in one line what is wrong and how to repair it."""

import json
import shutil
import subprocess
import sys

import pytest

from bot.chain import Bot
from bot.settings import Settings
from index.build import build_index
from index.integrity import SQLITE_FILE
from index.store import IndexStore
from tests.conftest import ARTICLE, ROOT
from tests.web import served

KINDS = ["deleted", "truncated", "corrupted"]
OLD_QUESTION = "江津的森林覆盖率提高到了多少？"  # in the article: every build answers it
NEW_QUESTION = "江津的柑橘有名吗？"  # only in the note the newer build adds
NOTE = "# 特产\n\n江津的柑橘非常有名，远销各地。\n"


def damage(db, kind: str) -> None:
    """Do to an SQLite file what a full disk, a crash or a bad block does."""
    if kind == "deleted":
        db.unlink()
    elif kind == "truncated":
        with open(db, "r+b") as f:
            f.truncate(db.stat().st_size // 2)
    else:  # overwrite part of every page after the first, as a bad block or a stray write would
        data = bytearray(db.read_bytes())
        for page in range(4096, len(data), 4096):
            data[page + 16 : page + 400] = b"\xa5" * 384
        db.write_bytes(data)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """A data directory holding two whole builds: the article, then the article and a note."""
    root = tmp_path_factory.mktemp("two-builds")
    docs = root / "docs"
    docs.mkdir()
    shutil.copy(ARTICLE, docs / "jiangjin.txt")
    settings = Settings(data_dir=root / "data", docs_dir=docs)
    first = build_index(settings, progress=False).manifest
    (docs / "note.md").write_text(NOTE, encoding="utf-8")
    second = build_index(settings, progress=False).manifest
    return root, first, second


@pytest.fixture
def damaged(request, two_builds, tmp_path):
    """A copy of the two builds with the live one's chroma.sqlite3 damaged in one way."""
    root, first, second = two_builds
    shutil.copytree(root / "docs", tmp_path / "docs")
    shutil.copytree(root / "data", tmp_path / "data")
    damage(tmp_path / "data" / "index" / second.build / SQLITE_FILE, request.param)
    settings = Settings(data_dir=tmp_path / "data", docs_dir=tmp_path / "docs")
    return settings, first, second


def run(module: str, *args: str, settings: Settings, timeout: int = 180):
    environ = served.env(data_dir=str(settings.data_dir), docs_dir=str(settings.docs_dir))
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("damaged", KINDS, indirect=True)
def test_status_reports_the_damage_in_one_line(damaged):
    settings, _, second = damaged
    done = run("index", "status", settings=settings)
    assert done.returncode == 1, done.stdout + done.stderr
    damage_lines = [line for line in done.stdout.splitlines() if line.startswith("已损坏")]
    assert len(damage_lines) == 1 and SQLITE_FILE in damage_lines[0]
    assert "python -m index build" in damage_lines[0]
    assert "Traceback" not in done.stderr

    as_json = run("index", "status", "--json", settings=settings)
    integrity = json.loads(as_json.stdout)["integrity"]
    assert as_json.returncode == 1 and not integrity["ok"] and integrity["build"] == second.build


def test_status_says_a_whole_build_is_whole(two_builds):
    root, _, second = two_builds
    done = run("index", "status", settings=Settings(data_dir=root / "data", docs_dir=root / "docs"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"完好（SQLite 检查通过，向量数与清单一致，{second.chunks} 个）" in done.stdout


@pytest.mark.parametrize("damaged", KINDS, indirect=True)
def test_a_plain_build_repairs_it_reusing_the_previous_builds_vectors(damaged):
    settings, first, second = damaged
    report = build_index(settings, progress=False)
    assert report.changed and report.manifest.build not in (first.build, second.build)
    assert report.reused == first.chunks  # the article's vectors came from the whole build
    assert report.embedded == second.chunks - first.chunks  # only the note was embedded again
    store = IndexStore(settings)
    assert store.current().build == report.manifest.build
    assert store.check(store.current()).ok
    kept = sorted(p.name for p in (settings.data_dir / "index").iterdir() if p.is_dir())
    assert kept == sorted([first.build, report.manifest.build])  # the damaged one is gone
    assert not build_index(settings, progress=False).changed  # and now it is up to date

    answer = Bot(settings).ask(NEW_QUESTION)
    assert not answer.refused and answer.citations[0].source == "docs/note.md"


@pytest.mark.parametrize("damaged", KINDS, indirect=True)
def test_the_bot_answers_from_the_previous_whole_build(damaged):
    settings, first, second = damaged
    bot = Bot(settings)
    answer = bot.ask(OLD_QUESTION)
    assert "51.8%" in answer.answer and not answer.refused
    assert bot.ask(NEW_QUESTION).refused  # the note is only in the damaged build
    status = bot.status()  # what /healthz shows
    assert status["build"] == first.build and status["damaged_build"] == second.build


@pytest.mark.parametrize("damaged", KINDS, indirect=True)
def test_without_a_previous_build_bot_ask_says_what_is_wrong_in_one_line(damaged):
    settings, first, second = damaged
    shutil.rmtree(settings.data_dir / "index" / first.build)
    done = run("bot", "ask", OLD_QUESTION, settings=settings)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert second.build in done.stderr and "python -m index build" in done.stderr


@pytest.mark.parametrize("damaged", ["corrupted"], indirect=True)
def test_without_a_previous_build_serve_refuses_to_start_in_one_line(damaged):
    settings, first, second = damaged
    shutil.rmtree(settings.data_dir / "index" / first.build)
    port = str(served.free_port())
    done = run("bot", "serve", "--host", "127.0.0.1", "--port", port, settings=settings)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "damaged" in done.stderr and "python -m index build" in done.stderr


def test_a_running_bot_keeps_its_build_when_the_next_one_is_damaged(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ARTICLE, docs / "jiangjin.txt")
    settings = Settings(data_dir=tmp_path / "data", docs_dir=docs)
    bot = Bot(settings).warm()
    (docs / "note.md").write_text(NOTE, encoding="utf-8")
    newer = build_index(settings, progress=False).manifest
    damage(settings.data_dir / "index" / newer.build / SQLITE_FILE, "corrupted")
    monkeypatch.setattr("bot.chain.RELOAD_CHECK_S", 0.0)
    assert "51.8%" in bot.ask(OLD_QUESTION).answer
    assert bot.ask(NEW_QUESTION).refused  # still the first build

    build_index(settings, progress=False)  # the repair is picked up without a restart
    answer = bot.ask(NEW_QUESTION)
    assert not answer.refused and answer.citations[0].source == "docs/note.md"


@pytest.mark.parametrize("damaged", ["truncated"], indirect=True)
def test_without_a_previous_build_the_chat_warm_up_fails_with_the_repair_in_its_detail(damaged):
    from bot.chat_ui.warmup import Warmup

    settings, first, second = damaged
    shutil.rmtree(settings.data_dir / "index" / first.build)
    warmup = Warmup(Bot(settings)).start()
    assert warmup.wait(300)
    assert warmup.phase == "failed"  # the page says it cannot answer; the log says why
    assert "python -m index build" in warmup.detail and second.build in warmup.detail
