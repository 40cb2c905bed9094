"""Derive and save a build's snapshot in another process while this one embeds.

Deriving the snapshot (segmenting and tagging every sentence, mining the vocabulary, the
speller's pinyin table) is Python work that holds the GIL, and it does not need the vectors.
It reads jieba's dictionary and tags from tries kept once in the model cache, not from jieba's
own files. Run beside the embedding and the Chroma writes, on two cores, the article's build
took 2.7-2.9 s where it had taken 4.5-4.8 s (the same hour, both versions in turn). At 256 CMRC
2018 passages embedding keeps both cores busy and the build takes as long as before, but no
process holds both the model and the snapshot: the largest one peaks at 359 MB, not 602 MB.

The child is a plain `python -m index.snapshot_job`: it is sent its input as a pickle on stdin,
writes the snapshot (without vectors) into the folder it is given, and exits 0; on failure it
prints one line to stderr and exits 1. It imports only what the snapshot needs, never the
caller's main module (multiprocessing's spawn would import ui.py, and gradio with it).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

from bot.errors import IndexBuildError
from index import child


class SnapshotJob:
    """One snapshot being derived in a child process. `wait()` raises IndexBuildError when it
    failed; `stop()` ends it early (the build failed or was interrupted)."""

    def __init__(self, folder: Path, chunks, titles, words, profile_hash: str, cache=None):
        # the child stays off the console: a stray warning must not break a progress bar
        self._process = child.start(
            "index.snapshot_job",
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        job = (str(folder), list(chunks), dict(titles), list(words), profile_hash, cache)
        try:
            self._process.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            self._process.stdin.close()
        except OSError:  # the child died at once; wait() reports why
            pass

    def wait(self) -> None:
        """Block until the snapshot is saved; IndexBuildError naming the cause if it failed."""
        err = self._process.stderr.read()  # the only pipe left open: read to its end
        self._process.stderr.close()
        self._process.wait()
        if self._process.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            why = lines[-1] if lines else f"exit status {self._process.returncode}"
            raise IndexBuildError(f"could not derive the corpus snapshot: {why}")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._process.stderr.close()


def main() -> int:
    try:
        folder, chunks, titles, words, profile_hash, cache = pickle.load(sys.stdin.buffer)
        from bot.tokenizer import use_cache
        from index.snapshot import build_snapshot

        cache = Path(cache) if cache else None
        use_cache(cache)
        build_snapshot(chunks, titles, words, profile_hash).save(Path(folder), cache)
    except Exception as e:  # reported to the parent in one line
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
