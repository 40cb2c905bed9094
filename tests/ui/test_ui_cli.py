"""`python ui.py`: its help, and a bad setting ending in one line instead of a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.settings import PROJECT_ROOT


def run_ui(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "ui.py", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_names_the_options_and_their_variables():
    done = run_ui("--help")
    assert done.returncode == 0
    for word in ("--host", "--port", "JJQA_UI_HOST", "JJQA_UI_PORT", "7860"):
        assert word in done.stdout


def test_a_bad_port_setting_is_one_line_and_exit_code_2():
    done = run_ui(JJQA_UI_PORT="seventy")
    assert done.returncode == 2
    assert done.stderr.strip() == "ui.py: JJQA_UI_PORT='seventy' is not a valid int"


def test_a_port_in_use_is_one_line_and_exit_code_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_ui("--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"ui.py: cannot serve on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr
