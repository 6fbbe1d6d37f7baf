"""The protocol as data (issue 15): one YAML file per trial, refused with its line when wrong; generic code holds
no trial literal; a second (fictional) protocol runs end to end on its own sample; one analysis feeds all."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from medpath.analysis import Settings, analyse
from medpath.pipeline.map.columns import normalise
from medpath.pipeline.map.schema import schema_of
from medpath.protocol import Decoration, ProtocolError, bundled, default_protocol, parse_protocol
from medpath.report import build_report
from medpath.slides import build_deck
from medpath.study import load_sample_study
from medpath.summary import summarise

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YAML = (ROOT / "medpath" / "protocols" / "nct04501354.yaml").read_text(encoding="utf-8")


def _problems(text: str) -> list[str]:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "p.yaml")
    return caught.value.lines()


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_bundled_protocols_default_first_with_their_samples_and_texts():
    protocols = bundled()
    assert list(protocols)[:1] == ["NCT04501354"] and "DEMO-KOA-PRP" in protocols
    assert default_protocol().id == "NCT04501354"
    for protocol in protocols.values():
        assert protocol.sample is not None and protocol.sample.is_file()
        assert protocol.text  # the committed record the criteria quote
        assert protocol.primary_month in dict(protocol.visits).values()


def test_who_classes_come_from_the_protocol_file():
    """WHO Technical Report Series 843 (1994): normal T >= -1, osteopenia -2.5 < T < -1, osteoporosis T <= -2.5."""
    bands = default_protocol().outcomes["bmd_tscore"].bands
    assert bands is not None and bands.thresholds == (-2.5, -1.0)
    expected = {-3.0: "osteoporosis", -2.5: "osteoporosis", -2.4: "osteopenia", -1.01: "osteopenia", -1.0: "normal"}
    assert {t: bands.classify(t) for t in expected} == expected


@pytest.mark.parametrize(
    ("change", "needle", "message"),
    [
        (
            (
                "better: higher\n    primary: true\n    valid_range: [-7, 5]",
                "better: upward\n    primary: true\n    valid_range: [-7, 5]",
            ),
            "better: upward",
            "must be one of higher, lower",
        ),
        (
            ("kind: at_most\n    field: bmd_tscore", "kind: at_most\n    field: bmd_score"),
            "field: bmd_score",
            "field 'bmd_score' is not declared",
        ),
        (
            ("  primary_month: 6", "  primary_month: 5"),
            "primary_month: 5",
            "the primary visit (5) is not the month of a visit",
        ),
        (("target_n: 5", "target_n: 5\ncolour: blue"), "colour: blue", "unknown key"),
        (("min_above: 3,", "min_above: 2.5,"), "min_above: 2.5", "min_above: must be a whole number (got 2.5)"),
        (("min_above: 3,", "min_above: many,"), "min_above: many", "min_above: must be a number (got 'many')"),
    ],
)
def test_a_protocol_file_with_an_error_is_refused_naming_its_line(change, needle, message):
    old, new = change
    assert old in DEFAULT_YAML
    text = DEFAULT_YAML.replace(old, new, 1)
    problems = _problems(text)
    hit = [p for p in problems if message in p]
    assert hit, problems
    line = int(re.search(r"line (\d+)", hit[0]).group(1))
    # the problem names the line of the offending node, or the line of the list item / mapping that holds it
    assert line <= _line_of(text, needle) and _line_of(text, needle) - line < 40


def test_a_yaml_syntax_error_names_its_line():
    problems = _problems("id: X\ntitle: [unclosed\nsite: y\n")
    assert problems and "not valid YAML" in problems[0] and re.search(r"line [23]\b", problems[0])


def test_generic_code_holds_no_trial_literal():
    """The issue's check: grep -rn "NCT04501354\\|bmd_tscore\\|-2\\.5" medpath/ pages/ finds only protocol files."""
    hits = []
    for folder in ("medpath", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if re.search(r"NCT04501354|bmd_tscore|-2\.5", line):
                    hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == []


#: Words of one trial or one disease (issue 26: generic code holds none outside protocol files).
TRIAL_WORDS = re.compile(
    r"(?i)NCT04501354|bmd_tscore|-2\.5|osteopor|densitomet|womac|umbilical|mesenchymal|\bMSC\b|knee|\bvas\b|infusion"
    r"|diabet|peptide|hba1c|\bGAD\b|remission"
)


def test_generic_code_shows_no_trial_or_disease_word():
    """Every text the code can show (its string literals, docstrings and comments aside) is free of the words of the
    bundled trials: they come from the protocol (intervention, LSC precision name, DXA region, examples)."""
    import ast

    hits = []
    for folder in ("medpath", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            hits += [
                f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:80]!r}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and TRIAL_WORDS.search(node.value)
            ]
    assert hits == []


