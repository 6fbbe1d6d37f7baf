"""Per-patient trajectories: hand-computed series, WHO classes (bands), completeness, shift table, responders."""

import math

import numpy as np
import pandas as pd
import pytest

from medpath.protocol import default_protocol, parse_protocol
from medpath.trajectories import (
    MISSING,
    band_class,
    completeness,
    patient_series,
    responder_rate,
    responder_table,
    shift_table,
)

PROTOCOL = default_protocol()
WHO_BANDS = PROTOCOL.outcomes["bmd_tscore"].bands
_VAS_RULE = default_protocol().outcomes["vas"].responder
assert _VAS_RULE is not None  # the protocol gives VAS pain a responder rule
VAS_RESPONSE_CONVENTION = _VAS_RULE.convention


MONTHS = {"baseline": 0.0, "month 3": 3.0, "month 6": 6.0}


def visits_table(rows: list[tuple]) -> pd.DataFrame:
    """A canonical visits table from (patient_id, visit, bmd_tscore, vas[, extra columns]) tuples."""
    frame = pd.DataFrame(
        [{"patient_id": r[0], "visit": r[1], "month": MONTHS[r[1]], "bmd_tscore": r[2], "vas": r[3]} for r in rows]
    )
    frame["bmd_tscore"] = frame["bmd_tscore"].astype(float)
    frame["vas"] = frame["vas"].astype(float)
    frame["source_file"] = "visits.xlsx"
    frame["source_sheet"] = "Visits"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame


NAN = np.nan
#: Five patients; P02 has a month-3 row without a T-score, P05 has no month-3 row at all and P04
#: was seen only at baseline.
FIVE_PATIENTS = visits_table(
    [
        ("P01", "baseline", -2.8, 8.0),
        ("P01", "month 3", -2.6, 6.0),
        ("P01", "month 6", -2.4, 5.0),
        ("P02", "baseline", -2.0, 5.0),
        ("P02", "month 3", NAN, 4.0),
        ("P02", "month 6", -0.9, 3.5),
        ("P03", "baseline", -1.0, 8.2),
        ("P03", "month 3", -1.2, 6.0),
        ("P03", "month 6", -1.1, 6.2),
        ("P04", "baseline", -3.1, 6.0),
        ("P05", "baseline", -2.6, 0.0),
        ("P05", "month 6", -2.5, 0.0),
    ]
)


@pytest.mark.parametrize(
    ("tscore", "expected"),
    [
        (0.5, "normal"),
        (-1.0, "normal"),
        (-0.9999999999999999, "normal"),
        (-1.0000000000000002, "normal"),
        (-1.0000001, "osteopenia"),
        (-2.4999, "osteopenia"),
        (-2.5, "osteoporosis"),
        (-2.5000000000000004, "osteoporosis"),
        (-2.4999999999999996, "osteoporosis"),
        (-4.0, "osteoporosis"),
    ],
)
def test_who_class_boundaries(tscore, expected):
    assert band_class(tscore, WHO_BANDS) == expected


@pytest.mark.parametrize("missing", [None, NAN, pd.NA])
def test_who_class_missing_is_na(missing):
    assert band_class(missing, WHO_BANDS) is pd.NA


def test_who_class_vectorised():
    classes = band_class(pd.Series([-1.0, -1.0000001, NAN, -2.5000000000000004], index=[10, 11, 12, 13]), WHO_BANDS)
    assert list(classes.cat.categories) == list(WHO_BANDS.labels) == ["normal", "osteopenia", "osteoporosis"]
    assert WHO_BANDS.thresholds == (-2.5, -1.0)
    assert classes.index.tolist() == [10, 11, 12, 13]
    assert classes.iloc[[0, 1, 3]].tolist() == ["normal", "osteopenia", "osteoporosis"]
    assert pd.isna(classes.iloc[2])


def test_patient_series_hand_values():
    series = patient_series(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL)
    p01 = series[series["patient_id"] == "P01"]
    assert p01["month"].tolist() == [0.0, 3.0, 6.0]
    assert p01["visit"].tolist() == ["baseline", "month 3", "month 6"]
    assert p01["value"].tolist() == [-2.8, -2.6, -2.4]
    assert p01["change"].tolist() == pytest.approx([0.0, 0.2, 0.4])
    assert "percent_change" not in series  # a T-score's percent change means nothing (issue 13)
    assert p01["band"].tolist() == ["osteoporosis", "osteoporosis", "osteopenia"]


