"""The evaluation suite: metrics on hand-made answers, the runner on a real bot, the command line,
the report and the gate; and the whole question set through `python -m bot ask --jsonl`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.values import Answer, Citation
from eval.__main__ import main
from eval.dataset import QASetError, load_qa
from eval.gate import check, load_thresholds
from eval.metrics import evidence_rank, score, summarize
from eval.runner import run
from eval.spans import load_source

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "docs/jiangjin.txt"

SMALL = [
    {
        "id": "s1",
        "kind": "number",
        "question": "江津2015年GDP是多少？",
        "answerable": True,
        "facts": [["682.7亿元", "682.7亿"]],
        "evidence": ["2015年GDP为682.7亿元"],
    },
    {
        "id": "s2",
        "kind": "number",
        "question": "2021年固定资产投资计划增长多少？",
        "answerable": True,
        "facts": [["7.5%"]],
        "evidence": ["固定资产投资增长7.5%"],
    },
    {
        "id": "s3",
        "kind": "followup",
        "question": "那2015年呢？",
        "history": [["江津2019年GDP是多少？", "2019年为1036.7亿元"]],
        "answerable": True,
        "facts": [["682.7亿元", "682.7亿"]],
        "evidence": ["2015年GDP为682.7亿元"],
    },
    {
        "id": "s4",
        "kind": "unanswerable",
        "question": "江津2022年GDP是多少？",
        "answerable": False,
        "facts": [],
        "evidence": [],
    },
    {
        "id": "s5",
        "kind": "unanswerable",
        "question": "江津常住人口有多少？",
        "answerable": False,
        "facts": [],
        "evidence": [],
    },
]


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


@pytest.fixture
def small_qa(tmp_path) -> Path:
    return write_jsonl(tmp_path / "small.jsonl", SMALL)


def cite(quote: str, n: int = 1, shift: int = 0) -> Citation:
    """A citation of the article's own text, its offsets moved by `shift` characters."""
    text = load_source(ARTICLE).text
    start = text.index(quote) + shift
    return Citation(n, ARTICLE, None, quote, start, start + len(quote))


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


# -- metrics on hand-made answers ---------------------------------------------------------------


def test_a_right_cited_answer_scores_full_marks_and_a_wrong_one_lowers_correctness(small_qa):
    qa = load_qa(small_qa)
    item = qa.items[0]
    right = Answer("2015年GDP为682.7亿元[1]。", citations=[cite("2015年GDP为682.7亿元")])
    wrong = Answer("2019年为1036.7亿元[1]。", citations=[cite("2019年为1036.7亿元")])

    evidence = qa.evidence_spans(item)
    good = score(item, evidence, right, evidence[0], 10.0)
    bad = score(item, evidence, wrong, [], 10.0)

    assert good.correct and good.grounded and good.rank == 1 and good.problems() == []
    assert (good.citations_on_evidence, good.evidence_cited) == (1, 1)
    assert not bad.correct and not bad.grounded
    assert bad.citations_on_evidence == 0 and bad.evidence_cited == 0
    assert any("682.7亿元" in p for p in bad.problems())
    both = summarize([good, bad])
    assert both["answer_correctness"] == 0.5
    assert both["citation_precision"] == 0.5 and both["citation_recall"] == 0.5


def test_a_fact_outside_the_cited_quotes_is_not_grounded(small_qa):
    qa = load_qa(small_qa)
    item = qa.items[1]
    answer = Answer("增长7.5%[1]。", citations=[cite("力争实现地区生产总值增长7%")])
    result = score(item, qa.evidence_spans(item), answer, [], 1.0)
    assert result.correct and not result.grounded
    assert result.missing_in_quotes == [["7.5%"]]


def test_an_invalid_citation_offset_lowers_validity(small_qa):
    qa = load_qa(small_qa)
    item = qa.items[0]
    moved = Answer("2015年GDP为682.7亿元[1]。", citations=[cite("2015年GDP为682.7亿元", shift=3)])
    result = score(item, qa.evidence_spans(item), moved, [], 1.0)
    assert summarize([result])["citation_validity"] == 0.0
    assert any("quote differs" in p for p in result.problems())
    missing = Answer("x[1]", citations=[Citation(1, "docs/nowhere.txt", None, "x", 0, 1)])
    assert score(item, qa.evidence_spans(item), missing, [], 1.0).invalid_citations