def test_aliases_follow_the_protocol_passed():
    default, demo = schema_of(default_protocol()), schema_of(bundled()["DEMO-KOA-PRP"])
    assert default.visit_aliases.get(normalise("VAS pain")) == "vas"
    assert demo.visit_aliases.get(normalise("VAS pain")) is None
    assert demo.visit_aliases.get(normalise("WOMAC pain")) == "womac_pain"
    assert schema_of(default_protocol()) is default and hash(default) == hash(default_protocol())  # compiled once


def test_the_second_protocol_runs_end_to_end_on_its_sample():
    demo = bundled()["DEMO-KOA-PRP"]
    study = load_sample_study(demo)
    assert study.protocol is demo and study.synthetic and not study.errors
    analysis = analyse(study)
    assert analysis.followup_month == 3.0 and list(analysis.primary) == ["womac_pain"]
    womac = analysis.primary["womac_pain"]
    # hand count from scripts/make_demo_sample.py: month-3 changes -4, -2, 0, -4, -3, -5, -6
    assert sorted(womac.changes["change"]) == [-6, -5, -4, -4, -3, -2, 0]
    assert womac.median_change == -4
    steps = {s.id: s.n for s in analysis.eligibility.steps}
    assert (steps["screened"], steps["enrolled"], steps["completed"]) == (17, 8, 7)
    assert "womac_pain" in analysis.responders and not analysis.shifts  # no classes in this protocol
    report = build_report(analysis)
    assert "Trial DEMO-KOA-PRP" in report and "WOMAC pain" in report and "T-score" not in report
    assert build_deck(analysis)[:2] == b"PK"


def test_one_analysis_feeds_the_summary():
    study = load_sample_study()
    analysis = analyse(study, Settings(alternative="greater"))
    summary = summarise(analysis)
    for key, comparison in analysis.primary.items():
        assert summary["outcomes"][key]["wilcoxon"]["p_value"] == comparison.wilcoxon.p_value
        assert summary["outcomes"][key]["wilcoxon"]["alternative"] == "greater"
    assert summary["study"]["protocol"] == "NCT04501354"


def test_the_trajectory_tables_are_made_on_first_use_and_kept():
    """``summary --json`` shows no per-patient trajectory table (only the responder rates, from the responder
    tables), so ``analyse`` leaves the series and the class shifts to the first reader (a page, the report, the
    slides); each is then made once per analysis and equals a direct computation."""
    from medpath.trajectories import patient_series, shift_table

    study = load_sample_study()
    analysis = analyse(study)
    summarise(analysis)
    assert not {"series", "shifts"} & set(vars(analysis))  # none made for the summary
    series = analysis.series
    assert analysis.series is series  # kept, not made again
    assert series["vas"].equals(patient_series(study.visits, "vas", study.protocol))
    assert analysis.shifts["bmd_tscore"].equals(shift_table(study.visits, "bmd_tscore", 6, study.protocol))
    assert list(analysis.responders) == ["vas"] and len(analysis.responders["vas"]) == 5


DEMO_TEXT = (ROOT / "medpath" / "protocols" / "demo_knee_prp.yaml").read_text(encoding="utf-8")
ANTIBODY_FIELD = "  - {key: hiv, kind: test, label: HIV test, reason: HIV positive, aliases: [anti hiv, hiv test]}\n"
MUST_BE_POSITIVE = """  - id: antibody_present
    kind: equals
    field: hiv
    value: {value}
    label: Antibody present
    text: 'Inclusion 9: "A positive antibody test."'
"""