def test_patient_series_every_patient_every_visit():
    series = patient_series(FIVE_PATIENTS, "vas", protocol=PROTOCOL)
    assert len(series) == 5 * 3
    assert series["patient_id"].tolist() == [p for p in ["P01", "P02", "P03", "P04", "P05"] for _ in range(3)]
    assert "band" not in series


def test_missing_visits_stay_gaps():
    series = patient_series(FIVE_PATIENTS, "bmd_tscore", protocol=PROTOCOL).set_index(["patient_id", "month"])
    # A row without a value and a row that does not exist are both NaN: nothing is interpolated.
    for patient in ("P02", "P05"):
        assert math.isnan(series.loc[(patient, 3.0), "value"])
        assert math.isnan(series.loc[(patient, 3.0), "change"])
        assert pd.isna(series.loc[(patient, 3.0), "band"])
    assert series.loc[("P02", 6.0), "change"] == pytest.approx(1.1)
    assert series.loc[("P04", 6.0), ["value", "change"]].isna().all()


def test_change_is_nan_without_baseline_and_percent_nan_for_zero_baseline():
    visits = visits_table([("P01", "baseline", NAN, 0.0), ("P01", "month 6", -2.0, 4.0)])
    tscore = patient_series(visits, "bmd_tscore", protocol=PROTOCOL).set_index("month")
    assert math.isnan(tscore.loc[6.0, "change"]) and "percent_change" not in tscore
    vas = patient_series(visits, "vas", protocol=PROTOCOL).set_index("month")
    assert vas.loc[6.0, "change"] == 4.0
    assert math.isnan(vas.loc[6.0, "percent_change"])


def test_optional_outcome_works_when_present_and_is_refused_when_absent():
    visits = FIVE_PATIENTS.assign(qol=[50.0, 55.0, 60.0] + [NAN] * 9)
    qol = patient_series(visits, "qol", protocol=PROTOCOL)
    assert qol[qol["patient_id"] == "P01"]["change"].tolist() == [0.0, 5.0, 10.0]
    assert qol[qol["patient_id"] == "P01"]["percent_change"].tolist() == pytest.approx([0.0, 10.0, 20.0])
    with pytest.raises(ValueError, match="no 'rom_deg' column"):
        patient_series(FIVE_PATIENTS, "rom_deg", protocol=PROTOCOL)
    with pytest.raises(ValueError, match="Unknown outcome"):
        patient_series(FIVE_PATIENTS, "weight", protocol=PROTOCOL)


def test_completeness():
    table = completeness(FIVE_PATIENTS, None, PROTOCOL).set_index("patient_id")
    assert table.index.tolist() == ["P01", "P02", "P03", "P04", "P05"]
    assert table.loc["P01", "bmd_tscore_visits"] == "baseline, month 3, month 6"
    assert table.loc["P02", "bmd_tscore_visits"] == "baseline, month 6"
    assert table.loc["P02", "vas_visits"] == "baseline, month 3, month 6"
    assert table.loc["P04", "bmd_tscore_visits"] == "baseline"
    assert table["incomplete"].tolist() == [False, False, False, True, False]
    assert not table.loc["P04", "bmd_tscore_at_month_6"] and not table.loc["P04", "vas_at_month_6"]


def test_completeness_flags_one_missing_primary_outcome():
    visits = visits_table([("P01", "baseline", -2.0, 5.0), ("P01", "month 6", -1.8, NAN)])
    row = completeness(visits, None, PROTOCOL).iloc[0]
    assert row["bmd_tscore_at_month_6"] and not row["vas_at_month_6"]
    assert row["incomplete"]


def test_who_shift_table_five_patients():
    table = shift_table(FIVE_PATIENTS, "bmd_tscore", None, PROTOCOL)
    categories = [*WHO_BANDS.labels, MISSING]
    assert table.index.tolist() == categories and table.columns.tolist() == categories
    assert table.index.name == "baseline" and table.columns.name == "month 6"
    expected = pd.DataFrame(0, index=categories, columns=categories)
    expected.loc["osteoporosis", "osteopenia"] = 1  # P01 -2.8 -> -2.4
    expected.loc["osteopenia", "normal"] = 1  # P02 -2.0 -> -0.9
    expected.loc["normal", "osteopenia"] = 1  # P03 -1.0 -> -1.1
    expected.loc["osteoporosis", MISSING] = 1  # P04 no month 6
    expected.loc["osteoporosis", "osteoporosis"] = 1  # P05 -2.6 -> -2.5 (boundary)
    assert table.to_numpy().tolist() == expected.to_numpy().tolist()
    assert table.to_numpy().sum() == 5


