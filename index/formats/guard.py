"""Read untrusted files in a child process with a time and memory limit, so that a malicious
PDF, page or Word file can neither hang nor exhaust the process that builds the index or takes
uploads. The child is started once and reused; one that runs over its time is killed and the
next document gets a fresh one.

    python -m index.formats.guard     # the child: one JSON request per line on stdin
"""

from __future__ import annotations

import json
import logging
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.errors import DocumentError
from index import child
from index.formats import MAX_FILE_BYTES, MAX_UNPACKED_BYTES, PARSE_TIMEOUT_S, Extracted

log = logging.getLogger(__name__)

MEMORY_LIMIT_BYTES = 3 * 1024**3


class Extractor:
    """Reads documents in a child process: `read(path, fmt)` returns an Extracted or raises
    DocumentError (for a bad file, a parse that ran past `timeout_s`, or a child that died).
    Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        timeout_s: float = PARSE_TIMEOUT_S,
        max_bytes: int = MAX_FILE_BYTES,
        max_unpacked: int = MAX_UNPACKED_BYTES,
    ):
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_unpacked = max_unpacked
        self._child: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @classmethod
    def for_settings(cls, settings) -> Extractor:
        """An extractor with the limits of JJQA_PARSE_TIMEOUT_S, JJQA_MAX_UPLOAD_BYTES and
        JJQA_MAX_UNPACKED_BYTES."""
        return cls(settings.parse_timeout_s, settings.max_upload_bytes, settings.max_unpacked_bytes)

    def read(self, path: Path, fmt: str) -> Extracted:
        path = Path(path)
        request = {
            "path": str(path.resolve()),
            "format": fmt,
            "max_bytes": self.max_bytes,
            "max_unpacked": self.max_unpacked,
        }
        with self._lock:
            child = self._start()
            try:
                child.stdin.write(json.dumps(request) + "\n")
                child.stdin.flush()
                line = self._reply(child, path)
            except (BrokenPipeError, OSError) as e:
                self._stop()
                raise DocumentError(f"{path.name}：读取文件的进程出错（{e}）") from e
        reply = json.loads(line)
        if "error" in reply:
            raise DocumentError(reply["error"])
        return Extracted.from_dict(reply["ok"])

    def _reply(self, child: subprocess.Popen, path: Path) -> str:
        deadline = time.monotonic() + self.timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop()
                raise DocumentError(
                    f"{path.name}：解析超过 {self.timeout_s:g} 秒仍未完成，已停止"
                    "（文件可能有问题或太复杂）"
                )
            ready, _, _ = select.select([child.stdout], [], [], min(left, 1.0))
            if ready:
                line = child.stdout.readline()
                if line:
                    return line
                code = child.wait()
                self._child = None
                raise DocumentError(
                    f"{path.name}：解析时读取进程意外退出（退出码 {code}，"
                    "可能是文件要用的内存超过上限）"
                )

    def _start(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            self._child = child.start(
                "index.formats.guard",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        return self._child

    def _stop(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            self._child = None

    def close(self) -> None:
        with self._lock:
            if self._child is not None and self._child.poll() is None:
                self._child.stdin.close()
                try:
                    self._child.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            self._stop()


def _serve() -> None:
    """The child's loop: read a request, answer with the document or the error, once per line."""
    import resource

    from index.formats import read

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):
        pass
    logging.disable(logging.WARNING)
    for line in sys.stdin:
        request = json.loads(line)
        path = Path(request["path"])
        try:
            limits = request["max_bytes"], request["max_unpacked"]
            result = {"ok": read(path, request["format"], *limits).to_dict()}
        except DocumentError as e:
            result = {"error": str(e)}
        except MemoryError:
            result = {"error": f"{path.name}：解析要用的内存超过上限，已停止"}
        except Exception as e:  # a library failing on a malformed file
            result = {"error": f"{path.name}：文件无法解析（{type(e).__name__}: {e}）"}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