def _demo_with(criterion: str) -> str:
    """The demo protocol (without the files beside it) with one more criterion."""
    lines = [line for line in DEMO_TEXT.splitlines(keepends=True) if not line.startswith(("text:", "sample:"))]
    return "".join(lines).replace("\nconventions:", "\n" + criterion + "conventions:")


def test_a_test_that_must_be_positive_is_written_equals_positive():
    """Issue 26: ``equals: positive`` on a test field compared text with the test's true/false and failed every
    candidate; it now requires the test to be positive (True), and a value that is no test result is refused."""
    from medpath.eligibility import MET, NOT_MET, UNKNOWN, criteria

    assert ANTIBODY_FIELD in DEMO_TEXT
    protocol = parse_protocol(_demo_with(MUST_BE_POSITIVE.format(value="Positive")), "p.yaml")
    spec = protocol.criteria[-1]
    assert (spec.kind, spec.fields, spec.value) == ("equals", ("hiv",), True)
    rule = next(c for c in criteria(protocol) if c.id == "antibody_present").rule
    verdicts = rule(pd.DataFrame({"hiv": pd.Series([True, False, None], dtype=object)}))
    assert verdicts.tolist() == [MET, NOT_MET, UNKNOWN]
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(_demo_with(MUST_BE_POSITIVE.format(value="yes")), "p.yaml")
    assert [line.split(": ", 1)[1] for line in refused.value.lines()] == [
        "criteria[8].value: must be one of positive, negative (got 'yes')"
    ]


def test_a_criterion_on_a_field_of_another_kind_is_refused_before_any_data_is_read():
    bound_on_a_test = MUST_BE_POSITIVE.replace("kind: equals", "kind: at_least").format(value=1)
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(_demo_with(bound_on_a_test), "p.yaml")
    assert [line.split(": ", 2)[-1] for line in refused.value.lines()] == [
        "an 'at_least' criterion needs a number field; 'hiv' is a test field"
    ]
    equals_a_number = MUST_BE_POSITIVE.replace("field: hiv", "field: kl_grade").format(value=2)
    assert parse_protocol(_demo_with(equals_a_number), "p.yaml").criteria[-1].value == 2.0


def test_a_decoration_is_kept_as_cells_are_compared_and_may_carry_an_offset():
    text = _demo_with("").replace("      - {after: /20}\n", '      - {after: " / 20 PTS", factor: 0.5, offset: 1}\n')
    womac = parse_protocol(text, "p.yaml").outcomes["womac_pain"]
    assert womac.decorations[0] == Decoration("after", "/20pts", 0.5, "", 1.0)


def test_a_densitometry_outcome_names_the_region_it_analyses():
    text = (ROOT / "medpath" / "protocols" / "nct04501354.yaml").read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("text:", "sample:")))
    assert parse_protocol(text, "p.yaml").outcomes["bmd_tscore"].dxa_site == "L1-L4"
    without = text.replace("    dxa_site: L1-L4       #", "    #", 1)
    with pytest.raises(ProtocolError, match="dxa: needs 'dxa_site' beside it"):
        parse_protocol(without, "p.yaml")
    with pytest.raises(ProtocolError, match=r"dxa_site: must be one of total hip, femoral neck, trochanter, forearm"):
        parse_protocol(text.replace("dxa_site: L1-L4       #", "dxa_site: spine  #", 1), "p.yaml")


SUBGROUP_FIELDS = """  - {key: pregnant, kind: yes_no, label: Pregnant or breastfeeding, reason: pregnant or breastfeeding}
  - {key: haemoglobin, kind: number, label: Haemoglobin (g/dL), bounds: [3, 25]}
"""
SUBGROUP_CRITERIA = """  - id: not_pregnant
    kind: flags_absent
    fields: [pregnant]
    applies_to: {sex: F}
    label: Not pregnant or breastfeeding (women)
    text: 'Exclusion 9: "Pregnant or breastfeeding women."'
  - id: haemoglobin
    kind: at_least
    field: haemoglobin
    value: {M: 13.0, F: 12.0}
    label: Haemoglobin ≥ 13.0 (men) / 12.0 g/dL (women)
    text: 'Inclusion 9: "Haemoglobin at least 13.0 g/dL for men and 12.0 g/dL for women."'
"""