def test_refusals_count_for_unanswerable_and_against_answerable_items(small_qa):
    qa = load_qa(small_qa)
    refusal = Answer("文章中没有提到2022年。", refused=True)
    results = [score(i, qa.evidence_spans(i), refusal, [], 1.0) for i in qa.items]
    summary = summarize(results)
    assert summary["refusal_accuracy"] == 1.0
    assert summary["false_refusal_rate"] == 1.0
    assert summary["answer_correctness"] == 0.0
    guess = score(qa.items[3], [], Answer("2022年GDP为1300亿元。"), [], 1.0)
    assert summarize([guess])["refusal_accuracy"] == 0.0
    assert "should refuse" in guess.problems()[0]


def test_evidence_rank_needs_a_piece_that_covers_the_evidence():
    source = load_source(ARTICLE)
    sentence = "江津区经济数据表明：2015年GDP为682.7亿元，2019年为1036.7亿元"
    clause = source.find_all("2015年GDP为682.7亿元")
    other = source.find_all("五年累计营造林100万亩")[0]
    start = source.text.index(sentence)
    piece = source.span(start, start + len(sentence))
    assert evidence_rank([clause], [other, piece]) == 2
    assert evidence_rank([clause], [other]) is None
    assert evidence_rank([clause, [other]], [piece, other]) == 2  # all evidence, worst rank
    neighbour = source.span(start, start + len("江津区经济数据表明："))
    assert not neighbour.covers(clause[0])


def test_evidence_breaking_over_a_blank_line_is_found():
    # the article breaks 持续改善 over a blank line; evidence is matched without whitespace
    assert len(load_source(ARTICLE).find_all("营商环境持续改善，五年新设市场主体5万余户")) == 1


# -- question files and thresholds ---------------------------------------------------------------


def test_a_bad_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps(SMALL[0], ensure_ascii=False) + "\n{not json\n", "utf-8")
    with pytest.raises(QASetError, match="line 2"):
        load_qa(path)
    wrong = dict(SMALL[0], evidence=["这句话不在文章里"])
    with pytest.raises(QASetError, match="line 1.*not in"):
        load_qa(write_jsonl(path, [wrong]))
    with pytest.raises(QASetError, match="line 2: id 's1' already used on line 1"):
        load_qa(write_jsonl(path, [SMALL[0], SMALL[0]]))


def test_the_command_line_turns_bad_input_into_one_line_and_exit_code_2(tmp_path):
    missing = run_cli("eval", "--qa", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("error:") and "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr and len(missing.stderr.strip().splitlines()) == 1

    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(SMALL[0]) + "\n\n" + '{"id": "x", "kind": 1}\n', "utf-8")
    bad = run_cli("eval", "--qa", str(path))
    assert bad.returncode == 2 and "line 3" in bad.stderr and "Traceback" not in bad.stderr


def test_llm_mode_without_an_endpoint_says_it_is_skipped():
    done = run_cli("eval", "--mode", "llm")
    assert done.returncode == 0
    assert "skipped" in done.stdout and "JJQA_LLM_BASE_URL" in done.stdout


def test_the_committed_thresholds_keep_the_project_targets():
    limits = load_thresholds()
    assert limits["min"]["answer_correctness"] >= 0.95
    assert limits["min"]["grounding"] >= 0.95
    assert limits["min"]["refusal_accuracy"] >= 0.90
    assert limits["min"]["citation_validity"] == 1.0
    assert limits["max"]["false_refusal_rate"] <= 0.03
    assert check({"answer_correctness": 0.5}, {"min": {"answer_correctness": 0.9}, "max": {}})
    assert check({}, {"min": {"grounding": 0.9}, "max": {}}) == [
        "grounding: not measured on this set (needs min 0.9)"
    ]


# -- the runner, report and gate on a real bot ---------------------------------------------------


def test_the_runner_scores_a_real_bot(shared_bot, small_qa):
    results = run(shared_bot, load_qa(small_qa), progress=False)
    summary = summarize(results)
    assert summary["items"] == 5 and summary["answerable"] == 3
    assert summary["answer_correctness"] == 1.0, [r.problems() for r in results]
    assert summary["grounding"] == 1.0
    assert summary["citation_validity"] == 1.0
    assert summary["refusal_accuracy"] == 1.0
    assert summary["hit_at_5"] == 1.0
    assert all(r.latency_ms > 0 for r in results)


