"""Issue 23's acceptance test: the trust corpus (``tests/corpus/make_trust.py``), exports kept the way study teams
keep them, each with truths written by hand in the case.

The rule: **MedPath must never show a wrong number without an error beside it.** For every headline number of a
case (screened / enrolled / completed, each primary outcome's pairs and exact Wilcoxon p, the adverse-event counts)
``medpath summary FILES --json`` (run in-process) must show the truth, or ``null`` (not determinable) with at least
one error finding. A wrong number fails even beside errors; a missing number with warnings only fails; a truth
``NOT_DETERMINABLE`` passes only as null with an error. Cases that fail are the work list of issue 23: none is
marked xfail and no truth is weakened to pass.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import make_trust
import pytest

from medpath.cli import main

CASES = {c.name: c for c in make_trust.cases()}


def passes(read: Any, truth: Any, has_error: bool) -> bool:
    """The pass rule of one number: the truth, or null beside an error (a ``NOT_DETERMINABLE`` truth: only
    null beside an error)."""
    if truth is make_trust.NOT_DETERMINABLE:
        return read is None and has_error
    if read is None:
        return has_error
    if isinstance(read, bool) or not isinstance(read, int | float):
        return False
    if isinstance(truth, float):
        return math.isclose(read, truth, rel_tol=1e-9, abs_tol=1e-12)
    return read == truth


def _funnel(summary: dict, step: str) -> Any:
    return next((s.get("n") for s in summary.get("funnel") or [] if s.get("id") == step), None)


def read_numbers(summary: dict, truth: dict) -> dict[str, Any]:
    """The numbers of ``summary`` that ``truth`` names, under the same flat names (a key absent: None)."""
    read: dict[str, Any] = {}
    for step in ("screened", "enrolled", "completed"):
        if step in truth:
            read[step] = _funnel(summary, step)
    for key in truth.get("outcomes", {}):
        outcome = (summary.get("outcomes") or {}).get(key) or {}
        read[f"{key}.n_pairs"] = outcome.get("n_pairs")
        read[f"{key}.p_value"] = (outcome.get("wilcoxon") or {}).get("p_value")
    if "adverse_events" in truth:
        events = summary.get("adverse_events") or {}
        for name in truth["adverse_events"]:
            read[f"adverse_events.{name}"] = events.get(name)
    return read


def flat_truth(truth: dict) -> dict[str, Any]:
    flat = {step: truth[step] for step in ("screened", "enrolled", "completed") if step in truth}
    for key, (n_pairs, p_value) in truth.get("outcomes", {}).items():
        flat[f"{key}.n_pairs"] = n_pairs
        flat[f"{key}.p_value"] = p_value
    for name, value in truth.get("adverse_events", {}).items():
        flat[f"adverse_events.{name}"] = value
    return flat


def run_summary(case: make_trust.TrustCase, folder: Path, capsys) -> tuple[int, dict]:
    data, mapping = [], None
    for name, content in case.files():
        path = folder / name
        path.write_bytes(content)
        if name == case.mapping:
            mapping = path
        else:
            data.append(str(path))
    args = ["summary", *data, "--json"]
    if case.protocol:
        args += ["--protocol", case.protocol]
    if mapping is not None:
        args += ["--mapping", str(mapping)]
    capsys.readouterr()
    code = main(args)
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(CASES), ids=sorted(CASES))
def test_no_wrong_number_without_an_error_beside_it(name, tmp_path, capsys):
    case = CASES[name]
    code, summary = run_summary(case, tmp_path, capsys)
    findings = summary.get("findings") or []
    errors = [f for f in findings if f.get("severity") == "error"]
    warnings = [f for f in findings if f.get("severity") == "warning"]
    truth, read = flat_truth(case.truth), read_numbers(summary, case.truth)

    problems = []
    for key, expected in truth.items():
        if not passes(read[key], expected, bool(errors)):
            problems.append(f"  {key}: truth {expected!r}, read {read[key]!r}")
    if code != (2 if errors else 0):
        problems.append(f"  exit code {code} with {len(errors)} error finding(s)")
    if case.exit_code is not None and code != case.exit_code:
        problems.append(f"  exit code: expected {case.exit_code}, got {code}")

    def line(f: dict) -> str:
        where = ", ".join(str(f.get(k)) for k in ("file", "sheet", "row", "column") if f.get(k) is not None)
        return f"    [{f.get('severity')}] {where}: {f.get('message')}"

    assert not problems, "\n".join(
        [
            f"{name}: {case.what}",
            "numbers (truth vs read):",
            *problems,
            f"findings: {len(errors)} error(s), {len(warnings)} warning(s)",
            *(line(f) for f in errors),
            *(line(f) for f in warnings[:15]),
        ]
    )


def test_the_corpus_has_the_cases_of_issue_23_and_they_are_distinct():
    assert len(CASES) >= 14
    datas = [data for case in CASES.values() for _, data in case.files() if not _ == case.mapping]
    assert len({bytes(d) for d in datas}) == len(datas)
    for case in CASES.values():
        assert case.what, case.name
        assert flat_truth(case.truth), case.name


def test_the_pass_rule():
    """The helper itself: a wrong number fails even with errors; null passes only beside an error."""
    nd = make_trust.NOT_DETERMINABLE
    assert passes(5, 5, False) and passes(0.125, 0.125, False)
    assert not passes(9, 5, True)
    assert passes(None, 5, True) and not passes(None, 5, False)
    assert passes(None, nd, True) and not passes(None, nd, False) and not passes(0.125, nd, True)
    assert not passes(True, 1, False)