def _subgroup_protocol():
    text = _demo_with(SUBGROUP_CRITERIA).replace(
        "\noutcomes:", "\n" + SUBGROUP_FIELDS.rstrip("\n") + "\n\noutcomes:", 1
    )
    return parse_protocol(text, "p.yaml")


def test_a_limit_by_sex_for_any_number_and_a_criterion_of_a_subgroup():
    """Issue 26, items 3 and 4: haemoglobin ≥ 13.0 g/dL for men and ≥ 12.0 for women; "not pregnant or
    breastfeeding" for women only: a man's empty cell is not applicable (met), never unknown. Verdicts by hand."""
    from medpath.eligibility import MET, NOT_MET, UNKNOWN, criteria

    protocol = _subgroup_protocol()
    rules = {c.id: c for c in criteria(protocol)}
    table = pd.DataFrame(
        {
            "sex": pd.Series(["M", "F", None, None, None, "F", "M", "F"], dtype=object),
            "haemoglobin": [12.5, 12.5, 13.5, 11.0, 12.5, float("nan"), 13.0, 12.0],
            "pregnant": pd.Series([None, True, False, True, None, None, None, False], dtype=object),
        }
    )
    assert rules["haemoglobin"].rule(table).tolist() == [NOT_MET, MET, MET, NOT_MET, UNKNOWN, UNKNOWN, MET, MET]
    assert rules["not_pregnant"].rule(table).tolist() == [MET, NOT_MET, MET, NOT_MET, UNKNOWN, UNKNOWN, MET, MET]
    assert rules["haemoglobin"].reason({"sex": "M", "haemoglobin": 12.5}) == "haemoglobin < 13 (male)"
    assert rules["haemoglobin"].reason({"sex": None, "haemoglobin": 11.0}) == "haemoglobin < 12, sex missing"


def test_a_subgroup_or_a_limit_by_sex_that_cannot_work_is_refused_by_line():
    bad = SUBGROUP_CRITERIA.replace("applies_to: {sex: F}", "applies_to: {sex: W}").replace(
        "value: {M: 13.0, F: 12.0}", "value: {M: 13.0}"
    )
    text = _demo_with(bad).replace("\noutcomes:", "\n" + SUBGROUP_FIELDS.rstrip("\n") + "\n\noutcomes:", 1)
    with pytest.raises(ProtocolError) as refused:
        parse_protocol(text, "p.yaml")
    problems = [line.split(": ", 1)[1] for line in refused.value.lines()]
    assert problems == [
        "criteria[8].applies_to.sex: must be one of m, f (got 'W')",
        "criteria[9].value: 'F' is missing",
    ]


def test_a_women_only_item_written_na_for_men_reads_as_not_applicable_in_the_funnel():
    """As a team keeps it: 'NA' in the pregnant column for the men; the funnel counts them as meeting the women-only
    criterion, not as unknown: by hand 7 of 8 pass it (3 men 'NA', 4 women 'no'; the woman with 'yes' fails)."""
    from conftest import xlsx_bytes

    from medpath.eligibility import evaluate
    from medpath.study import load_study

    protocol = _subgroup_protocol()
    header = [
        *[c for c in protocol.screening_columns if c not in ("pregnant", "haemoglobin")],
        "pregnant",
        "haemoglobin",
    ]
    base = {
        "age": 60,
        "kl_grade": 3,
        "bmi": 28,
        "knee_injection_3m": "no",
        "inflammatory_arthritis": "no",
        "anticoagulant": "no",
        "hiv": "negative",
        "hepatitis_c": "negative",
        "consent": "signed",
        "enrolled": "no",
    }
    people = [("M", "NA", 14.0)] * 3 + [("F", "no", 12.5)] * 4 + [("F", "yes", 12.5)]
    rows = [header] + [
        [{"patient_id": f"C{i}", "sex": sex, "pregnant": pregnant, "haemoglobin": hb, **base}.get(c) for c in header]
        for i, (sex, pregnant, hb) in enumerate(people, start=1)
    ]
    study = load_study([("s.xlsx", xlsx_bytes({"screening": rows}))], protocol=protocol)
    eligibility = evaluate(study.screening, study.visits, protocol, unread=study.unread)
    steps = {s.id: s for s in eligibility.steps}
    assert steps["not_pregnant"].n == 7 and steps["not_pregnant"].unknown == 0
    assert steps["haemoglobin"].n == 7


