"""Checks the built docs site's API pages as a user reads them (run by .ci/run after `mkdocs build`).

For every page under `api/`: no dunder or machinery member headings (`__doc__`, `fn`, `in_keras`, ...),
every doctest example inside a `<pre>` (a code block, not a flattened paragraph), and no type cell that
reads a bare `Union`, `Optional` or `Annotated`.

    python tools/check_docs_html.py SITE_DIR
"""

from __future__ import annotations

import html
import pathlib
import re
import sys

MACHINERY = ("fn", "in_keras", "couples_batch", "default_name")


def problems(page: pathlib.Path) -> list[str]:
    text = page.read_text()
    found = []
    for anchor in re.findall(r'<h\d id="(jaxloss\.[\w.]+)"', text):
        member = anchor.rsplit(".", 1)[-1]
        if member.startswith("__") or member in MACHINERY:
            found.append(f"member heading {anchor}")
    outside_pre = re.sub(r"<pre\b.*?</pre>", "", text, flags=re.S)
    if "&gt;&gt;&gt;" in outside_pre or ">>>" in re.sub(r"<[^>]+>", "", outside_pre):
        found.append("a doctest example outside a <pre> code block")
    for cell in re.findall(r"<td>\s*<code>(.*?)</code>\s*</td>", text, flags=re.S):
        shown = html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        if shown in ("Union", "Optional", "Annotated") or re.match(r"(Union|Optional|Annotated)\[", shown):
            found.append(f"type cell {shown!r}")
    return found


def main(site: str) -> int:
    pages = sorted(pathlib.Path(site, "api").rglob("*.html"))
    if not pages:
        print(f"no API pages under {site}/api", file=sys.stderr)
        return 1
    failures = {str(page): found for page in pages if (found := problems(page))}
    for page, found in failures.items():
        print(f"{page}: {len(found)} problems, e.g. {found[:3]}", file=sys.stderr)
    print(f"checked {len(pages)} API pages: {'ok' if not failures else 'FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
