"""The article in the formats people publish: a news site's web page (navigation, sidebar and
footer around it), that page printed to PDF by Debian's Chromium, and a Word file written with
python-docx. Tests and `make formats` make them from docs/jiangjin.txt with these real tools.

    python tests/formats/make_files.py OUT_DIR     # jiangjin.html, .pdf, -untagged.pdf, .docx
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "docs" / "jiangjin.txt"
CHROMIUM = Path("/usr/bin/chromium")
AUTHOR = "唐楸 陈元媛"
PUBLISHED = "2021-01-19"
SITE = "江津新闻网"
NAV = ["首页", "新闻中心", "江津要闻", "区县动态", "政务公开", "办事服务", "互动交流", "专题专栏"]
SIDEBAR = [
    "区政府召开常务会议研究部署近期工作",
    "全区安全生产工作会议召开",
    "市民服务中心新增一批便民服务事项",
    "长江江津段开展禁渔执法专项行动",
    "区图书馆推出寒假少儿阅读活动",
]
FOOTER = [
    "主办：江津新闻网 版权所有 未经授权禁止转载",
    "地址：江津区几江街道 邮编：402260 联系电话：023-00000000",
    "渝ICP备00000000号-1 渝公网安备 50038102000000号",
]
HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*$")


def article_blocks() -> list[tuple[str, str]]:
    """The article's lines as (kind, text): h1-h6, p, figcaption or credit, in order. Which
    short lines are captions is what the text loader decides for the .txt."""
    from index.load import load_document

    loaded = load_document(ARTICLE, "docs/jiangjin.txt")
    captions = {p.text for p in loaded.passages if p.kind == "caption"}
    blocks = []
    for line in ARTICLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        heading = HEADING.match(line)
        if heading:
            blocks.append((f"h{len(heading.group(1))}", heading.group(2)))
        elif line in captions and "提供" in line:
            blocks.append(("credit", line))
        elif line in captions:
            blocks.append(("figcaption", line))
        else:
            blocks.append(("p", line))
    return blocks


def page_html() -> str:
    """The article as a news site serves it: header and navigation, breadcrumbs, the article
    with its photos, a sidebar of other headlines, and the footer."""
    e = html.escape
    body, photo = [], 0
    for kind, text in article_blocks():
        if kind == "figcaption":
            photo += 1
            body.append(
                f'<figure><img src="/uploads/2021/01/photo{photo}.jpg" alt="">'
                f"<figcaption>{e(text)}</figcaption></figure>"
            )
        elif kind == "credit":
            body.append(f'<p class="credit">{e(text)}</p>')
        elif kind == "p" and text.replace(" ", "") == AUTHOR.replace(" ", ""):
            body.append(f'<p class="author">{e(text)}</p>')
        else:
            body.append(f"<{kind}>{e(text)}</{kind}>")
    title = next(t for k, t in article_blocks() if k == "h1")
    nav = "".join(f'<li><a href="/c/{i}/">{e(n)}</a></li>' for i, n in enumerate(NAV))
    side = "".join(f'<li><a href="/n/{i}.html">{e(s)}</a></li>' for i, s in enumerate(SIDEBAR))
    foot = "".join(f"<p>{e(f)}</p>" for f in FOOTER)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}_{SITE}</title>
<meta name="author" content="{e(AUTHOR)}">
<meta property="article:published_time" content="{PUBLISHED}T08:30:00+08:00">
<meta name="keywords" content="江津,主城都市区,十四五">
<style>
body {{ font-family: "Noto Serif CJK SC", serif; margin: 0; }}
header, footer {{ background: #0b4f8a; color: #fff; padding: 8px 24px; }}
nav ul, aside ul {{ list-style: none; padding: 0; }}
nav li {{ display: inline-block; margin-right: 16px; }}
nav a, footer a {{ color: #fff; }}
.wrap {{ display: flex; gap: 32px; padding: 16px 24px; }}
main {{ flex: 3; }} aside {{ flex: 1; border-left: 1px solid #ccc; padding-left: 16px; }}
figure {{ margin: 12px 0; }} img {{ width: 320px; height: 180px; background: #ddd; }}
figcaption, .credit {{ color: #555; font-size: 14px; }}
</style>
</head>
<body>
<header><div class="logo">{SITE}</div><nav><ul>{nav}</ul></nav></header>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/c/1/">新闻中心</a> &gt; 江津要闻</div>
<div class="wrap">
<main>
<article>
<div class="info">发布时间：{PUBLISHED} 08:30 来源：{SITE} 作者：{e(AUTHOR)}</div>
{chr(10).join(body)}
</article>
<div class="share">分享到：微信 微博 QQ空间</div>
</main>
<aside><h3>热点新闻</h3><ul>{side}</ul></aside>
</div>
<footer>{foot}</footer>
</body>
</html>
"""


def write_html(folder: Path) -> Path:
    path = Path(folder) / "jiangjin.html"
    path.write_text(page_html(), encoding="utf-8")
    return path


def write_pdf(folder: Path, html_path: Path | None = None, tagged: bool = True) -> Path:
    """Print the web page to PDF with Debian's Chromium, as a person saving it would; with
    `tagged=False`, without the structure tags (as many older tools write PDFs)."""
    html_path = html_path or write_html(folder)
    pdf = Path(folder) / ("jiangjin.pdf" if tagged else "jiangjin-untagged.pdf")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                *([] if tagged else ["--disable-pdf-tagging"]),
                f"--print-to-pdf={pdf}",
                html_path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return pdf


def write_docx(folder: Path) -> Path:
    """A Word file with python-docx: Title, Subtitle and Heading styles, body paragraphs, captions, and the
    author and date in its properties."""
    from datetime import datetime, timezone

    import docx

    document = docx.Document()
    levels = {"h1": 0, "h3": 1, "h4": 2}  # Title, then Heading 1, 2 for the sections
    for kind, text in article_blocks():
        if kind in levels:
            document.add_heading(text, level=levels[kind])
        elif kind == "h2":
            document.add_paragraph(text, style="Subtitle")
        elif kind in ("figcaption", "credit"):
            document.add_paragraph(text, style="Caption")
        else:
            document.add_paragraph(text)
    props = document.core_properties
    props.author = AUTHOR
    props.title = next(t for k, t in article_blocks() if k == "h1")
    props.created = datetime.fromisoformat(PUBLISHED).replace(tzinfo=timezone.utc)
    path = Path(folder) / "jiangjin.docx"
    document.save(path)
    return path


def write_all(folder: Path) -> dict[str, Path]:
    """jiangjin.html, .pdf, -untagged.pdf and .docx in folder (the PDFs need
    /usr/bin/chromium)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    page = write_html(folder)
    return {
        "html": page,
        "pdf": write_pdf(folder, page),
        "pdf-untagged": write_pdf(folder, page, tagged=False),
        "docx": write_docx(folder),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    sys.path.insert(0, str(ROOT))
    for kind, path in write_all(Path(sys.argv[1])).items():
        print(f"{kind}: {path} ({path.stat().st_size:,} bytes)")
