"""The admin API over a real socket, on the real bot and index: a PDF uploaded while questions
are being answered becomes answerable, with verifiable citations and their page, once its
background build is done; no question fails meanwhile; each hostile upload is refused with
nothing changed and no build; deleting the document takes it out of the answers again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from test_hostile import HOSTILE, folder_state

from bot.chain import Bot
from bot.settings import Settings
from bot.web import create_app
from bot.web.serving import uvicorn_config
from index.build import build_index

ADMIN = {"Authorization": "Bearer admin-secret"}
QUESTION = "江津2019年GDP是多少？"
NOTICE = "# 图书馆通知\n\n区图书馆每周一闭馆，其余日子九点开馆。\n"


@contextmanager
def running(app, settings: Settings) -> Iterator[str]:
    """Serve `app` with uvicorn as `python -m bot serve` does, on a free 127.0.0.1 port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, settings, "127.0.0.1", port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


class Asker:
    """Asks QUESTION over and over in a thread, recording every status and answer."""

    def __init__(self, url: str):
        self.url, self.results, self._stop = url, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(60)

    def _run(self):
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self._stop.is_set():
                r = client.post("/api/ask", json={"question": QUESTION})
                self.results.append((r.status_code, r.json()))
                time.sleep(0.2)


def cites(answer: dict, source: str) -> list[dict]:
    return [c for c in answer.get("citations", []) if c["source"] == source]


def wait_built(client: httpx.Client, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = client.get("/admin/progress", headers=ADMIN).json()
        if progress["state"] in ("done", "failed"):
            return progress
        time.sleep(0.2)
    raise AssertionError(f"the build did not finish: {progress}")


def ask_until(client: httpx.Client, check, timeout: float = 30) -> dict:
    """Ask until `check(answer)` holds (the bot switches builds within a couple of seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 200, r.text
        if check(r.json()) or time.monotonic() > deadline:
            return r.json()
        time.sleep(0.3)


@pytest.fixture
def served(tmp_path, model_cache) -> Iterator[tuple[str, Path]]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notice.txt").write_text(NOTICE, encoding="utf-8")
    settings = Settings(
        docs_dir=docs,
        data_dir=tmp_path / "data",
        model_cache=model_cache,
        admin_token="admin-secret",
        rate_limit_per_minute=0,
        max_upload_bytes=2 * 1024 * 1024,
    )
    build_index(settings, progress=False)
    bot = Bot(settings).warm()
    app = create_app(bot, settings)
    with running(app, settings) as url:
        yield url, docs
        app.state.rebuilder.wait(120)


def test_upload_answer_delete_answer_over_a_real_socket(served, article_file, hostile_file):
    url, docs = served
    pdf = article_file("pdf")
    with httpx.Client(base_url=url, timeout=120) as client, Asker(url) as asker:
        before = client.post("/api/ask", json={"question": QUESTION}).json()
        assert not cites(before, "docs/jiangjin.pdf")

        started = time.monotonic()
        r = client.post(
            "/admin/documents", files={"file": (pdf.name, pdf.read_bytes())}, headers=ADMIN
        )
        assert r.status_code == 201, r.text
        assert r.json()["added"] == ["jiangjin.pdf"]
        progress = wait_built(client)
        assert progress["state"] == "done", progress
        assert progress["documents"] == {"done": 2, "total": 2}
        answer = ask_until(client, lambda a: cites(a, "docs/jiangjin.pdf"))
        answerable_after = time.monotonic() - started
        cited = cites(answer, "docs/jiangjin.pdf")
        assert cited and "1036.7" in answer["answer"], answer

        stored = client.get("/admin/documents/jiangjin.pdf", headers=ADMIN).json()
        assert stored["format"] == "pdf" and stored["indexed"] and stored["pages"] >= 2
        for c in cited:
            assert "".join(stored["text"][c["start"] : c["end"]].split()) == "".join(
                c["quote"].split()
            )
            assert 1 <= c["page"] <= stored["pages"]

        listed = client.get("/admin/documents", headers=ADMIN).json()["documents"]
        assert {d["name"]: d["format"] for d in listed} == {
            "jiangjin.pdf": "pdf",
            "notice.txt": "text",
        }
        assert all(d["chunks"] and d["added"] and len(d["sha256"]) == 64 for d in listed)

        # Each hostile upload: refused in one line, nothing written, no build started.
        state, progress_before = (
            folder_state(docs),
            client.get("/admin/progress", headers=ADMIN).json(),
        )
        for name, says in HOSTILE.items():
            path = hostile_file(name)
            r = client.post(
                "/admin/documents", files={"file": (path.name, path.read_bytes())}, headers=ADMIN
            )
            assert r.status_code == 422, (name, r.text)
            assert says in r.json()["error"] and path.name in r.json()["error"]
        r = client.post(
            "/admin/documents", files={"file": ("big.pdf", bytes(3 * 1024 * 1024))}, headers=ADMIN
        )
        assert r.status_code == 413
        assert folder_state(docs) == state
        assert client.get("/admin/progress", headers=ADMIN).json() == progress_before

        r = client.delete("/admin/documents/jiangjin.pdf", headers=ADMIN)
        assert r.status_code == 200 and r.json()["removed"] == ["jiangjin.pdf"]
        assert wait_built(client)["state"] == "done"
        after = ask_until(client, lambda a: not cites(a, "docs/jiangjin.pdf"))
        assert not cites(after, "docs/jiangjin.pdf")
        assert client.delete("/admin/documents/jiangjin.pdf", headers=ADMIN).status_code == 404

    statuses = [status for status, _ in asker.results]
    assert len(statuses) >= 5 and set(statuses) == {200}, statuses
    print(f"uploaded PDF answerable after {answerable_after:.1f} s")


def test_an_upload_named_to_escape_lands_inside_and_no_token_no_admin(
    served, article_file, tmp_path
):
    url, docs = served
    docx = article_file("docx").read_bytes()
    with httpx.Client(base_url=url, timeout=120) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            assert client.get("/admin/documents", headers=headers).status_code == 401
            r = client.post("/admin/documents", files={"file": ("x.docx", docx)}, headers=headers)
            assert r.status_code == 401
        assert not (docs / "x.docx").exists()
        r = client.post(
            "/admin/documents", files={"file": ("../../escaped.docx", docx)}, headers=ADMIN
        )
        assert r.status_code == 201 and r.json()["added"] == ["escaped.docx"]
        assert (docs / "escaped.docx").is_file() and not (tmp_path / "escaped.docx").exists()
        assert wait_built(client)["state"] == "done"


def test_without_an_admin_token_there_is_no_admin_api(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", rate_limit_per_minute=0)
    app = create_app(Bot(settings), settings)
    with running(app, settings) as url:
        r = httpx.get(f"{url}/admin/documents", headers=ADMIN)
        assert r.status_code == 404
