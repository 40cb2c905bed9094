"""`python -m eval`: run the bot over the question set and report how well it does."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from bot.errors import JJQAError
from bot.settings import PROJECT_ROOT, Settings
from eval.dataset import DEFAULT_ARTICLE, DEFAULT_QA, QASetError, load_qa
from eval.gate import DEFAULT_THRESHOLDS, ThresholdsError, check, load_thresholds
from eval.squad import SPLITS, SquadError

EPILOG = """\
examples:
  python -m eval                          metrics and failures for eval/qa.jsonl
  python -m eval --report eval/report --baseline
                                          Markdown report with charts, next to LangChain baselines
  python -m eval --check                  exit 1 when a metric misses eval/thresholds.toml
  python -m eval --qa my.jsonl --json     any question file in the same format, as JSON
  python -m eval --squad eval/datasets/cmrc2018_trial.json --split validate --passages 40
                                          40 passages of a SQuAD-format set as the corpus
  python -m eval --squad eval/datasets/drcd_dev.json --by-article --passages 12 --split validate

exit codes: 0 done (and --check passed), 1 --check failed or the bot could not start,
2 bad command line, question file or thresholds file.
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m eval",
        description="Evaluate 江津问答 on a question set: retrieval hit@k/MRR, answer "
        "correctness, grounding, citation precision/recall/validity, refusals, answer length "
        "and latency, overall and per kind of question.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--qa", default=str(DEFAULT_QA), metavar="FILE", help="question set (JSONL)")
    p.add_argument(
        "--article",
        default=DEFAULT_ARTICLE,
        metavar="PATH",
        help=f"source file the evidence is quoted from (default {DEFAULT_ARTICLE})",
    )
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("--report", metavar="DIR", help="write a Markdown report with PNG charts")
    p.add_argument(
        "--baseline",
        action="store_true",
        help="also measure the retrieval of plain LangChain pipelines on the same set",
    )
    p.add_argument(
        "--mode",
        choices=("extractive", "llm"),
        default="extractive",
        help="extractive (default, no LLM) or llm (needs JJQA_LLM_BASE_URL, JJQA_LLM_MODEL, "
        "JJQA_LLM_API_KEY; skipped without them)",
    )
    squad = p.add_argument_group(
        "reading comprehension (SQuAD format)",
        "index N passages of a SQuAD-format file as the documents, ask their questions and as "
        "many from other passages (which should be refused), beside a one-line BM25 baseline",
    )
    squad.add_argument("--squad", metavar="FILE", help="a SQuAD-format JSON file")
    squad.add_argument(
        "--by-article", action="store_true", help="one document per article (default: per passage)"
    )
    squad.add_argument(
        "--passages", type=int, default=40, metavar="N", help="documents in the corpus (40)"
    )
    squad.add_argument("--seed", type=int, default=0, help="which sample (0)")
    squad.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="all (default), or the fit or validate half of the project's own sets",
    )
    p.add_argument("--check", action="store_true", help="fail when a metric misses a threshold")
    p.add_argument(
        "--thresholds",
        default=str(DEFAULT_THRESHOLDS),
        metavar="FILE",
        help="thresholds for --check (default eval/thresholds.toml)",
    )
    return p


def build_bot(mode: str):
    """A finished Bot for the mode: extractive ignores any configured LLM."""
    from bot import Bot

    if mode == "extractive":
        return Bot.from_env(llm_base_url=None, llm_model=None, llm_api_key=None)
    return Bot.from_env()


def embedder_of(bot):
    """The bot's embedding model, so that the baselines embed with the same one."""
    from index.embed import get_embedder

    return getattr(bot, "embedder", None) or get_embedder(bot.settings)


def shown(path: str) -> str:
    """A path as people would type it: relative to the project root when inside it."""
    try:
        return Path(path).resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path


def main(argv: list[str] | None = None, bot=None) -> int:
    """Run the command line; `bot` is a finished Bot to evaluate instead of building one."""
    args = parser().parse_args(argv)
    if args.squad:
        return reading_main(args, argv)
    if args.mode == "llm" and not Settings.from_env().llm_enabled:
        print(
            "skipped: --mode llm needs JJQA_LLM_BASE_URL, JJQA_LLM_MODEL and JJQA_LLM_API_KEY; "
            "none is evaluated without an LLM endpoint"
        )
        return 0
    try:
        qa = load_qa(args.qa, args.article)
        limits = load_thresholds(args.thresholds) if args.check else None
    except (QASetError, ThresholdsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        from eval import baseline, report, runner

        bot = bot or build_bot(args.mode)
        results = runner.run(bot, qa)
        embedder = embedder_of(bot)
        evaluation = runner.Evaluation(
            qa=shown(args.qa),
            mode=args.mode,
            embed_model=getattr(embedder, "name", bot.settings.embed_model),
            results=results,
        )
        if args.baseline:
            evaluation.baselines = baseline.run(qa, embedder, bot.settings.docs_dir)
    except JJQAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(
        json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2)
        if args.json
        else report.text(evaluation)
    )
    if args.report:
        command = shlex.join(
            ["python", "-m", "eval", *(argv if argv is not None else sys.argv[1:])]
        )
        path = report.write(evaluation, args.report, command=command)
        print(f"report written to {path}", file=sys.stderr)
    if limits is not None:
        return _gate(evaluation.overall(), limits, args.thresholds, args.json)
    return 0


def reading_main(args, argv) -> int:
    """`--squad`: a sample of a SQuAD-format set as the corpus."""
    from eval import reading
    from eval.squad import load_units, sample

    thresholds = args.thresholds
    if thresholds == str(DEFAULT_THRESHOLDS):
        thresholds = str(reading.DEFAULT_THRESHOLDS)
    try:
        units = load_units(args.squad, args.by_article)
        chosen = sample(units, args.passages, args.seed, args.split)
        limits = load_thresholds(thresholds, reading.LABELS) if args.check else None
    except (SquadError, ThresholdsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not chosen.inside:
        print(f"error: no questions in the {args.split} split of {args.squad}", file=sys.stderr)
        return 2
    try:
        evaluation = reading.evaluate(chosen, shown(args.squad), progress=not args.json)
    except JJQAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    evaluation.command = shlex.join(
        ["python", "-m", "eval", *(argv if argv is not None else sys.argv[1:])]
    )
    if args.json:
        print(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(reading.text(evaluation))
    if args.report:
        path = reading.write(evaluation, args.report)
        print(f"report written to {path}", file=sys.stderr)
    if limits is not None:
        return _gate(evaluation.metrics(), limits, thresholds, args.json)
    return 0


def _gate(metrics: dict, limits: dict, thresholds: str, as_json: bool) -> int:
    """`--check`: print each failure (or that all passed) and give the exit code."""
    out = sys.stderr if as_json else sys.stdout
    failures = check(metrics, limits)
    for line in failures:
        print(f"check failed: {line}", file=out)
    if failures:
        return 1
    print(f"check passed: every metric meets {thresholds}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
