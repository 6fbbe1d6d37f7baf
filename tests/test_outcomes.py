"""medpath.outcomes on a hand-built visits table, checked against hand computation."""

import json

import numpy as np
import pandas as pd
import pytest

from medpath.outcomes import compare_visits, expected_direction, headline, plain_language, primary_analysis
from medpath.protocol import default_protocol

PROTOCOL = default_protocol()
OUTCOMES = PROTOCOL.outcomes
VISIT_COLUMNS = default_protocol().visit_columns

JSON_KEYS = {
    "n_pairs",
    "baseline_median",
    "followup_median",
    "median_change",
    "wilcoxon",
    "hodges_lehmann",
    "rank_biserial",
    "p_holm",
    "min_attainable_p",
}


def _visits() -> pd.DataFrame:
    """Five patients; P05 has no month 6 visit. BMD changes +0.3, +0.3 (a tie that floating point
    would break: -2.5 - -2.8 != -2.8 - -3.1), -0.1, +0.5. VAS changes -3, 0 (zero), -2, -3.
    A month 3 visit for P01 must be ignored. QoL never changes; range of motion is only at baseline."""
    rows = [
        # patient, visit, month, bmd_tscore, vas, qol, rom_deg
        ("P01", "baseline", 0.0, -2.8, 7.0, 50.0, 90.0),
        ("P01", "month 3", 3.0, -2.0, 1.0, 50.0, np.nan),
        ("P01", "month 6", 6.0, -2.5, 4.0, 50.0, np.nan),
        ("P02", "baseline", 0.0, -3.1, 6.0, 60.0, 80.0),
        ("P02", "month 6", 6.0, -2.8, 6.0, 60.0, np.nan),
        ("P03", "baseline", 0.0, -2.6, 5.0, 55.0, 85.0),
        ("P03", "month 6", 6.0, -2.7, 3.0, 55.0, np.nan),
        ("P04", "baseline", 0.0, -2.9, 8.0, 40.0, 70.0),
        ("P04", "month 6", 6.0, -2.4, 5.0, 40.0, np.nan),
        ("P05", "baseline", 0.0, -3.0, 7.0, 45.0, 75.0),
    ]
    frame = pd.DataFrame(rows, columns=["patient_id", "visit", "month", "bmd_tscore", "vas", "qol", "rom_deg"])
    return frame.reindex(columns=list(VISIT_COLUMNS))  # other columns (e.g. bmd_g_cm2) all NaN


def test_pairs_change_table_and_unpaired():
    result = compare_visits(_visits(), "bmd_tscore", protocol=PROTOCOL)
    assert result.n_pairs == 4
    assert result.unpaired == {"P05": "no month 6 visit"}
    assert list(result.changes.columns) == ["patient_id", "baseline", "followup", "change"]
    assert list(result.changes["patient_id"]) == ["P01", "P02", "P03", "P04"]
    assert list(result.changes["baseline"]) == [-2.8, -3.1, -2.6, -2.9]
    assert list(result.changes["followup"]) == [-2.5, -2.8, -2.7, -2.4]
    assert list(result.changes["change"]) == [0.3, 0.3, -0.1, 0.5]  # rounded: the tie is kept


def test_bmd_statistics_by_hand():
    result = compare_visits(_visits(), "bmd_tscore", protocol=PROTOCOL)
    # |change| ranks: 0.1 -> 1, 0.3, 0.3 -> 2.5, 2.5, 0.5 -> 4; W+ = 9, W- = 1.
    # Of the 16 sign assignments, W+ >= 9 for {2.5, 2.5, 4} and all four: P = 2/16.
    assert result.wilcoxon.statistic == 9
    assert result.wilcoxon.p_value == 2 * 2 / 16
    assert result.rank_biserial == pytest.approx((9 - 1) / 10)
    assert result.min_attainable_p == 2 / 16
    assert result.baseline_median == pytest.approx(-2.85)
    assert result.followup_median == pytest.approx(-2.6)
    assert result.median_change == pytest.approx(0.3)
    assert result.sign_test.p_value == pytest.approx(2 * (1 + 4) / 16)  # 3 up, 1 down
    greater = compare_visits(_visits(), "bmd_tscore", alternative="expected", protocol=PROTOCOL)
    assert greater.wilcoxon.alternative == "greater" and greater.wilcoxon.p_value == 2 / 16


