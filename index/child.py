"""Start one of the project's modules as a child Python process (`python -m module`), able to
import the project wherever the parent was started from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(module: str, **popen) -> subprocess.Popen:
    """`python -m module` in the project root; popen: subprocess.Popen's other arguments."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env, **popen)
