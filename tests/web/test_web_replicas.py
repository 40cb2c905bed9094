"""Two `python -m bot serve` processes answering from one `chroma run` server and its index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.settings import PROJECT_ROOT

QUESTIONS = ["江津2019年的GDP是多少？", "江津的森林覆盖率提高到了多少？", "江津的房价是多少？"]
START_TIMEOUT_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**jjqa: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJQA_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1")
    env.update({f"JJQA_{k.upper()}": v for k, v in jjqa.items()})
    return env


class Process:
    """A child process with its output in a log file, stopped on exit."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str]):
        self.log = log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                args, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def wait_http(self, url: str, ok=lambda r: r.status_code == 200) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"{url} exited early:\n{self.tail()}"
            try:
                if ok(httpx.get(url, timeout=5)):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{url} not ready after {START_TIMEOUT_S} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A real `chroma run` server on a free loopback port, with the index built into it."""
    root = tmp_path_factory.mktemp("chroma")
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    server = Process(
        [
            str(chroma),
            "run",
            "--path",
            str(root / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        root / "chroma.log",
        _env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_http(url + "/api/v2/heartbeat")
        build = subprocess.run(
            [sys.executable, "-m", "index", "build", "--quiet"],
            cwd=PROJECT_ROOT,
            env=_env(chroma_url=url, data_dir=str(root / "builder")),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
        assert build.returncode == 0, build.stdout + build.stderr
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replicas(chroma_url, tmp_path_factory):
    """Two app processes, each with its own empty data folder, both on the Chroma server."""
    started = []
    try:
        for n in range(2):
            data = tmp_path_factory.mktemp(f"replica{n}")
            port = _free_port()
            env = _env(chroma_url=chroma_url, data_dir=str(data), rate_limit_per_minute="0")
            args = [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ]
            started.append(
                (Process(args, data / "serve.log", env), f"http://127.0.0.1:{port}", data)
            )
        for process, url, _ in started:
            process.wait_http(url + "/healthz")
        yield [(url, data) for _, url, data in started]
    finally:
        for process, _, _ in started:
            process.stop()


def test_both_replicas_serve_the_index_on_the_chroma_server(replicas):
    health = [httpx.get(url + "/healthz").json() for url, _ in replicas]
    assert all(h["ready"] and h["store"] == "http" and h["chunks"] > 0 for h in health)
    assert health[0]["built_at"] == health[1]["built_at"], "one index, not one per replica"
    for _, data in replicas:
        assert not list(data.rglob("chroma.sqlite3")), "a replica must not keep its own store"


def test_replicas_give_the_same_cited_answers_under_concurrent_load(replicas):
    urls = [url for url, _ in replicas]

    def ask(job: tuple[str, str]) -> dict:
        url, question = job
        response = httpx.post(url + "/api/ask", json={"question": question}, timeout=120)
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("timings_ms")
        return body

    jobs = [(url, q) for q in QUESTIONS for url in urls] * 2
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(ask, jobs))
    by_question: dict[str, list[dict]] = {}
    for (_, question), body in zip(jobs, answers, strict=True):
        by_question.setdefault(question, []).append(body)
    for question, bodies in by_question.items():
        assert all(b == bodies[0] for b in bodies), question
    assert "1036.7" in str(by_question[QUESTIONS[0]][0])
    assert by_question[QUESTIONS[0]][0]["citations"]
    assert by_question[QUESTIONS[2]][0]["refused"], "the article says nothing about house prices"