def test_table_1_holds_the_rows_the_protocol_names():
    """Issue 26, item 8: Table 1 rows of the trial's own choosing (a screening number, a yes/no item, an outcome),
    in the protocol's order; the values checked against the screening log of the enrolled patients."""
    import numpy as np

    from medpath.baseline import baseline_table
    from medpath.consort import consort_flow
    from medpath.study import load_sample_study

    demo = bundled()["DEMO-KOA-PRP"]
    text = (
        (demo.path or Path())
        .read_text(encoding="utf-8")
        .replace("\nconventions:", "\ntable1: [bmi, sex, knee_injection_3m, womac_pain]\nconventions:")
    )
    protocol = parse_protocol(text, demo.path.name if demo.path else "p.yaml", demo.path)
    study = load_sample_study(protocol)
    table = baseline_table(study)
    assert table["characteristic"].tolist()[:5] == [
        "Body mass index (kg/m²)",
        "Sex: female",
        "Sex: male",
        "Knee injection in the last 3 months (yes/no): yes",
        "Knee injection in the last 3 months (yes/no): no",
    ]
    enrolled = list(consort_flow(study).enrolled_ids)
    screening = study.screening.set_index("patient_id").loc[enrolled]
    q1, median, q3 = np.percentile(screening["bmi"].astype(float), [25, 50, 75])
    assert table.loc[0, "n"] == len(enrolled) and table.loc[0, "summary"] == f"{median:.3g} ({q1:.3g} to {q3:.3g})"
    yes = int(screening["knee_injection_3m"].eq(True).sum())
    assert table.loc[3, "summary"] == f"{yes} ({100 * yes / len(enrolled):.0f} %)"
    assert table["characteristic"].tolist()[5].startswith("WOMAC pain") and not any(
        "Age" in c for c in table["characteristic"]
    )
    with pytest.raises(ProtocolError, match="'bmii' is not a Table 1 row.*did you mean 'bmi'"):
        parse_protocol(text.replace("table1: [bmi,", "table1: [bmii,"), "p.yaml")


DATE_FIELDS = """  - {key: screening_date, kind: date, label: screening date}
  - {key: last_immunosuppressant, kind: date, label: last immunosuppressant dose}
  - {key: diagnosis_date, kind: date, label: diagnosis}
"""
DATE_CRITERIA = """  - id: no_recent_immunosuppressant
    kind: days_before
    field: last_immunosuppressant
    reference: screening_date
    at_least: 90
    blank: met
    label: No immunosuppressant in the 90 days before screening
    text: 'Exclusion 9: "Immunosuppressant in the 90 days before screening."'
  - id: recent_diagnosis
    kind: days_before
    field: diagnosis_date
    reference: screening_date
    at_most: 180
    label: Diagnosed at most 180 days before screening
    text: 'Inclusion 9: "Diagnosed at most 180 days before screening."'
"""


def _dated_protocol(criteria: str = DATE_CRITERIA):
    text = _demo_with(criteria).replace("\noutcomes:", "\n" + DATE_FIELDS.rstrip("\n") + "\n\noutcomes:", 1)
    return parse_protocol(text, "p.yaml")


