"""The question sets in eval/ (qa.jsonl and the held-out holdout.jsonl) are well formed and
true to the article."""

import json
import re
from collections import Counter

import pytest

from bot.settings import PROJECT_ROOT
from eval.dataset import KINDS

QA = PROJECT_ROOT / "eval" / "qa.jsonl"
HOLDOUT = PROJECT_ROOT / "eval" / "holdout.jsonl"
ARTICLE = PROJECT_ROOT / "docs" / "jiangjin.txt"
REQUIRED = {"id": str, "kind": str, "question": str, "answerable": bool, "facts": list}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def load(path=QA) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ITEMS = load()
HELD_OUT = load(HOLDOUT)
ANSWERABLE = [item for item in ITEMS + HELD_OUT if item["answerable"]]
ARTICLE_TEXT = squeeze(ARTICLE.read_text(encoding="utf-8"))


def test_the_set_is_large_and_covers_every_kind():
    kinds = Counter(item["kind"] for item in ITEMS)
    assert len(ITEMS) >= 150
    assert sum(not item["answerable"] for item in ITEMS) >= 30
    assert set(kinds) == set(KINDS), f"kinds without items: {set(KINDS) - set(kinds)}"
    assert all(n >= 10 for n in kinds.values()), kinds


def test_every_item_has_the_required_fields_and_a_unique_id():
    for item in ITEMS:
        for name, kind in REQUIRED.items():
            assert isinstance(item.get(name), kind), f"{item.get('id')}: {name}"
        assert isinstance(item.get("evidence"), list), item["id"]
        assert item["kind"] in KINDS, item["id"]
        assert item["question"].strip(), item["id"]
    ids = [item["id"] for item in ITEMS]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    questions = [(item["question"], str(item.get("history"))) for item in ITEMS]
    assert len(questions) == len(set(questions)), "the same question twice"


def test_the_held_out_set_is_separate_from_the_main_set():
    assert len(HELD_OUT) >= 40 and sum(not i["answerable"] for i in HELD_OUT) >= 10
    for item in HELD_OUT:
        for name, kind in REQUIRED.items():
            assert isinstance(item.get(name), kind), f"{item.get('id')}: {name}"
        assert item["kind"] in KINDS and item["answerable"] == (item["kind"] != "unanswerable")
    assert len({i["id"] for i in HELD_OUT} | {i["id"] for i in ITEMS}) == len(HELD_OUT) + len(ITEMS)
    assert not {i["question"] for i in HELD_OUT} & {i["question"] for i in ITEMS}


def test_unanswerable_items_have_no_facts_and_answerable_ones_do():
    for item in ITEMS:
        if item["answerable"]:
            assert item["facts"] and item["evidence"], item["id"]
            assert item["kind"] != "unanswerable", item["id"]
        else:
            assert item["facts"] == [] and item["evidence"] == [], item["id"]
            assert item["kind"] == "unanswerable", item["id"]


@pytest.mark.parametrize("item", ANSWERABLE, ids=[item["id"] for item in ANSWERABLE])
def test_evidence_is_in_the_article_and_every_fact_group_is_in_it(item):
    for evidence in item["evidence"]:
        assert squeeze(evidence) in ARTICLE_TEXT, f"not in the article: {evidence}"
    for group in item["facts"]:
        assert group and all(isinstance(alt, str) and alt for alt in group)
        assert any(squeeze(alt) in squeeze(ev) for alt in group for ev in item["evidence"]), (
            f"no alternative of {group} inside one evidence string"
        )


def test_followups_carry_history_pairs():
    followups = [item for item in ITEMS if item["kind"] == "followup"]
    assert followups
    for item in ITEMS + HELD_OUT:
        history = item.get("history", [])
        assert isinstance(history, list), item["id"]
        for turn in history:
            assert isinstance(turn, list) and len(turn) == 2, item["id"]
            assert all(isinstance(x, str) and x for x in turn), item["id"]
    assert all(item.get("history") for item in followups)


def test_the_set_asks_what_the_issue_names():
    by_question = {item["question"]: item for item in ITEMS}
    assert by_question["2021年固定资产投资计划增长多少？"]["facts"][0] == ["7.5%"]
    follow = next(i for i in ITEMS if i["question"] == "那2015年呢？" and i["answerable"])
    assert follow["history"][0][0] == "江津2019年GDP是多少？"
    assert ["682.7亿元", "682.7亿"] in follow["facts"]
    assert by_question["江津森林覆蓋率是多少？"]["facts"] == [["51.8%"]]
    for refused in ("江津2022年GDP是多少？", "江津常住人口有多少？", "江津区委书记是谁？"):
        assert by_question[refused]["answerable"] is False