def test_report_baseline_json_and_a_failing_check(shared_bot, small_qa, tmp_path, capsys):
    too_high = tmp_path / "too-high.toml"
    too_high.write_text("[min]\nanswer_correctness = 1.01\n[max]\nlatency_p50_ms = 0.001\n")
    report_dir = tmp_path / "report"
    argv = ["--qa", str(small_qa), "--json", "--baseline", "--report", str(report_dir)]
    code = main([*argv, "--check", "--thresholds", str(too_high)], bot=shared_bot)
    out, err = capsys.readouterr()

    assert code == 1
    assert "check failed: answer_correctness: 1 is below the minimum 1.01" in err
    assert "check failed: latency_p50_ms" in err
    metrics = json.loads(out)
    assert metrics["overall"]["answer_correctness"] == 1.0
    assert set(metrics["per_kind"]) == {"number", "followup", "unanswerable"}
    assert set(metrics["baselines"]) == {"dense", "bm25+dense"}
    for baseline in metrics["baselines"].values():
        assert 0.0 <= baseline["overall"]["mrr"] <= 1.0
        assert "answer_correctness" not in baseline["overall"]
        assert baseline["overall"]["retrieved_chars"] > 100  # 300-character chunks
    assert "no answer" in metrics["baselines_note"]

    markdown = (report_dir / "README.md").read_text("utf-8")
    for family in ("retrieval", "answers", "citations", "refusals", "speed"):
        png = report_dir / f"{family}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({family}.png)" in markdown
    assert "bm25+dense" in markdown and "| followup |" in markdown

    passing = tmp_path / "passing.toml"
    passing.write_text("[min]\nanswer_correctness = 1.0\ncitation_validity = 1.0\n")
    assert main(["--qa", str(small_qa), "--check", "--thresholds", str(passing)], shared_bot) == 0
    assert "check passed" in capsys.readouterr().out


def test_python_m_eval_runs_end_to_end(shared_data_dir, small_qa):
    done = run_cli("eval", "--qa", str(small_qa), env={"JJQA_DATA_DIR": str(shared_data_dir)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "answer correctness" in done.stdout and "| overall | 3 |" in done.stdout
    assert "failures (0)" in done.stdout


# -- the gate's limits over the whole question set (find it with: pytest -k qa_targets) --------


def test_qa_targets_whole_set_through_bot_ask_jsonl(shared_data_dir):
    """Every item of eval/qa.jsonl through one `python -m bot ask --jsonl` process (the path
    integrators use): the key facts are in the answer and in a cited quote, and unanswerable
    items refused, at least as often as eval/thresholds.toml demands; every citation matches
    its source span."""
    qa = load_qa(ROOT / "eval" / "qa.jsonl")
    lines = [
        json.dumps({"question": i.question, "history": [list(t) for t in i.history]})
        for i in qa.items
    ]
    done = run_cli(
        "bot",
        "ask",
        "--jsonl",
        stdin="\n".join(lines) + "\n",
        env={"JJQA_DATA_DIR": str(shared_data_dir)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answers = [Answer.from_dict(json.loads(line)) for line in done.stdout.splitlines()]
    assert len(answers) == len(qa.items)

    results = [score(i, qa.evidence_spans(i), a, [], 0.0) for i, a in zip(qa.items, answers)]
    answerable = [r for r in results if r.answerable]
    right = [r for r in answerable if r.correct and r.grounded]
    summary = summarize(results)
    wrong = [r for r in results if not r.correct or (r.answerable and not r.grounded)]
    misses = "\n".join(f"{r.id} {r.question} -> {r.answer}" for r in wrong)
    share = f"{len(right)}/{len(answerable)} answerable right and grounded"
    least = load_thresholds()["min"]
    assert len(right) >= least["answer_correctness"] * len(answerable), (
        f"{share}; misses:\n{misses}"
    )
    refused = f"refusal accuracy {summary['refusal_accuracy']:.3f}"
    assert summary["refusal_accuracy"] >= least["refusal_accuracy"], f"{refused}; misses:\n{misses}"
    assert summary["citation_validity"] == 1.0, [r.invalid_citations for r in results]
