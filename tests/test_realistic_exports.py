"""The realistic-exports corpus of issue 11 (``tests/corpus/make_realistic.py``): every case read to the
numbers a careful person reads off the file, through the app's load path (``medpath.study.load_study``)
and through the CLI (``medpath.cli.main(["summary", "--json", ...])`` in-process).

For each case: the pairs analysed per outcome (baseline vs month 6), each patient's baseline and month-6
values, screened and enrolled, the exit code, and the findings: each picked by its severity and code, never
by its wording, and then checked for a key phrase of its message. The expected numbers are written by hand
in the generator (they are the file's own numbers), never computed by MedPath.
"""

from __future__ import annotations

import json
import math
import statistics

import make_realistic
import pytest

from medpath.cli import main
from medpath.eligibility import evaluate_study
from medpath.protocol import default_protocol
from medpath.study import load_study

CASES = {case.name: case for case in make_realistic.cases()}


def _params():
    for name, case in sorted(CASES.items()):
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_realistic.build(tmp_path_factory.mktemp("realistic"))


def _pairs(visits, outcome: str) -> dict[str, tuple[float, float]]:
    """patient -> (baseline, month 6) for the patients with both values of ``outcome``."""
    out = {}
    for pid, rows in visits.groupby("patient_id", sort=False):
        by_month = dict(zip(rows["month"], rows[outcome]))
        first, last = by_month.get(0.0, math.nan), by_month.get(6.0, math.nan)
        if not math.isnan(first) and not math.isnan(last):
            out[pid] = (first, last)
    return out


def _assert_findings(findings: list[tuple[str, str, str]], case) -> None:
    """``findings``: (severity, code, message) each. The case's expected findings are picked by severity and code;
    a phrase, if given, must be in the message of one of them. No finding has a code of ``case.absent``."""
    for severity, code, *phrase in case.findings:
        chosen = [m for s, c, m in findings if s == severity and c == code]
        assert chosen, (severity, code, findings)
        assert not phrase or any(phrase[0] in m for m in chosen), (severity, code, phrase[0], chosen)
    for code in case.absent:
        assert not [m for _, c, m in findings if c == code], (code, findings)


@pytest.mark.parametrize("name", list(_params()))
def test_load_path_reads_what_a_careful_person_reads(name):
    case = CASES[name]
    study = load_study(case.files(), protocol=default_protocol())
    _assert_findings([(f.severity, f.code, f.message) for f in study.findings], case)
    assert bool(study.errors) == (case.exit_code == 2), [str(f) for f in study.errors]
    for outcome, n in case.n.items():
        pairs = _pairs(study.visits, outcome) if len(study.visits) else {}
        assert len(pairs) == n, (outcome, pairs)
        if outcome in case.values:
            expected_pairs = case.values[outcome]
            assert pairs.keys() == expected_pairs.keys(), outcome
            for pid, values in expected_pairs.items():  # approx takes no nested containers (pytest >= 9.1)
                assert pairs[pid] == pytest.approx(values), (outcome, pid)
    for (pid, visit), expected in case.visits.items():
        row = study.visits[(study.visits["patient_id"] == pid) & (study.visits["visit"] == visit)]
        assert len(row) == 1, (pid, visit)
        assert {k: row.iloc[0][k] for k in expected} == pytest.approx(expected)
    steps = {step.id: step.n for step in evaluate_study(study).steps}
    assert steps.get("screened") == case.screened
    if case.enrolled is not None:
        assert steps["enrolled"] == case.enrolled


@pytest.mark.parametrize("name", list(_params()))
def test_cli_summary_reads_what_a_careful_person_reads(name, corpus, capsys):
    case = CASES[name]
    code = main(["summary", "--json", *map(str, corpus[name])])
    summary = json.loads(capsys.readouterr().out)
    assert code == case.exit_code
    _assert_findings([(f["severity"], f["code"], f["message"]) for f in summary["findings"]], case)
    for outcome, n in case.n.items():
        result = summary["outcomes"].get(outcome) or {}
        assert result.get("n_pairs", 0) == n, (outcome, result)
        if n:
            values = case.values[outcome].values()
            assert result["baseline_median"] == pytest.approx(statistics.median(v[0] for v in values))
            assert result["followup_median"] == pytest.approx(statistics.median(v[1] for v in values))
    funnel = {step["id"]: step["n"] for step in summary["funnel"]}
    assert summary["screened"] == case.screened
    if case.enrolled is not None:
        assert funnel["enrolled"] == case.enrolled


def test_the_corpus_has_at_least_fifteen_exports_and_they_are_distinct():
    assert len(CASES) >= 15
    datas = [data for case in CASES.values() for _, data in case.files()]
    assert len({bytes(d) for d in datas}) == len(datas)


def test_the_dxa_report_would_give_wrong_classes_if_l1_were_read():
    """Why the L1-L4 rule matters: three of the five baseline L1 T-scores are above -2.5 (osteopenia)."""
    l1 = [v[0] for v in make_realistic.L1_TSCORE.values()]
    total = [v[0] for v in make_realistic.TSCORE.values()]
    assert sum(t > -2.5 for t in l1) == 3 and all(t <= -2.5 for t in total)
