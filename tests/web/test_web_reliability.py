"""The reliability script's command line and table (its scenarios run with `make reliability`)."""

from __future__ import annotations

import subprocess
import sys

from bot.settings import PROJECT_ROOT
from bot.web.reliability import Row, table


def test_table_marks_each_scenario_against_its_target():
    rows = [
        Row("idle sockets", "closed after 10.2 s", "≤ 30 s", True),
        Row("Chroma back", "never", "≤ 5 s", False),
    ]
    assert table(rows).splitlines() == [
        "| scenario | measured | target | ok |",
        "|---|---|---|---|",
        "| idle sockets | closed after 10.2 s | ≤ 30 s | yes |",
        "| Chroma back | never | ≤ 5 s | NO |",
    ]


def test_help_names_the_scenarios():
    done = subprocess.run(
        [sys.executable, "-m", "bot.web.reliability", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    for word in ["slow-client", "idle-socket", "replay", "outage", "--skip-outage"]:
        assert word in done.stdout
