import math

import pandas as pd
import pytest

from medpath.formatting import floor_limits, interval, number, number_cells, p_equals, p_value, percent, smallest_p


@pytest.mark.parametrize(
    "x, sign, expected",
    [
        (-2.5, False, "−2.5"),
        (0.25, True, "+0.25"),
        (-0.0, True, "0"),
        (0.0001, True, "+0.0001"),
        (1234.5, False, "1.23e+03"),
        (math.nan, False, "–"),
        (None, True, "–"),
    ],
)
def test_number(x, sign, expected):
    assert number(x, sign) == expected


@pytest.mark.parametrize("p, expected", [(0.0625, "0.0625"), (0.019531, "0.0195"), (0.00001, "< 0.0001"), (None, "–")])
def test_p_value(p, expected):
    assert p_value(p) == expected


@pytest.mark.parametrize(
    "p, expected", [(0.25, "p = 0.25"), (0.00001, "p < 0.0001"), (0.0, "p < 0.0001"), (None, "p = –")]
)
def test_p_in_a_sentence_is_never_p_equals_less_than(p, expected):
    assert p_equals(p) == expected


@pytest.mark.parametrize(
    "p, expected, limits",
    [
        (2 / 2**5, "0.0625", True),  # 5 pairs, two-sided (Hollander, Wolfe & Chicken 2014, Table A.4)
        (2 / 2**10, "0.00195312", True),  # 10 pairs: all the digits :g writes
        (2 / 2**14, "0.00012207", True),
        (2 / 2**15, "below 0.0001", False),
        (2 / 2**5000, "below 0.0001", False),  # underflows to 0.0: never "p < 0"
    ],
)
def test_the_smallest_possible_p_of_a_large_study_is_below_0_0001_never_0(p, expected, limits):
    assert smallest_p(p) == expected
    assert floor_limits(p) is limits


def test_percent_keeps_the_achieved_level_exact():
    assert percent(0.9375) == "93.75 %" and percent(0.95) == "95 %" and percent(1 - 50 / 1024) == "95.12 %"


@pytest.mark.parametrize(
    "estimate, low, high, sign, expected",
    [
        (0.28, 0.138, 0.422, True, ("+0.28", "+0.14", "+0.42")),  # the bounds follow the estimate's 2 decimals
        (-2.0, -3.46, -0.54, True, ("−2", "−3", "−1")),
        (0.3, -0.04, 0.64, True, ("+0.3", "0", "+0.6")),  # never "−0.0"
        (0.0, -0.138, 0.138, True, ("0", "−0.138", "+0.138")),  # no decimals to follow: 3 significant digits
        (6.25, 5.1, 7.4, False, ("6.25", "5.10", "7.40")),
        (math.nan, math.nan, math.nan, True, ("–", "–", "–")),
    ],
)
def test_interval_bounds_have_the_estimates_decimals(estimate, low, high, sign, expected):
    assert interval(estimate, low, high, sign) == expected


def test_number_cells_writes_floats_as_number_does_and_changes_signed():
    frame = pd.DataFrame(
        {
            "patient_id": ["P1", "P2"],
            "baseline": [-3.1, 7.0],
            "change": [0.3, -0.25],
            "percent_change": [-9.6774, None],
            "n": [1, 2],
        }
    )
    written = number_cells(frame)
    assert written["baseline"].tolist() == ["−3.1", "7"]
    assert written["change"].tolist() == ["+0.3", "−0.25"]
    assert written["percent_change"].iloc[0] == "−9.68" and pd.isna(written["percent_change"].iloc[1])
    assert written["n"].tolist() == [1, 2] and written["patient_id"].tolist() == ["P1", "P2"]
    assert frame["baseline"].tolist() == [-3.1, 7.0]  # the frame given is left as it was