def test_who_shift_table_keeps_all_categories_when_empty_and_other_month():
    visits = visits_table([("P01", "baseline", NAN, 5.0), ("P01", "month 3", -0.5, 4.0)])
    table = shift_table(visits, "bmd_tscore", 3.0, PROTOCOL)
    assert table.shape == (4, 4)
    assert table.loc[MISSING, "normal"] == 1
    assert table.columns.name == "month 3"


def _response(baseline, followup, **kwargs) -> pd.Series:
    visits = visits_table([("P01", "baseline", -2.0, baseline), ("P01", "month 6", -2.0, followup)])
    return responder_table(visits, "vas", **kwargs, protocol=PROTOCOL).iloc[0]


@pytest.mark.parametrize(
    ("baseline", "followup", "responder"),
    [
        (8.2, 6.2, True),  # exactly 2 points (float: 1.9999999999999991), only 24 %
        (8.0, 6.1, False),  # 1.9 points, 24 %
        (5.0, 3.5, True),  # exactly 30 %, only 1.5 points
        (3.0, 2.1, True),  # exactly 30 % (float: 29.999999999999996), only 0.9 points
        (5.0, 3.51, False),  # 29.8 %, 1.49 points
        (3.0, 5.0, False),  # worse
        (0.0, 0.0, False),  # baseline 0: percent undefined, 0 points
        (1.0, 0.0, True),  # 1 point but 100 %
    ],
)
def test_vas_responder_boundaries(baseline, followup, responder):
    assert bool(_response(baseline, followup)["responder"]) is responder


def test_vas_response_columns_and_hand_values():
    row = _response(8.0, 5.0)
    assert (row["baseline"], row["followup"], row["change"]) == (8.0, 5.0, -3.0)
    assert row["percent_change"] == pytest.approx(-37.5)


def test_vas_baseline_zero_is_judged_on_points_only():
    row = _response(0.0, 3.0)
    assert math.isnan(row["percent_change"])
    assert not row["responder"]


def test_vas_response_missing_scores_are_not_classified():
    table = responder_table(FIVE_PATIENTS, "vas", protocol=PROTOCOL).set_index("patient_id")
    assert table.index.tolist() == ["P01", "P02", "P03", "P04", "P05"]
    assert table["responder"].dtype == "boolean"
    assert pd.isna(table.loc["P04", "responder"])
    assert table.loc[["P01", "P02", "P03", "P05"], "responder"].tolist() == [True, True, True, False]


def test_the_responder_rate_counts_the_classified_with_an_exact_interval():
    """P01, P02, P03 respond, P05 does not, P04 is not classified: 3 of 4, never 3 of 5. Clopper–Pearson 95 % for 3/4,
    R binom.test(3, 4)$conf.int: 0.1941204 to 0.9936905."""
    rate = responder_rate(responder_table(FIVE_PATIENTS, "vas", protocol=PROTOCOL))
    assert (rate.responders, rate.classified, rate.not_classified) == (3, 4, 1)
    assert rate.ci == pytest.approx((0.1941204, 0.9936905), abs=5e-7)
    assert rate.text == (
        "Responders: 3 of 4 classified patients (75 %; exact 95 % CI 19 % to 99 %); 1 not classified (no value at "
        "both visits)"
    )
    assert rate.as_json() == {
        "responders": 3,
        "classified": 4,
        "not_classified": 1,
        "ci_low": rate.ci[0],
        "ci_high": rate.ci[1],
        "interval": "Clopper-Pearson 95 %",
    }
    nobody = responder_rate(responder_table(FIVE_PATIENTS.iloc[:0], "vas", protocol=PROTOCOL))
    assert nobody.as_json()["ci_low"] is None
    assert (
        nobody.classified == 0 and nobody.text == "Responders: not determinable, no patient has a value at both visits"
    )


