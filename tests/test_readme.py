"""The README's table of recognised names is the code's (scripts/alias_table.py writes it)."""

from __future__ import annotations

import runpy
from pathlib import Path

from medpath.columns import SCREENING_ALIASES, VISIT_ALIASES

ROOT = Path(__file__).resolve().parent.parent


def test_alias_table_in_readme_is_generated_from_the_code():
    script = runpy.run_path(str(ROOT / "scripts" / "alias_table.py"))
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script["updated"](text) == text, "README.md's alias table is stale: run python scripts/alias_table.py"


def test_alias_table_lists_every_alias_under_its_field():
    table = runpy.run_path(str(ROOT / "scripts" / "alias_table.py"))["render"]()
    rows = {
        (line.split(" | ")[0].lstrip("| "), line.split(" | ")[1].strip("`")): line for line in table.splitlines()[2:]
    }
    for kind, aliases in (("screening", SCREENING_ALIASES), ("visits", VISIT_ALIASES)):
        for alias, field in aliases.items():
            assert f"`{alias}`" in rows[(kind, field)], (kind, field, alias)
    assert "`jeniskelamin`" in rows[("screening", "sex")]