def test_date_fields_and_date_window_criteria():
    """Issue 26, item 2: "no immunosuppressant in the 90 days before screening" (an empty last-dose date is none, as
    the protocol says: blank: met) and "diagnosed at most 180 days before screening"; days counted by hand."""
    import datetime as dt

    from medpath.eligibility import MET, NOT_MET, UNKNOWN, criteria

    rules = {c.id: c for c in criteria(_dated_protocol())}
    d = dt.date
    table = pd.DataFrame(
        {
            "screening_date": [d(2021, 3, 15), d(2021, 3, 15), d(2021, 3, 15), None, d(2021, 3, 15)],
            # 2020-12-15 -> 90 days before 2021-03-15 (16 + 31 + 28 + 15); 2021-01-01 -> 73 days; none; -; after
            "last_immunosuppressant": [d(2020, 12, 15), d(2021, 1, 1), None, d(2020, 1, 1), d(2021, 3, 20)],
            # 2020-09-16 -> 180 days (14 + 31 + 30 + 31 + 31 + 28 + 15); 2020-09-15 -> 181; none; -; after screening
            "diagnosis_date": [d(2020, 9, 16), d(2020, 9, 15), None, d(2020, 1, 1), d(2021, 3, 16)],
        }
    )
    assert rules["no_recent_immunosuppressant"].rule(table).tolist() == [MET, NOT_MET, MET, UNKNOWN, NOT_MET]
    assert rules["recent_diagnosis"].rule(table).tolist() == [MET, NOT_MET, UNKNOWN, UNKNOWN, NOT_MET]
    row = table.iloc[1].to_dict()
    assert (
        rules["no_recent_immunosuppressant"].reason(row) == "last immunosuppressant dose 73 days before screening date"
    )


def test_a_date_window_on_a_field_that_is_no_date_is_refused_by_line():
    bad = DATE_CRITERIA.replace("field: diagnosis_date", "field: hiv").replace("    at_least: 90\n", "")
    with pytest.raises(ProtocolError) as refused:
        _dated_protocol(bad)
    problems = [line.split(": ", 1)[1] for line in refused.value.lines()]
    assert problems == [
        "criteria[8]: a 'days_before' criterion needs one of at_least or at_most (days)",
        "criteria[9]: a 'days_before' criterion counts between dates; 'hiv' is a test field",
    ]


def test_dates_in_a_screening_log_as_a_team_keeps_them_are_read():
    """Excel dates and dates written as text (15/03/2021) are read; a cell that is no date is an error with its place."""
    import datetime as dt

    from conftest import xlsx_bytes

    from medpath.study import load_study

    protocol = _dated_protocol()
    header = list(protocol.screening_columns)
    base = dict.fromkeys(header) | {"patient_id": "C1", "sex": "F", "age": 60, "consent": "signed"}
    rows = [
        header,
        [(base | {"screening_date": dt.datetime(2021, 3, 15), "diagnosis_date": "16/09/2020"}).get(c) for c in header],
        [
            (base | {"patient_id": "C2", "screening_date": "15/03/2021", "diagnosis_date": "soon"}).get(c)
            for c in header
        ],
    ]
    study = load_study([("s.xlsx", xlsx_bytes({"screening": rows}))], protocol=protocol)
    assert study.screening["screening_date"].tolist() == [dt.date(2021, 3, 15)] * 2
    assert study.screening["diagnosis_date"].tolist()[0] == dt.date(2020, 9, 16)
    (error,) = [f for f in study.errors if f.column == "diagnosis_date"]
    assert (error.row, error.value) == (3, "soon") and "expected a date" in error.message


BINARY_OUTCOME = """  - key: remission
    label: Remission
    better: higher
    primary: true
    kind: binary
    aliases: [remisi]

"""


def _binary_study():
    from conftest import xlsx_bytes

    from medpath.study import load_study

    text = _demo_with("").replace("\ncriteria:", "\n" + BINARY_OUTCOME + "criteria:", 1)
    protocol = parse_protocol(text, "p.yaml")
    before = ["ya", "yes", *["no"] * 8]  # P1, P2 yes (Indonesian 'ya' too)
    after = ["yes", "tidak", *["yes"] * 6, "no", "no"]
    rows = [["patient_id", "visit", "womac_pain", "remission"]]
    for i, (b, a) in enumerate(zip(before, after), start=1):
        rows += [[f"P{i}", "baseline", 12, b], [f"P{i}", "month 3", 8 + i % 3, a]]
    workbook = xlsx_bytes({"visits": rows})
    return text, workbook, load_study([("v.xlsx", workbook)], protocol=protocol)


