"""The command lines as a user runs them: real processes, real index, exit codes and output."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(args, data_dir, stdin=None):
    env = dict(os.environ, JJQA_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "bot", "--help"],
        ["-m", "bot", "ask", "--help"],
        ["-m", "index", "--help"],
        ["-m", "index", "build", "--help"],
        ["-m", "bot", "serve", "--help"],
    ],
)
def test_every_command_has_help(tmp_path, args):
    out = run(args, tmp_path)
    assert out.returncode == 0 and "usage:" in out.stdout


def test_ask_prints_answer_then_sources(shared_data_dir):
    out = run(["-m", "bot", "ask", "2021年固定资产投资计划增长多少？"], shared_data_dir)
    assert out.returncode == 0, out.stderr
    first, _, rest = out.stdout.partition("\n")
    assert "7.5%" in first
    assert "来源：" in rest and "[1]" in rest and "docs/jiangjin.txt:" in rest


def test_ask_json_and_bad_history(shared_data_dir):
    out = run(["-m", "bot", "ask", "--json", "江津2019年GDP是多少？"], shared_data_dir)
    data = json.loads(out.stdout)
    assert "1036.7亿元" in data["answer"] and data["citations"][0]["n"] == 1
    bad = run(["-m", "bot", "ask", "--history", "{oops", "问题"], shared_data_dir)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_jsonl_answers_in_order_and_survives_bad_lines(shared_data_dir):
    lines = [
        {"question": "江津2019年GDP是多少？"},
        {"question": "那2015年呢？", "history": [["江津2019年GDP是多少？", "1036.7亿元"]]},
        "not json",
        {"question": ""},
        {"question": "江津的常住人口有多少？"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    out = run(["-m", "bot", "ask", "--jsonl"], shared_data_dir, stdin=stdin)
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == 5
    assert "1036.7" in answers[0]["answer"] and "682.7" in answers[1]["answer"]
    assert answers[2]["error"].startswith("line 3")
    assert answers[3]["refused"] and answers[4]["refused"]


def test_empty_question_exits_zero(shared_data_dir):
    out = run(["-m", "bot", "ask", "   "], shared_data_dir)
    assert out.returncode == 0 and "请输入" in out.stdout


def test_bad_setting_is_one_clear_line(shared_data_dir):
    env_args = ["-m", "bot", "ask", "问题"]
    env = dict(os.environ, JJQA_DATA_DIR=str(shared_data_dir), JJQA_TOP_K="many")
    out = subprocess.run(
        [sys.executable, *env_args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 1 and "JJQA_TOP_K" in out.stderr and "Traceback" not in out.stderr
