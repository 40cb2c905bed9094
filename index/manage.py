"""The document commands of `python -m index`: add files, remove documents, list them. Adding
and removing bring the index up to date afterwards (unless told not to), so the bot serving
from the same data directory switches to the new build by itself."""

from __future__ import annotations

import json
from pathlib import Path

from bot.settings import Settings
from index.documents import Documents
from index.formats import NAMES, size_text


def add(settings: Settings, files: list[str], replace: bool, build: bool, progress: bool) -> None:
    """Check every file, then copy them all into the documents folder (or none); raises
    DocumentError naming the first file that is refused."""
    names = Documents(settings).add_files([Path(f) for f in files], replace=replace)
    for name in names:
        print(f"已添加：{name}")
    if build:
        _build(settings, progress)


def remove(settings: Settings, names: list[str], build: bool, progress: bool) -> None:
    """Delete documents by name (all are checked before any is deleted)."""
    for name in Documents(settings).remove(names):
        print(f"已删除：{name}")
    if build:
        _build(settings, progress)


def show(settings: Settings, as_json: bool) -> None:
    """Print every document: name, format, size, chunks, date added and content hash."""
    infos = Documents(settings).list()
    if as_json:
        print(json.dumps([i.to_dict() for i in infos], ensure_ascii=False, indent=1))
        return
    if not infos:
        print(f"{settings.docs_dir} 里还没有文档：python -m index add 文件…")
        return
    print("名称\t格式\t大小\t片段\t加入时间\t内容哈希")
    for i in infos:
        chunks = str(i.chunks) if i.indexed else "未建索引"
        added = i.added or "-"
        fmt = NAMES.get(i.format, i.format)
        print(f"{i.name}\t{fmt}\t{size_text(i.bytes)}\t{chunks}\t{added}\t{i.sha256[:12]}")


def _build(settings: Settings, progress: bool) -> None:
    from index.build import build_index

    print(build_index(settings, progress=progress).summary())
