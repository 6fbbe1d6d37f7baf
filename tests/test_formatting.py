import math

import pytest

from medpath.formatting import number, p_value, percent


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


def test_percent_keeps_the_achieved_level_exact():
    assert percent(0.9375) == "93.75 %" and percent(0.95) == "95 %" and percent(1 - 50 / 1024) == "95.12 %"
