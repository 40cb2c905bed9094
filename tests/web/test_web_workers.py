"""`python -m bot serve --workers 2`: uvicorn's supervisor runs two real worker processes that
both answer, replaces one that is killed, stops when workers cannot start, and refuses several
workers while WeChat keeps its per-process state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import served

from bot.settings import PROJECT_ROOT

QUESTIONS = ["江津2019年的GDP是多少？", "江津的森林覆盖率提高到了多少？", "江津的房价是多少？"]


def _workers(parent: int) -> list[int]:
    """The worker processes uvicorn's supervisor spawned under `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def _listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (from /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _burst(url: str, n: int = 24, retry_resets: bool = False) -> list[int]:
    def post(body: dict) -> int:
        with httpx.Client(timeout=60) as client:  # a new connection per question
            return client.post(url + "/api/ask", json=body).status_code

    def ask(i: int) -> int:
        body = {"question": QUESTIONS[i % len(QUESTIONS)]}
        try:
            return post(body)
        except httpx.ReadError:  # a reset connection, asked again once when allowed
            if not retry_resets:
                raise
            return post(body)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(ask, range(n)))


@pytest.fixture(scope="module")
def two_workers(shared_data_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("workers") / "serve.log"
    process, url = served.serve(
        log,
        "--workers",
        "2",
        data_dir=str(shared_data_dir),
        rate_limit_per_minute=0,
        max_inflight_per_client=0,
    )
    try:
        process.wait_http(url + "/healthz")
        deadline = time.monotonic() + 120
        while len(_workers(process.pid)) < 2:  # the second may still be loading
            assert time.monotonic() < deadline, process.tail()
            time.sleep(0.5)
        yield process, url
    finally:
        process.stop()


def test_both_workers_answer(two_workers):
    process, url = two_workers
    workers = _workers(process.pid)
    assert len(workers) == 2
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 120
    while _listening_sockets(port) < 2 and time.monotonic() < deadline:  # one may be loading
        time.sleep(0.5)
    assert _listening_sockets(port) == 2, "each worker listens on a socket of its own"
    while True:  # both listen: see that both answer
        before = {pid: _cpu_ticks(pid) for pid in workers}
        assert _burst(url) == [200] * 24
        used = {pid: _cpu_ticks(pid) - before[pid] for pid in workers}
        if all(ticks > 0 for ticks in used.values()) or time.monotonic() > deadline:
            break
    assert all(ticks > 0 for ticks in used.values()), f"CPU ticks per worker: {used}"


def test_a_killed_worker_is_replaced_and_service_continues(two_workers):
    process, url = two_workers
    victim = _workers(process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not _dead(victim):
        assert time.monotonic() < deadline, "the killed worker did not die"
        time.sleep(0.05)
    # A connection the kernel queued on a socket that closes (the victim's, or its replacement's
    # if that one fails to start) is reset, as behind any load balancer that loses a backend:
    # a client asks again, once, on a new connection, and must then be answered.
    assert _burst(url, 6, retry_resets=True) == [200] * 6, "the other worker answers meanwhile"
    deadline = time.monotonic() + 120
    while True:
        workers = _workers(process.pid)
        if len(workers) == 2 and victim not in workers:
            break
        assert time.monotonic() < deadline, process.tail()
        time.sleep(0.5)
    assert "died" in process.text()
    assert _burst(url, 6, retry_resets=True) == [200] * 6


def _dead(pid: int) -> bool:
    """True once the process has exited (gone, or a zombie not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _serve_and_wait(*args: str, timeout: float = 180, **jjqa: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bot", "serve", "--port", str(served.free_port()), *args]
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=served.env(**jjqa),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_several_workers_are_refused_while_wechat_is_on():
    done = _serve_and_wait("--workers", "2", wechat_token="t", timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "JJQA_API_WORKERS=1" in done.stderr
    assert "Traceback" not in done.stderr


def test_workers_that_cannot_start_stop_the_server_instead_of_restarting(tmp_path):
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data directory should be")
    done = _serve_and_wait("--workers", "2", data_dir=str(not_a_folder))
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert f"cannot start: cannot write to the data directory {not_a_folder}" in output
    assert "a worker could not start" in output
    assert output.count("cannot start:") <= 2, "no restart loop"
    assert "Traceback" not in output


@pytest.fixture
def read_only_dir(tmp_path):
    """A data directory nobody may write, root included (`chattr +i`)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        os.chmod(folder, 0o555)  # enough when the tests do not run as root
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    os.chmod(folder, 0o755)


def test_a_read_only_data_directory_is_one_plain_line(read_only_dir):
    done = _serve_and_wait(data_dir=str(read_only_dir))
    assert done.returncode == 1
    line = done.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"错误：cannot write to the data directory {read_only_dir}")
    assert "Traceback" not in done.stdout + done.stderr