def test_vas_response_custom_thresholds_and_month():
    assert not _response(8.2, 6.2, min_points=3.0)["responder"]
    assert _response(10.0, 8.0, min_points=3.0, min_percent=20.0)["responder"]
    table = responder_table(FIVE_PATIENTS, "vas", followup_month=3.0, protocol=PROTOCOL).set_index("patient_id")
    assert table.loc["P01", "responder"] and not table.loc["P02", "responder"]
    assert pd.isna(table.loc["P05", "responder"])


def test_vas_convention_cites_sources():
    for needle in ("2 points", "30 %", "Dworkin", "2008", "105–121", "Farrar", "2001", "149–158", "baseline of 0"):
        assert needle in VAS_RESPONSE_CONVENTION


def test_a_visit_where_nobody_measured_the_outcome_is_not_one_of_its_time_points():
    # BMD is measured at baseline and month 6 only; VAS also at month 3. P2 missed the month-6 BMD.
    visits = visits_table(
        [
            ("P1", "baseline", -3.0, 7),
            ("P1", "month 3", NAN, 6),
            ("P1", "month 6", -2.8, 4),
            ("P2", "baseline", -2.9, 6),
            ("P2", "month 3", NAN, 5),
            ("P2", "month 6", NAN, 5),
        ]
    )
    bmd = patient_series(visits, "bmd_tscore", protocol=PROTOCOL)
    assert list(bmd["month"]) == [0.0, 6.0, 0.0, 6.0]  # month 3 is not a BMD time point
    assert math.isnan(bmd["value"].iloc[3])  # P2's missed month 6 stays a gap
    assert list(patient_series(visits, "vas", protocol=PROTOCOL)["month"]) == [0.0, 3.0, 6.0, 0.0, 3.0, 6.0]


#: A minimal protocol with one outcome where higher is better (a score out of 100) and a responder rule of
#: +10 points or +25 % of baseline by month 3.
HIGHER_IS_BETTER = """
id: TEST-HIGHER
title: A test protocol whose outcome improves upwards
site: nowhere
target_n: 6
schedule:
  visits: {baseline: 0, month 3: 3}
  primary_month: 3
screening: []
outcomes:
  - key: score
    label: Function score
    unit: 0–100
    better: BETTER
    primary: true
    valid_range: [0, 100]
    responder:
      points: 10
      percent: 25
      convention: An increase of at least 10 points or at least 25 % of baseline.
criteria: []
enrolment_text: everyone
primary_text: score at month 3
"""


def test_responder_of_an_outcome_where_higher_is_better_counts_an_increase():
    protocol = parse_protocol(HIGHER_IS_BETTER.replace("BETTER", "higher"))
    assert protocol.outcomes["score"].better == "higher"
    # (patient, baseline, month 3); by hand with the rule "+10 points OR +25 %":
    pairs = [
        ("A", 40.0, 50.0),  # +10 points, +25 %: both exactly on the threshold -> responder
        ("B", 100.0, 109.0),  # +9 points, +9 % -> not
        ("C", 20.0, 26.0),  # +6 points but +30 % -> responder
        ("D", 80.0, 92.0),  # +12 points, only +15 % -> responder
        ("E", 50.0, 30.0),  # -20 points, -40 %: worse where higher is better -> not
        ("F", 60.0, NAN),  # no month-3 score -> not classified
    ]
    visits = pd.DataFrame(
        [
            (pid, visit, month, value)
            for pid, b, f in pairs
            for visit, month, value in (("baseline", 0.0, b), ("month 3", 3.0, f))
        ],
        columns=["patient_id", "visit", "month", "score"],
    )
    table = responder_table(visits, "score", protocol=protocol).set_index("patient_id")
    assert table["change"].iloc[:5].tolist() == pytest.approx([10.0, 9.0, 6.0, 12.0, -20.0])
    assert table["percent_change"].iloc[:5].tolist() == pytest.approx([25.0, 9.0, 30.0, 15.0, -40.0])
    assert table.loc[["A", "B", "C", "D", "E"], "responder"].tolist() == [True, False, True, True, False]
    assert pd.isna(table.loc["F", "responder"])
    # the same changes where lower is better: only the decrease (E: 20 points, 40 %) is a response
    lower = parse_protocol(HIGHER_IS_BETTER.replace("BETTER", "lower"))
    flipped = responder_table(visits, "score", protocol=lower).set_index("patient_id")
    assert flipped.loc[["A", "B", "C", "D", "E"], "responder"].tolist() == [False, False, False, False, True]