def test_zero_change_and_zero_methods():
    wilcox = compare_visits(_visits(), "vas", protocol=PROTOCOL)
    assert list(wilcox.changes["change"]) == [-3.0, 0.0, -2.0, -3.0]
    assert (wilcox.wilcoxon.n_used, wilcox.wilcoxon.n_zero) == (3, 1)
    # all three non-zero changes negative: W+ = 0, P(W+ <= 0) = 1/8, two-sided 2/8
    assert wilcox.wilcoxon.statistic == 0 and wilcox.wilcoxon.p_value == 0.25
    assert wilcox.min_attainable_p == 0.25
    assert wilcox.rank_biserial == -1.0
    assert wilcox.hodges_lehmann.n == 4  # the zero change stays in the Walsh averages
    pratt = compare_visits(_visits(), "vas", zero_method="pratt", protocol=PROTOCOL)
    # Pratt: ranks of |0, 2, 3, 3| are 1, 2, 3.5, 3.5; the zero's rank is dropped; W+ still 0.
    assert pratt.wilcoxon.zero_method == "pratt" and pratt.wilcoxon.p_value == 0.25


def test_missing_followup_value_is_reported():
    visits = _visits()
    visits.loc[(visits["patient_id"] == "P04") & (visits["month"] == 6), "vas"] = np.nan
    result = compare_visits(visits, "vas", protocol=PROTOCOL)
    assert result.n_pairs == 3
    assert result.unpaired == {"P04": "VAS pain not measured at month 6", "P05": "no month 6 visit"}


def test_expected_direction():
    assert {k: expected_direction(meta) for k, meta in OUTCOMES.items()} == {
        "bmd_tscore": "greater",
        "vas": "less",
        "bmd_g_cm2": "greater",
        "rom_deg": "greater",
        "qol": "greater",
    }


def test_primary_analysis_holm_across_two_outcomes():
    results = primary_analysis(_visits(), protocol=PROTOCOL)
    assert list(results) == ["bmd_tscore", "vas"]
    # raw p = 0.25 and 0.25 -> Holm: 2 * 0.25 = 0.5, max(0.5, 0.25) = 0.5
    assert [r.p_holm for r in results.values()] == [0.5, 0.5]
    expected = primary_analysis(_visits(), alternative="expected", protocol=PROTOCOL)
    # one-sided: BMD greater P(W+ >= 9) = 2/16; VAS less P(W+ <= 0) = 1/8 -> Holm 0.25, 0.25
    assert [r.wilcoxon.alternative for r in expected.values()] == ["greater", "less"]
    assert [r.wilcoxon.p_value for r in expected.values()] == [0.125, 0.125]
    assert [r.p_holm for r in expected.values()] == [0.25, 0.25]


def test_as_json_keys_and_values():
    data = primary_analysis(_visits(), protocol=PROTOCOL)["bmd_tscore"].as_json()
    assert JSON_KEYS <= set(data)
    assert set(data["wilcoxon"]) == {"statistic", "p_value", "alternative", "method", "zero_method"}
    assert set(data["hodges_lehmann"]) == {"estimate", "ci_low", "ci_high", "ci_level", "zeros"}
    assert data["n_pairs"] == 4 and data["p_holm"] == 0.5 and data["min_attainable_p"] == 0.125
    assert data["wilcoxon"]["method"] == "exact" and data["wilcoxon"]["statistic"] == 9
    # n = 4: the widest interval [min, max of Walsh averages] has level 1 - 2/16
    assert data["hodges_lehmann"] == {
        "estimate": pytest.approx(0.3),
        "ci_low": pytest.approx(-0.1),
        "ci_high": pytest.approx(0.5),
        "ci_level": 0.875,
        "zeros": "keep",  # Hollander, Wolfe & Chicken: zero changes kept in the Walsh averages (the default)
    }
    json.dumps(data, allow_nan=False)


def test_as_json_nan_becomes_none():
    no_change = compare_visits(_visits(), "qol", protocol=PROTOCOL).as_json()
    assert no_change["rank_biserial"] is None and no_change["p_holm"] is None
    assert no_change["wilcoxon"]["p_value"] == 1.0 and no_change["median_change"] == 0.0
    nothing = compare_visits(_visits(), "rom_deg", protocol=PROTOCOL)
    assert nothing.n_pairs == 0 and set(nothing.unpaired) == {"P01", "P02", "P03", "P04", "P05"}
    data = nothing.as_json()
    assert data["median_change"] is None and data["hodges_lehmann"]["estimate"] is None
    json.dumps(data, allow_nan=False)


def test_unknown_outcome_raises():
    with pytest.raises(ValueError):
        compare_visits(_visits(), "weight", protocol=PROTOCOL)


