"""Ask the evaluation set of the article in each format: the .txt, the web page, the PDF that
Chromium printed from it (tagged, and without tags) and the Word file. Each format gets its own
documents folder and index, and `python -m eval` runs over it; every citation is checked against
the text the build stored for that format. Prints a table and exits 1 when a format's answer
correctness is more than one point (0.01) from the .txt's, or a citation is not verifiable.

    python tests/formats/compare.py                 # the whole set (make formats)
    python tests/formats/compare.py --sample 40     # every 6th question or so
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_files import write_all  # noqa: E402

QA = ROOT / "eval" / "qa.jsonl"
METRICS = (
    "answer_correctness",
    "grounding",
    "hit_at_1",
    "hit_at_5",
    "citation_validity",
    "refusal_accuracy",
    "false_refusal_rate",
)
MAX_GAP = 0.01


def sample_qa(path: Path, every: int, out: Path) -> Path:
    """Every `every`-th question, with the follow-ups' history kept as it is."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out.write_text("\n".join(lines[::every]) + "\n", encoding="utf-8")
    return out


def run_format(name: str, document: Path, qa: Path, work: Path) -> dict:
    """Build an index of `document` alone and evaluate it; returns the overall metrics."""
    docs = work / name / "docs"
    docs.mkdir(parents=True)
    shutil.copy(document, docs / f"jiangjin{document.suffix}")
    shutil.copy(ROOT / "docs" / "profile.toml", docs / "profile.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JJQA_")}
    env.update(
        HF_HUB_OFFLINE="1",
        JJQA_DATA_DIR=str(work / name / "data"),
        JJQA_DOCS_DIR=str(docs),
        JJQA_MODEL_CACHE=os.environ.get("JJQA_MODEL_CACHE", str(ROOT / ".jjqa" / "models")),
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "index", "build", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    built = time.perf_counter() - started
    article = f"docs/jiangjin{document.suffix}"
    out = subprocess.run(
        [sys.executable, "-m", "eval", "--qa", str(qa), "--article", article, "--json"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout)
    metrics = dict(result["overall"], build_s=round(built, 1))
    metrics["failures"] = [f["id"] for f in result["failures"]]
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, metavar="N", help="about N questions, not all")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix="jjqa-formats-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = {"txt": ROOT / "docs" / "jiangjin.txt", **write_all(work / "files")}
        qa = QA
        if args.sample:
            total = sum(1 for line in QA.open(encoding="utf-8") if line.strip())
            qa = sample_qa(QA, max(1, total // args.sample), work / "sample.jsonl")
        results = {name: run_format(name, path, qa, work) for name, path in files.items()}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    base = results["txt"]
    problems = []
    for name, metrics in results.items():
        gap = abs(metrics["answer_correctness"] - base["answer_correctness"])
        if gap > MAX_GAP:
            problems.append(
                f"{name}: correctness {metrics['answer_correctness']:.3f}"
                f" vs txt {base['answer_correctness']:.3f}"
            )
        if metrics["citation_validity"] is not None and metrics["citation_validity"] < 1.0:
            problems.append(f"{name}: citation validity {metrics['citation_validity']:.3f}")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        print("| format | " + " | ".join(METRICS) + " | build s | differs from txt on |")
        print("|---" * (len(METRICS) + 3) + "|")
        for name, m in results.items():
            cells = [
                f"{m[k]:.3f}" if isinstance(m.get(k), float) else str(m.get(k)) for k in METRICS
            ]
            diff = sorted(set(m["failures"]) ^ set(base["failures"]))
            print(
                f"| {name} | "
                + " | ".join(cells)
                + f" | {m['build_s']} | {', '.join(diff) or '-'} |"
            )
    for line in problems:
        print(f"check failed: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
