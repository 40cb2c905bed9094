"""Real server processes for the tests: `python -m bot serve`, `chroma run`, and raw sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.settings import PROJECT_ROOT

START_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(**jjqa: str) -> dict[str, str]:
    """This environment without any JJQA_ variable, offline, plus the given JJQA_ settings."""
    result = {k: v for k, v in os.environ.items() if not k.startswith("JJQA_")}
    result.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1")
    result.update({f"JJQA_{k.upper()}": str(v) for k, v in jjqa.items()})
    return result


class Process:
    """A child process with its output in a log file, stopped on exit."""

    def __init__(self, args: list[str], log: Path, environ: dict[str, str]):
        self.log = log
        self.args = args
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                args, cwd=PROJECT_ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self) -> str:
        return self.text()[-3000:]

    def wait_http(self, url: str, ok=lambda r: r.status_code == 200) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"{url} exited early:\n{self.tail()}"
            try:
                if ok(httpx.get(url, timeout=5)):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{url} not ready after {START_TIMEOUT_S} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def serve(log: Path, *extra: str, port: int | None = None, **jjqa: str) -> tuple[Process, str]:
    """Start `python -m bot serve` on a free loopback port with the given JJQA_ settings."""
    port = port or free_port()
    args = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Process([*args, *extra], log, env(**jjqa)), f"http://127.0.0.1:{port}"


def chroma(root: Path, port: int) -> Process:
    """Start `chroma run` on `port` with its data under `root/db` (the same folder each time)."""
    executable = Path(sys.executable).with_name("chroma")
    args = [str(executable), "run", "--path", str(root / "db"), "--host", "127.0.0.1"]
    return Process([*args, "--port", str(port)], root / f"chroma-{time.time_ns()}.log", env())


def raw_exchange(port: int, data: bytes, wait_s: float = 10.0, source: str = "127.0.0.1"):
    """Send `data` on a new connection and read until the server closes it.

    Returns (seconds until closed or `wait_s`, bytes received, whether the server closed it).
    """
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    started = time.monotonic()
    try:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may refuse and close before it has read everything
        sock.settimeout(wait_s)
        received, closed = b"", False
        try:
            while chunk := sock.recv(65536):
                received += chunk
            closed = True
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
        return time.monotonic() - started, received, closed
    finally:
        sock.close()


def status_and_body(response: bytes) -> tuple[int, dict[str, str], bytes]:
    """Parse a raw HTTP/1.1 response into (status, lower-case headers, body)."""
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body
