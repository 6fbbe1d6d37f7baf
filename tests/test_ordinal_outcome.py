"""Issue 26, item 6: an ordered categorical outcome (``kind: ordinal``, its levels lowest first) is read from the words
the team writes, compared with the exact sign test of the patients who moved up against those who moved down (for two
levels it is the exact McNemar test), and each level's share has its exact Clopper–Pearson interval. Every number is
counted by hand below; intervals are R's ``binom.test``."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import xlsx_bytes

from medpath.analysis import analyse
from medpath.baseline import baseline_table
from medpath.figures.trajectory import spaghetti_figure
from medpath.outcomes import headline, per_patient_changes, summary_table
from medpath.protocol import ProtocolError, parse_protocol
from medpath.study import load_study
from medpath.wording import details_rows, plain_sentence

ROOT = Path(__file__).resolve().parent.parent
DEMO_TEXT = (ROOT / "medpath" / "protocols" / "demo_knee_prp.yaml").read_text(encoding="utf-8")
ORDINAL = """  - key: response
    label: Radiographic response
    better: higher
    primary: true
    kind: ordinal
    levels: [none, partial, complete]
    aliases: [respon radiologis]

"""
# (baseline, month 3) per patient, written as a team writes them: P1 none -> partial (up), P2 none -> complete (up),
# P3 partial -> complete (up), P4 none -> none, P5 partial -> partial, P6 complete -> partial (down), P7 none ->
# partial (up), P8 partial -> complete (up), P9 none -> none, P10 partial -> none (down).
PAIRS = [
    ("None", "partial"),
    ("none", "Complete"),
    ("Partial ", "COMPLETE"),
    ("none", "none"),
    ("partial", "partial"),
    ("complete", "partial"),
    ("NONE", "Partial"),
    ("partial", "com-plete"),
    ("none", "none"),
    ("partial", "none"),
]


def _protocol_text() -> str:
    lines = [line for line in DEMO_TEXT.splitlines(keepends=True) if not line.startswith(("text:", "sample:"))]
    return "".join(lines).replace("\ncriteria:", "\n" + ORDINAL + "criteria:", 1)


def _study(pairs=PAIRS):
    protocol = parse_protocol(_protocol_text(), "p.yaml")
    rows = [["patient_id", "visit", "womac_pain", "response"]]
    for i, (before, after) in enumerate(pairs, start=1):
        rows += [[f"P{i}", "baseline", 12, before], [f"P{i}", "month 3", 8 + i % 3, after]]
    return load_study([("v.xlsx", xlsx_bytes({"visits": rows}))], protocol=protocol)


def test_levels_are_read_as_their_places_whatever_the_spelling():
    study = _study()
    assert not study.errors
    assert study.protocol.outcomes["response"].valid_range == (0.0, 2.0)
    visits = study.visits.set_index(["patient_id", "visit"])["response"]
    assert [visits[(f"P{i}", "month 3")] for i in (1, 2, 3, 8)] == [1.0, 2.0, 2.0, 2.0]


def test_an_unknown_level_is_an_error_naming_the_levels():
    study = _study([*PAIRS[:9], ("partial", "mostly")])
    errors = [f for f in study.errors if f.value == "mostly"]
    assert errors and "expected one of none, partial, complete" in errors[0].message
    assert errors[0].row == 21 and errors[0].column == "response"


def test_the_change_by_hand():
    """Moved up: P1, P2, P3, P7, P8 (5); down: P6, P10 (2); unchanged 3. Exact sign test, two-sided:
    2 P(B <= 2), B ~ Bin(7, 1/2) = 2 (1 + 7 + 21) / 128 = 0.453125; smallest possible p with 7 moved: 2 / 128.
    Baseline none 5 (P1, P2, P4, P7, P9), partial 4, complete 1; month 3 none 3, partial 4, complete 3. R
    binom.test(5, 10): 0.1870860 to 0.8129140; binom.test(1, 10): 0.002528579 to 0.4450161."""
    c = analyse(_study()).primary["response"]
    o = c.ordinal
    assert o is not None and c.binary is None and c.n_pairs == 10
    assert (o.up, o.down, o.baseline, o.followup) == (5, 2, (5, 4, 1), (3, 4, 3))
    assert o.shift == ((2, 2, 1), (1, 1, 2), (0, 1, 0))
    assert o.p_value == pytest.approx(58 / 128, rel=1e-12) and c.p_value == o.p_value
    assert c.min_attainable_p == pytest.approx(2 / 128, rel=1e-12)
    assert o.baseline_ci[0] == pytest.approx((0.1870860, 0.8129140), abs=5e-7)
    assert o.baseline_ci[2] == pytest.approx((0.002528579, 0.4450161), abs=5e-7)
    assert (c.test_name, c.counted) == ("exact sign", "7 changed levels")
    assert headline(c).startswith(
        "Radiographic response, baseline → month 3: 5 moved up, 2 down, 3 unchanged of 10 (none 5, partial 4, "
        "complete 1 → none 3, partial 4, complete 3); exact sign test p = 0.453, two-sided"
    )
    assert plain_sentence(c).startswith(
        "Radiographic response moved to a better level in 5 of 10 patients from baseline to month 3 and to a worse "
        "one in 2 (3 unchanged; at month 3: none 3, partial 4, complete 3)."
    )
    table = dict(summary_table(c).itertuples(index=False))
    assert table["None: baseline → month 3"] == "5 → 3 (50 % → 30 %)"
    assert table["Moved up / down / unchanged"] == "5 / 2 / 3"
    details = {term: value for term, value, _ in details_rows(c)}
    assert details["None at baseline"] == "5 of 10 (50 %; exact 95 % CI 19 % to 81 %)"
    assert c.as_json()["ordinal"]["shift"] == [[2, 2, 1], [1, 1, 2], [0, 1, 0]]
    shown = per_patient_changes(c).set_index("patient_id")
    assert shown.loc["P2"].tolist() == ["none", "complete", "up 2 levels"]
    assert shown.loc["P10"].tolist() == ["partial", "none", "down 1 level"] and shown.loc["P4", "change"] == "unchanged"


def test_table_1_and_the_axis_name_the_levels():
    study = _study()
    rows = baseline_table(study, [f"P{i}" for i in range(1, 11)])
    response = rows[rows["characteristic"].str.startswith("Radiographic response")]
    assert response["summary"].tolist() == ["5 (50 %)", "4 (40 %)", "1 (10 %)"]
    fig = spaghetti_figure(study.visits, "response", protocol=study.protocol)
    assert list(fig.layout.yaxis.ticktext) == ["none", "partial", "complete"]
    assert list(fig.layout.yaxis.tickvals) == [0, 1, 2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("levels: [none, partial, complete]", "an ordinal outcome needs 'levels', at least three"),
        ("levels: [none, partial, complete]\n    ", None),
        ("levels: [none, partial, complete]", "the level 'None' is given twice"),
    ],
)
def test_a_broken_ordinal_outcome_is_refused_with_its_line(change, message):
    text = _protocol_text()
    if message is None:  # levels on a yes/no outcome
        text = text.replace("kind: ordinal\n    " + change, "kind: binary\n    " + change)
        message = "'levels' belong to an ordinal outcome"
    elif "twice" in message:
        text = text.replace(change, "levels: [none, partial, None]")
    else:
        text = text.replace(change, "levels: [none, complete]")
    with pytest.raises(ProtocolError, match=message):
        parse_protocol(text, "p.yaml")
