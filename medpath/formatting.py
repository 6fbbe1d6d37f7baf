"""How MedPath writes numbers for people: one set of rules for pages, CLI output and the report."""

from __future__ import annotations

import math

#: Units read better as words in running text ("−2 points" rather than "−2 0–10").
#: How a unit is said after a number: a score range ("0–10", "0–20") or "score" is "points".
UNIT_WORDS = {"score": "points", **{f"0–{top}": "points" for top in (4, 5, 10, 20, 24, 50, 68, 96, 100)}}
ALTERNATIVE_WORDS = {
    "two-sided": "two-sided",
    "greater": "one-sided (increase expected)",
    "less": "one-sided (decrease expected)",
}
ZERO_METHOD_WORDS = {"wilcox": "zero changes dropped (Wilcoxon)", "pratt": "zero changes ranked, then dropped (Pratt)"}


def number(x: float | None, sign: bool = False) -> str:
    """3 significant digits with a true minus sign ("−2.5"); with ``sign`` a "+" on positives;
    zero as "0"; "–" for a missing value."""
    if x is None or math.isnan(x):
        return "–"
    text = format(float(x), "+.3g" if sign else ".3g")
    return "0" if float(text) == 0 else text.replace("-", "−")


def p_value(p: float | None) -> str:
    """3 significant digits, "< 0.0001" below that, "–" when missing."""
    if p is None or math.isnan(p):
        return "–"
    return "< 0.0001" if p < 1e-4 else f"{p:.3g}"


def percent(level: float) -> str:
    """A confidence level as a percentage, as exact as it is (0.9375 -> "93.75 %")."""
    return f"{100 * level:.4g} %"