def test_a_binary_outcome_is_read_from_yes_no_cells_and_compared_with_the_exact_mcnemar_test():
    """Issue 26, item 6: remission yes/no, a primary outcome beside WOMAC pain. 10 patients; by hand: yes at baseline
    P1, P2 (2 of 10), yes at month 3 P1 and P3-P8 (7 of 10): 6 became yes (P3-P8), 1 became no (P2); exact McNemar
    two-sided p = 2 P(B ≤ 1), B ~ Bin(7, 1/2) = 2 * 8/128 = 0.125; Clopper–Pearson 2/10: 0.02521 to 0.5561, 7/10:
    0.3475 to 0.9333 (R binom.test)."""
    from medpath.analysis import analyse
    from medpath.baseline import baseline_table
    from medpath.outcomes import headline, per_patient_changes, summary_table
    from medpath.summary import key_numbers

    _, _, study = _binary_study()
    outcome = study.protocol.outcomes["remission"]
    assert outcome.kind == "binary" and outcome.valid_range == (0.0, 1.0)
    assert study.visits["remission"].tolist()[:4] == [1.0, 1.0, 1.0, 0.0]
    comparison = analyse(study).primary["remission"]
    b = comparison.binary
    assert (b.n, b.yes_baseline, b.yes_followup, b.gained, b.lost) == (10, 2, 7, 6, 1)
    assert b.p_value == pytest.approx(0.125, rel=1e-12) and comparison.p_value == b.p_value
    assert b.ci_baseline == pytest.approx((0.02521073, 0.5560955), abs=5e-7)
    assert b.ci_followup == pytest.approx((0.3475471, 0.9332605), abs=5e-7)
    assert comparison.min_attainable_p == pytest.approx(2 / 2**7)
    assert "yes in 2 of 10 → 7 of 10 (6 became yes, 1 became no); exact McNemar p = 0.125" in headline(comparison)
    table = dict(summary_table(comparison).itertuples(index=False))
    assert table["Yes at month 3"] == "7 of 10 (70 %)" and table["Yes at month 3: exact 95 % CI"] == "35 % to 93 %"
    assert table["Became yes / no / unchanged"] == "6 / 1 / 3"
    shown = per_patient_changes(comparison).set_index("patient_id")
    assert shown.loc["P2"].tolist() == ["yes", "no", "became no"] and shown.loc["P3", "change"] == "became yes"
    assert list(shown.columns) == ["baseline", "Month 3", "change"]
    assert comparison.as_json()["binary"]["p_value"] == pytest.approx(0.125)
    caveat = key_numbers(analyse(study)).caveat  # the Overview names the test the yes/no outcome had
    assert (
        "Remission: with n = 10 pairs (7 changed answers) a two-sided exact McNemar test cannot give p < 0.015625."
        in (caveat)
    )
    rows1 = baseline_table(study).set_index("characteristic")
    assert rows1.loc["Remission at baseline: yes", "summary"] == "2 (20 %)"


def test_a_binary_outcome_runs_through_every_page_the_report_the_slides_and_the_word_tables(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from medpath.analysis import analyse
    from medpath.protocol_library import PROTOCOLS_VARIABLE
    from medpath.report import build_report
    from medpath.slides import build_deck
    from medpath.word_tables import word_tables

    text, workbook, study = _binary_study()
    analysis = analyse(study)
    assert (
        "Exact McNemar test: p = 0.125 (two-sided)." in analysis.sentences()["remission"]
        if hasattr(analysis, "sentences")
        else True
    )
    assert "exact McNemar p = 0.125" in build_report(analysis)
    assert build_deck(analysis)[:2] == b"PK" and word_tables(analysis)[:2] == b"PK"
    folder = tmp_path / "protocols"
    folder.mkdir()
    (folder / "remission.yaml").write_text(text.replace("id: DEMO-KOA-PRP", "id: OURS-BIN"), encoding="utf-8")
    monkeypatch.setenv(PROTOCOLS_VARIABLE, str(folder))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["protocol_id"] = "OURS-BIN"
    at.session_state["uploaded_files"] = (("v.xlsx", workbook),)
    at.run()
    for page in ("pages/overview.py", "pages/eligibility.py", "pages/trajectories.py", "pages/outcomes.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    shown = " ".join(str(m.value) for m in at.markdown).replace("\u2060", "")  # literal() joins a colon to its word
    assert "Remission: yes in 2 of 10 patients at baseline and 7 of 10 at month 3 (6 became yes, 1 became no)." in shown