def test_plain_language_states_the_limits():
    visits = _visits()
    visits.loc[len(visits)] = {
        "patient_id": "P05",
        "visit": "month 6",
        "month": 6.0,
        "bmd_tscore": -2.7,
        "vas": 6.0,
        "qol": 45.0,
    }
    text = " ".join(plain_language(primary_analysis(visits, protocol=PROTOCOL)["bmd_tscore"]))
    assert "With 5 pair(s), the smallest two-sided p-value any result can reach is 0.0625" in text
    assert "p < 0.05 is impossible" in text
    assert "93.75 % confidence" in text and "not as 95 %" in text
    assert "A non-significant result is not evidence of no effect." in text
    assert "exploratory (single group, no control)" in text
    assert "Wilcoxon signed-rank test, two-sided" in text and "Holm" in text
    vas = " ".join(plain_language(compare_visits(_visits(), "vas", protocol=PROTOCOL)))
    assert "With 3 non-zero change(s)" in vas and "P05 (no month 6 visit)" in vas
    assert "nothing can be tested" in " ".join(plain_language(compare_visits(_visits(), "rom_deg", protocol=PROTOCOL)))


def test_two_rows_at_a_visit_are_ambiguous_and_reasons_follow_first_appearance():
    visits = pd.concat([_visits().iloc[[9]], _visits(), _visits().iloc[[3]]], ignore_index=True)
    visits.loc[len(visits)] = visits.loc[0].copy()  # P05's baseline a third time (still ambiguous)
    result = compare_visits(visits, "bmd_tscore", protocol=PROTOCOL)
    assert list(result.unpaired.items()) == [
        ("P05", "3 rows at baseline (ambiguous); no month 6 visit"),
        ("P02", "2 rows at baseline (ambiguous)"),
    ]
    assert list(result.changes["patient_id"]) == ["P01", "P03", "P04"]
    assert result.changes["change"].tolist() == [0.3, -0.1, 0.5]


# --- plain results first (issue 14) ---------------------------------------------------------------------------

from medpath.outcomes import details_table, plain_sentence, summary_table  # noqa: E402
from medpath.study import load_sample_study  # noqa: E402


def test_plain_sentence_of_the_sample_as_a_surgeon_says_it():
    results = primary_analysis(load_sample_study().visits, protocol=PROTOCOL)
    # T-score changes +0.3, +0.1, +0.4, +0.1, +0.3: all up; median +0.3; 5 pairs, two-sided floor 2/2^5
    assert plain_sentence(results["bmd_tscore"]) == (
        "Spine T-score rose in 5 of 5 patients from baseline to month 6, median change +0.3 (range +0.1 to +0.4). "
        "With 5 patients no test can reach p < 0.05 (smallest possible p = 0.0625)."
    )
    # VAS changes -3, 0, -4, -2, -2: 4 down, 1 unchanged (dropped by Wilcoxon: floor 2/2^4)
    assert plain_sentence(results["vas"]) == (
        "VAS pain fell in 4 of 5 patients and did not change in 1 from baseline to month 6, median change "
        "−2 points (range −4 to 0). With 5 patients (4 changed) no test can reach p < 0.05 "
        "(smallest possible p = 0.125)."
    )


def test_plain_sentence_of_a_one_sided_test_names_the_conventional_alpha():
    bmd = primary_analysis(load_sample_study().visits, alternative="expected", protocol=PROTOCOL)["bmd_tscore"]
    assert (
        "no one-sided test can reach p < 0.025, the usual level for a pre-specified one-sided test "
        "(smallest possible p = 0.03125)"
    ) in plain_sentence(bmd)


def test_plain_sentence_counts_are_the_tested_pairs_and_name_the_unpaired():
    result = compare_visits(_visits(), "bmd_tscore", protocol=PROTOCOL)  # changes +0.3, +0.3, -0.1, +0.5; P05 unpaired
    sentence = plain_sentence(result)
    assert sentence.startswith(
        "Spine T-score rose in 3 of 4 patients and fell in 1 from baseline to month 6, "
        "median change +0.3 (range −0.1 to +0.5). 1 patient without both values is not counted."
    )
    assert (result.sign_test.n_positive, result.sign_test.n_negative) == (3, 1)
    assert plain_sentence(compare_visits(_visits(), "rom_deg", protocol=PROTOCOL)).startswith(
        "No patient has Range of motion"
    )


def test_direction_counts_in_the_json():
    result = compare_visits(_visits(), "vas", protocol=PROTOCOL)  # -3, 0, -2, -3
    assert result.as_json()["direction_counts"] == {"up": 0, "down": 3, "unchanged": 1}
    json.dumps(result.as_json())


