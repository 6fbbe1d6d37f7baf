"""How MedPath writes numbers for people: one set of rules for pages, CLI output and the report."""

from __future__ import annotations

import math
from functools import partial

import pandas as pd

#: Units read better as words in running text ("−2 points" rather than "−2 0–10").
#: How a unit is said after a number: a score range ("0–10", "0–20") or "score" is "points".
UNIT_WORDS = {"score": "points", **{f"0–{top}": "points" for top in (4, 5, 10, 20, 24, 50, 68, 96, 100)}}
ALTERNATIVE_WORDS = {
    "two-sided": "two-sided",
    "greater": "one-sided (increase expected)",
    "less": "one-sided (decrease expected)",
}
ZERO_METHOD_WORDS = {"wilcox": "zero changes dropped (Wilcoxon)", "pratt": "zero changes ranked, then dropped (Pratt)"}
#: Table columns holding a change from baseline: written with their sign ("+0.3"), as in the sentences.
SIGNED_COLUMNS = ("change", "percent_change")


def _written(text: str) -> str:
    """A formatted number as shown: zero as "0" (never "−0.0"), a true minus sign."""
    return "0" if float(text) == 0 else text.replace("-", "−")


def number(x: float | None, sign: bool = False) -> str:
    """3 significant digits with a true minus sign ("−2.5"); with ``sign`` a "+" on positives;
    zero as "0"; "–" for a missing value."""
    if x is None or math.isnan(x):
        return "–"
    return _written(format(float(x), "+.3g" if sign else ".3g"))


def interval(estimate: float, low: float, high: float, sign: bool = False) -> tuple[str, str, str]:
    """An estimate and the bounds of its interval, the bounds with as many decimals as the estimate shows
    ("+0.28", "+0.14", "+0.42"; not "+0.138" to "+0.422"). Where the estimate shows no decimals to follow
    (0, a missing value, a power of ten) the bounds get ``number``'s 3 significant digits."""
    shown = number(estimate, sign)
    if shown in ("0", "–") or "e" in shown:
        return shown, number(low, sign), number(high, sign)
    places = len(shown.partition(".")[2])

    def bound(x: float) -> str:
        return "–" if math.isnan(x) else _written(format(float(x), f"{'+' if sign else ''}.{places}f"))

    return shown, bound(low), bound(high)


def number_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every float column written by ``number`` (``SIGNED_COLUMNS`` with their sign), so that a
    per-patient table writes "−3.1" and "+0.3" as the sentences and the results tables do. Missing values stay
    missing: the table shows them its way."""
    written = frame.copy()
    for position, (name, column) in enumerate(frame.items()):
        if pd.api.types.is_float_dtype(column):
            signed = name in SIGNED_COLUMNS
            written.isetitem(position, column.astype(float).map(partial(number, sign=signed), na_action="ignore"))
    return written


#: p-values below this are written as "< 0.0001", not as digits: no test's approximation is that precise.
P_SMALLEST_SHOWN = 1e-4


def p_value(p: float | None) -> str:
    """A p-value in a table cell: 3 significant digits, "< 0.0001" below that, "–" when missing."""
    if p is None or math.isnan(p):
        return "–"
    return f"< {P_SMALLEST_SHOWN:g}" if p < P_SMALLEST_SHOWN else f"{p:.3g}"


def p_equals(p: float | None) -> str:
    """A p-value in a sentence: "p = 0.0625", "p < 0.0001" (never "p = < 0.0001"), "p = –" when missing."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def smallest_p(p: float) -> str:
    """The smallest p-value a test of this size can give, as a sentence ends it: "0.0625" (all its digits, as
    ``:g`` writes them), or "below 0.0001" for a large study, where it is too small to be worth a number (2/2^n
    underflows to 0 from about 1,075 pairs: never "p < 0")."""
    return f"{p:g}" if p >= P_SMALLEST_SHOWN else f"below {P_SMALLEST_SHOWN:g}"


def floor_limits(p: float) -> bool:
    """True when the smallest possible p-value is large enough to limit what the study can show (at least
    0.0001; a two-sided Wilcoxon test of 5 pairs cannot give p < 0.0625), so that a sentence about it is worth
    writing."""
    return p >= P_SMALLEST_SHOWN


def percent(level: float) -> str:
    """A confidence level as a percentage, as exact as it is (0.9375 -> "93.75 %")."""
    return f"{100 * level:.4g} %"


def percent_of(count: float, total: int = 1) -> str:
    """A share as a whole percentage ("70 %"); ``count`` of ``total``, or a proportion with ``total`` 1."""
    return f"{100 * count / total:.0f} %" if total else "–"


def share_with_interval(x: int, n: int, ci: tuple[float, float], whom: str = "") -> str:
    """ "5 of 8 (62 %; exact 95 % CI 24 % to 91 %)": a proportion with its exact interval (``stats.clopper_pearson``);
    ``whom`` names the n ("5 of 8 classified patients (…)")."""
    return f"{x} of {n}{' ' + whom if whom else ''} ({percent_of(x, n)}; exact 95 % CI {percent_of(ci[0])} to {percent_of(ci[1])})"


#: How a count that cannot be known from the data is written, everywhere (pages, CLI, report, slides, Word tables):
#: never as 0. A count is None then, and a reason in words says why.
NOT_DETERMINABLE = "not determinable"


def count(n: int | None) -> str:
    """A count as shown: "5", or "not determinable" when it is None (never "0", never "None")."""
    return NOT_DETERMINABLE if n is None else str(n)


def not_determinable(reason: str | None) -> str:
    """ "not determinable: no screening log was read" (``reason``: the cause in words, lower case, no final
    stop), or "not determinable" alone without a reason."""
    return f"{NOT_DETERMINABLE}: {reason}" if reason else NOT_DETERMINABLE


def count_or_reason(n: int | None, reason: str | None) -> str:
    """A count, or "not determinable: <reason>" when it is None: the one way a count that may be unknown is
    written beside its label ("Enrolled: 10", "Screened: not determinable: no screening log was read")."""
    return not_determinable(reason) if n is None else str(n)


def first_upper(text: str) -> str:
    """``text`` with its first letter upper case, the rest as it is ("not determinable: 'Age …'" -> "Not determinable:
    'Age …'"; ``str.capitalize`` would lower the rest)."""
    return text[:1].upper() + text[1:]


def of_total(k: int, total: int | None) -> str:
    """ "4 of 5", or "4 (of a total that is not determinable)" when the total is None."""
    return f"{k} of {total}" if total is not None else f"{k} (of a total that is {NOT_DETERMINABLE})"
