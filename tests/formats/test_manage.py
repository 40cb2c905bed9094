"""`python -m index add / list / remove` as an operator runs them: real files, a real index,
the commands as processes."""

from __future__ import annotations

import json
from pathlib import Path

from index_cli import index_cli

ROOT = Path(__file__).resolve().parents[2]
NOTICE = "# 图书馆通知\n\n区图书馆每周一闭馆，其余日子九点开馆。\n"


def listed(docs: Path) -> dict[str, dict]:
    done = index_cli("list", "--json", docs=docs)
    assert done.returncode == 0, done.stderr
    return {d["name"]: d for d in json.loads(done.stdout)}


def test_add_list_remove(tmp_path, article_file):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notice.txt").write_text(NOTICE, encoding="utf-8")
    assert listed(docs)["notice.txt"]["indexed"] is False

    added = index_cli(
        "add", "--quiet", str(article_file("docx")), str(article_file("html")), docs=docs
    )
    assert added.returncode == 0, added.stderr
    assert "已添加：jiangjin.docx" in added.stdout and "索引已建立：3 篇文档" in added.stdout
    assert (docs / "jiangjin.docx").read_bytes() == article_file("docx").read_bytes()

    now = listed(docs)
    assert set(now) == {"notice.txt", "jiangjin.docx", "jiangjin.html"}
    docx = now["jiangjin.docx"]
    assert docx["format"] == "docx" and docx["indexed"] and docx["chunks"] > 30
    assert docx["bytes"] == article_file("docx").stat().st_size and len(docx["sha256"]) == 64
    assert docx["added"] and docx["author"] == "唐楸 陈元媛"

    table = index_cli("list", docs=docs)
    assert "jiangjin.docx\tWord（DOCX）" in table.stdout and docx["sha256"][:12] in table.stdout

    removed = index_cli("remove", "--quiet", "jiangjin.html", docs=docs)
    assert removed.returncode == 0, removed.stderr
    assert "已删除：jiangjin.html" in removed.stdout and "新嵌入 0 个" in removed.stdout
    assert set(listed(docs)) == {"notice.txt", "jiangjin.docx"}
    # The date a document was added stays while its content does.
    assert listed(docs)["jiangjin.docx"]["added"] == docx["added"]

    missing = index_cli("remove", "nothing.pdf", docs=docs)
    assert missing.returncode == 1 and missing.stderr.startswith("错误：没有名为 'nothing.pdf'")
    assert "Traceback" not in missing.stderr