def test_main_table_has_one_median_and_no_t_interval_details_explain_every_term():
    result = primary_analysis(load_sample_study().visits, protocol=PROTOCOL)["bmd_tscore"]
    main = dict(zip(summary_table(result)["measure"], summary_table(result)["value"]))
    assert main["Median change (range)"] == "+0.3 (+0.1 to +0.4)"
    assert main["Up / down / unchanged"] == "5 / 0 / 0"
    assert main["Wilcoxon p-value (two-sided)"] == "0.0625" and main["Smallest possible p"] == "0.0625"
    assert not any("Hodges" in m or "t interval" in m or "Mean" in m for m in main)
    details = details_table(result)
    assert list(details.columns) == ["measure", "value", "meaning"]
    assert {
        "Hodges–Lehmann estimate",
        "93.75 % confidence interval",
        "Holm-adjusted p",
        "Rank-biserial correlation",
        "Mean change (t interval)",
    } <= set(details["measure"])
    assert details["meaning"].str.len().min() > 20  # every term explained
    assert details.set_index("measure").at["Hodges–Lehmann estimate", "value"] == "+0.25"


def test_a_result_says_which_value_it_lost_and_its_n():
    """Issue 11: one VAS typo (11) costs that value only; the VAS result names it beside its n, the T-score
    result keeps all pairs. Hand count: P1..P3 with baseline and month 6; P3's month-6 VAS is left out,
    so VAS has 2 pairs and the T-score 3."""
    from workbooks import visits_rows, xlsx_bytes

    from medpath.analysis import Settings, analyse
    from medpath.study import load_study
    from medpath.summary import key_numbers, summarise

    visits = visits_rows(3)
    visits[6][3] = 11  # Excel row 7: P3, month 6, VAS
    study = load_study([("trial.xlsx", xlsx_bytes({"visits": visits}))], protocol=default_protocol())
    comparisons = primary_analysis(study.visits, lost=study.left_out_text, protocol=PROTOCOL)
    assert comparisons["vas"].n_pairs == 2 and comparisons["bmd_tscore"].n_pairs == 3
    assert comparisons["vas"].left_out == "P3 month 6 left out (11)"
    assert comparisons["bmd_tscore"].left_out == ""
    assert headline(comparisons["vas"]).endswith("; n = 2 pairs (P3 month 6 left out (11))")
    assert "P3 month 6 left out (11) because of an error in the file" in plain_sentence(comparisons["vas"])
    analysis = analyse(study, Settings())
    assert summarise(analysis)["outcomes"]["vas"]["left_out"] == "P3 month 6 left out (11)"
    assert summarise(analysis)["outcomes"]["bmd_tscore"]["left_out"] is None
    assert "P3 month 6 left out (11)" in key_numbers(analysis).sentences["vas"]


def _large_study(n: int) -> pd.DataFrame:
    """``n`` patients whose T-score rises by 0.1 to 0.5 (every change positive): a p-value far below 0.0001."""
    rng = np.random.default_rng(3)
    base = rng.uniform(-4.0, -2.5, n).round(1)
    rows = [(f"P{i:05d}", "baseline", 0.0, b, 7.0) for i, b in enumerate(base)]
    rows += [(f"P{i:05d}", "month 6", 6.0, b + rng.integers(1, 6) / 10, 5.0) for i, b in enumerate(base)]
    frame = pd.DataFrame(rows, columns=["patient_id", "visit", "month", "bmd_tscore", "vas"])
    return frame.reindex(columns=list(VISIT_COLUMNS))


def test_a_large_study_reads_right_never_p_equals_less_than_nor_p_below_zero():
    """Issue 28: at 5,000 pairs the smallest possible p, 2 / 2^5000, underflows to 0 and the p-value is far below
    0.0001; the texts say "p < 0.0001" and "below 0.0001", never "p = < 0.0001" or "cannot give p < 0"."""
    comparison = primary_analysis(_large_study(5000), protocol=PROTOCOL)["bmd_tscore"]
    assert comparison.min_attainable_p == 0.0 and comparison.wilcoxon.p_value < 1e-4
    joined = " ".join([headline(comparison), plain_sentence(comparison), *plain_language(comparison)])
    assert "exact" not in headline(comparison)  # above 60 non-zero changes: the normal approximation
    assert "Wilcoxon p < 0.0001," in headline(comparison)
    assert "Holm-adjusted p < 0.0001;" in headline(comparison)
    assert "Wilcoxon test: p < 0.0001 (two-sided)." in plain_sentence(comparison)
    assert "the smallest two-sided p-value any result can reach is below 0.0001." in joined
    assert "p = <" not in joined and "p < 0 " not in joined and "p < 0." not in joined.replace("p < 0.0001", "")


def test_a_pilot_keeps_its_smallest_p_in_digits():
    comparison = primary_analysis(_visits(), protocol=PROTOCOL)["bmd_tscore"]  # 4 non-zero changes
    assert "any result can reach is 0.125 — so p < 0.05 is impossible." in " ".join(plain_language(comparison))
    assert "exact Wilcoxon p = 0.25," in headline(comparison)
