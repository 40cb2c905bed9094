"""Runs `python -m index` in a process of its own on a docs folder (its data beside it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def index_cli(*args: str, docs: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, JJQA_DOCS_DIR=str(docs), JJQA_DATA_DIR=str(docs.parent / "data"))
    return subprocess.run(
        [sys.executable, "-m", "index", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
