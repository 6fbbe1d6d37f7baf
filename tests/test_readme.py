"""The README is a front door and the docs/ pages hold the rest (issue 23, item 8): the README stays short, names the
two set-up commands and links every page; every relative link of the README and docs/*.md leads somewhere; the table
of recognised names in docs/your-data.md is the code's (scripts/alias_table.py writes it)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from urllib.parse import unquote

import pytest

from medpath.pipeline.map.schema import schema_of
from medpath.protocol import default_protocol

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
ALIAS_PAGE = DOCS / "your-data.md"

FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def outside_fences(text: str) -> list[str]:
    """The lines outside fenced code blocks (a link or heading in a code block is not one)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown file: lower case, punctuation dropped, spaces as hyphens, repeats -1, -2."""
    counts: dict[str, int] = {}
    found = set()
    for line in outside_fences(path.read_text(encoding="utf-8")):
        if match := HEADING.match(line):
            slug = re.sub(r"[^\w\- ]", "", match.group(2).lower()).replace(" ", "-")
            found.add(f"{slug}-{counts[slug]}" if slug in counts else slug)
            counts[slug] = counts.get(slug, 0) + 1
    return found


def relative_links(path: Path) -> list[str]:
    lines = [CODE_SPAN.sub(lambda m: "x" * len(m.group(0)), line) for line in outside_fences(path.read_text("utf-8"))]
    links = [m.group(1) for line in lines for m in LINK.finditer(line)]
    return [link for link in links if not re.match(r"^[a-z][a-z0-9+.-]*:", link, re.IGNORECASE)]


# --- the README is a front door ------------------------------------------------------------------------------------


def test_the_readme_is_at_most_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move the detail to a page in docs/"


def test_the_readme_names_the_two_set_up_commands():
    text = README.read_text(encoding="utf-8")
    block = text.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["bash scripts/run.sh", "bash scripts/test.sh"]


def test_the_readme_shows_a_screenshot_and_links_every_docs_page():
    links = {(README.parent / unquote(link.split("#")[0])).resolve() for link in relative_links(README)}
    assert any(p.suffix == ".png" and p.parent == (DOCS / "screenshots").resolve() for p in links)
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in links]
    assert not missing, f"docs pages not linked from the README's 'Where to go next': {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path):
    broken = []
    for link in relative_links(page):
        target, _, anchor = link.partition("#")
        path = (page.parent / unquote(target)).resolve() if target else page
        if not path.exists():
            broken.append(f"{link}: no file {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{link}: no heading '#{anchor}' in {path.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_anchor_rule_is_githubs():
    page = ALIAS_PAGE
    assert "mapping-profile-your-teams-own-column-names-values-and-sheets" in anchors(page)
    assert "set-up-two-commands" in anchors(README)
    assert "summary-and-summary---json" in anchors(DOCS / "command-line.md")


# --- the table of recognised names, in docs/your-data.md ----------------------------------------------------------


def test_alias_table_in_docs_is_generated_from_the_code():
    script = runpy.run_path(str(ROOT / "scripts" / "alias_table.py"))
    assert Path(script["PAGE"]).resolve() == ALIAS_PAGE.resolve()
    text = ALIAS_PAGE.read_text(encoding="utf-8")
    assert script["START"] in text and script["END"] in text
    assert script["updated"](text) == text, (
        "docs/your-data.md's alias table is stale: run python scripts/alias_table.py"
    )
    assert script["START"] not in README.read_text(encoding="utf-8"), "the alias table lives in docs/your-data.md"


def test_alias_table_lists_every_alias_under_its_field():
    table = runpy.run_path(str(ROOT / "scripts" / "alias_table.py"))["render"]()
    rows = {
        (line.split(" | ")[0].lstrip("| "), line.split(" | ")[1].strip("`")): line for line in table.splitlines()[2:]
    }
    schema = schema_of(default_protocol())
    for kind, aliases in (("screening", schema.screening_aliases), ("visits", schema.visit_aliases)):
        for alias, field in aliases.items():
            assert f"`{alias}`" in rows[(kind, field)], (kind, field, alias)
    assert "`jeniskelamin`" in rows[("screening", "sex")]
