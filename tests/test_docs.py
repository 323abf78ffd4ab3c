"""The docs site lists every public name, and its guides include README sections that exist."""

import pathlib
import re

import jaxloss

ROOT = pathlib.Path(__file__).parents[1]
DOCS = ROOT / "docs"


def test_every_public_name_is_in_the_api_pages():
    rendered = set()
    for page in (DOCS / "api").glob("*.md"):
        text = page.read_text()
        rendered |= set(re.findall(r"^::: jaxloss\.(\w+)$", text, flags=re.M))
        rendered |= set(re.findall(r"`jaxloss\.(\w+)`", text))
    assert sorted(set(jaxloss.__all__) - {"__version__"} - rendered) == []


def test_every_page_is_in_the_nav_and_every_snippet_exists():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.rglob("*.md"):
        assert str(page.relative_to(DOCS)) in nav, f"{page} is not in mkdocs.yml's nav"
        for source, section in re.findall(r'--8<-- "([^":]+)(?::([\w-]+))?"', page.read_text()):
            assert (ROOT / source).exists()
            if section:
                text = (ROOT / source).read_text()
                assert f"[start:{section}]" in text and f"[end:{section}]" in text, (source, section)
