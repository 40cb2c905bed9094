"""Command line: `python -m index build` brings the index up to date, `status` describes it,
`add`, `remove` and `list` manage the documents it is built from."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from bot.errors import JJQAError
from bot.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index",
        description="建立或查看问答的检索索引（文档来自 JJQA_DOCS_DIR，默认 docs/）。",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="建立索引：只嵌入有变化的文档，完成后原子切换")
    build.add_argument("--force", action="store_true", help="全部重新嵌入")
    build.add_argument("--quiet", action="store_true", help="不显示进度条")
    status = sub.add_parser("status", help="显示文档数、片段数、嵌入模型和建立时间")
    status.add_argument("--json", action="store_true", help="输出 JSON")
    add = sub.add_parser(
        "add",
        help="添加文档（.txt、.md、网页、PDF、DOCX），检查通过后复制进文档目录并更新索引",
        description="每个文件先按内容判断格式、检查大小并试读；有一个不行就一个也不添加。",
    )
    add.add_argument("files", nargs="+", metavar="FILE", help="要添加的文件")
    add.add_argument("--replace", action="store_true", help="替换同名文档")
    add.add_argument("--no-build", action="store_true", help="只复制文件，不更新索引")
    add.add_argument("--quiet", action="store_true", help="不显示进度条")
    remove = sub.add_parser("remove", help="从文档目录删除文档并更新索引")
    remove.add_argument("names", nargs="+", metavar="NAME", help="文档名（见 list）")
    remove.add_argument("--no-build", action="store_true", help="只删除文件，不更新索引")
    remove.add_argument("--quiet", action="store_true", help="不显示进度条")
    listing = sub.add_parser("list", help="列出文档：名称、格式、大小、片段数、加入时间、内容哈希")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        if args.command == "build":
            from index.build import build_index

            report = build_index(settings, force=args.force, progress=not args.quiet)
            print(report.summary())
        elif args.command in ("add", "remove", "list"):
            from index import manage

            if args.command == "add":
                manage.add(settings, args.files, args.replace, not args.no_build, not args.quiet)
            elif args.command == "remove":
                manage.remove(settings, args.names, not args.no_build, not args.quiet)
            else:
                manage.show(settings, args.json)
        else:
            return _status(settings, args.json)
    except JJQAError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断：正在使用的索引没有改变。", file=sys.stderr)
        return 130
    return 0


def _status(settings: Settings, as_json: bool) -> int:
    """Describe the live build after checking it; exit status 1 when it is damaged."""
    from index.store import IndexStore

    store = IndexStore(settings)
    manifest = store.current()
    try:
        integrity = store.check(manifest) if manifest else None
    except Exception as e:  # a Chroma server that stopped answering: an outage, in one line
        where = settings.chroma_url or settings.data_dir
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"错误：无法检查 {where} 的索引（{why}）", file=sys.stderr)
        return 1
    if as_json:
        found = manifest.to_dict() if manifest else None
        if found is not None:
            found["integrity"] = integrity.to_dict()
        print(json.dumps(found, ensure_ascii=False, indent=1))
        return 0 if integrity is None or integrity.ok else 1
    if manifest is None:
        print("还没有索引：运行 python -m index build（或直接提问，机器人会自动建立）。")
        return 0
    print(f"位置：    {settings.chroma_url or settings.data_dir / 'index' / manifest.build}")
    print(f"文档：    {len(manifest.documents)} 篇")
    for source, info in sorted(manifest.documents.items()):
        print(f"  - {source}：{info['chunks']} 个片段")
    print(f"片段：    {manifest.chunks} 个")
    print(f"嵌入模型：{manifest.model}")
    print(f"建立于：  {manifest.built_at}（用时 {manifest.build_seconds} 秒）")
    if not integrity.ok:
        print(f"已损坏：  {'；'.join(integrity.problems)}。运行 python -m index build 修复。")
        return 1
    checked = "向量数与清单一致" if store.remote else "SQLite 检查通过，向量数与清单一致"
    print(f"检查：    完好（{checked}，{integrity.vectors} 个）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
