"""Small-sample statistics for paired (before / after) measurements.

Every function takes two equal-length 1-D arrays ``before`` and ``after`` without missing values
(pair the observations and drop incomplete pairs first; ``medpath.outcomes`` does) and analyses
the differences d = after − before, so a positive d is an increase.

Floating-point guard: before ranking, the operands and d are rounded to ``SIGNIFICANT_DIGITS`` (12)
significant digits (``paired_differences``). Differences that are equal in exact decimal
arithmetic then compare equal — (0.1 + 0.2) − 0 ties with 0.3 − 0, and 0.3 − (0.1 + 0.2) is 0 —
instead of being ranked apart by rounding noise (the hazard scipy's ``wilcoxon`` documentation
warns about). Clinical measurements never carry 12 significant digits, so nothing real is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as sps
from statsmodels.stats.descriptivestats import sign_test as _statsmodels_sign_test
from statsmodels.stats.multitest import multipletests

Alternative = Literal["two-sided", "greater", "less"]
ZeroMethod = Literal["wilcox", "pratt"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
ZERO_METHODS: tuple[str, ...] = ("wilcox", "pratt")

#: Up to this many non-zero differences the Wilcoxon p-value is exact; beyond, normal approximation.
EXACT_MAX_N = 60
SIGNIFICANT_DIGITS = 12


@dataclass(frozen=True)
class WilcoxonResult:
    statistic: float  # W+ = sum of the midranks of the positive differences
    p_value: float
    n_used: int  # non-zero differences that carry a rank
    n_zero: int
    method: Literal["exact", "normal"]
    alternative: str
    zero_method: str


@dataclass(frozen=True)
class HodgesLehmannResult:
    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float  # the confidence the interval actually has
    requested_level: float
    n: int


@dataclass(frozen=True)
class SignTestResult:
    statistic: float  # M = (N+ − N−) / 2
    p_value: float  # two-sided, binomial
    n_positive: int
    n_negative: int
    n_zero: int


@dataclass(frozen=True)
class Quartiles:
    median: float
    q1: float
    q3: float


@dataclass(frozen=True)
class PairedSummary:
    n: int
    before: Quartiles
    after: Quartiles
    change: Quartiles
    mean_change: float
    mean_ci_low: float
    mean_ci_high: float
    ci_level: float


def paired_differences(before, after) -> np.ndarray:
    """d = after − before, validated, with operands and d rounded to 12 significant digits.

    Raises ValueError when the arrays are not 1-D, differ in length, or hold NaN / infinity.
    """
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if b.ndim != 1 or a.ndim != 1:
        raise ValueError("before and after must be one-dimensional.")
    if len(b) != len(a):
        raise ValueError(
            f"before and after must have the same length (got {len(b)} and {len(a)}); "
            "pair the observations first."
        )
    if not (np.isfinite(b).all() and np.isfinite(a).all()):
        raise ValueError("before and after must not contain missing (NaN) or infinite values; "
                         "drop incomplete pairs first.")
    return _round_significant(_round_significant(a) - _round_significant(b))


def _round_significant(x: np.ndarray) -> np.ndarray:
    return np.array([float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in x], dtype=float)


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {value!r}).")


def _doubled_signed_ranks(d: np.ndarray, zero_method: str) -> tuple[np.ndarray, np.ndarray]:
    """Doubled midranks of |d| (integers) for the non-zero d, and a mask of the positive ones.

    "wilcox" ranks the non-zero |d| only; "pratt" (Pratt 1959) ranks all |d|, zeros included,
    then drops the zeros' ranks.
    """
    _check_choice(zero_method, ZERO_METHODS, "zero_method")
    nonzero = d != 0
    if zero_method == "wilcox":
        ranks = sps.rankdata(np.abs(d[nonzero]))
    else:
        ranks = sps.rankdata(np.abs(d))[nonzero]
    return np.rint(2 * ranks).astype(np.int64), d[nonzero] > 0


def _sign_flip_pmf(ranks: np.ndarray) -> np.ndarray:
    """P(S = s), s = 0 … sum(ranks), of S = sum of the positive integer ``ranks`` that get a
    + sign when each sign is + or − with probability 1/2 independently (all 2^n assignments).

    Dynamic programming, adding one rank at a time: O(n · sum(ranks)).
    """
    pmf = np.zeros(int(ranks.sum()) + 1)
    pmf[0] = 1.0
    top = 0
    for r in ranks:
        pmf[r : top + r + 1] += pmf[: top + 1].copy()
        pmf[: top + r + 1] *= 0.5
        top += r
    return pmf


def wilcoxon_signed_rank(
    before,
    after,
    alternative: Alternative = "two-sided",
    zero_method: ZeroMethod = "wilcox",
) -> WilcoxonResult:
    """Wilcoxon signed-rank test of H0: d = after − before is symmetric about 0.

    Source: Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed. (Wiley 2014),
    §3.1; zero_method "pratt": Pratt, J. Amer. Statist. Assoc. 54 (1959) 655–667.

    statistic W+ is the sum of the midranks of |d| over the positive d. "greater" tests for a
    shift upwards (after > before), "less" downwards.

    method "exact" (up to ``EXACT_MAX_N`` non-zero differences): the conditional permutation
    distribution of W+ given the observed midranks, over all 2^n sign assignments — valid with
    ties and zeros — by dynamic programming over the doubled midranks (integers). Two-sided
    p = min(1, 2 · min(P(W+ ≤ w), P(W+ ≥ w))).

    method "normal" (more differences): W+ is referred to a normal distribution with the
    conditional mean Σr/2 and variance Σr²/4 over the ranks r actually used — the usual
    n(n+1)/4 and n(n+1)(2n+1)/24 with the tie correction, and with Pratt's zero correction —
    with a continuity correction of 0.5 towards the mean (as R's wilcox.test).

    No non-zero difference (the test has no information): p_value 1.0, method "exact".
    """
    _check_choice(alternative, ALTERNATIVES, "alternative")
    d = paired_differences(before, after)
    ranks2, positive = _doubled_signed_ranks(d, zero_method)
    n_used = len(ranks2)
    w2 = int(ranks2[positive].sum())

    if n_used == 0:
        return WilcoxonResult(0.0, 1.0, 0, len(d), "exact", alternative, zero_method)
    if n_used <= EXACT_MAX_N:
        pmf = _sign_flip_pmf(ranks2)
        p_greater, p_less = pmf[w2:].sum(), pmf[: w2 + 1].sum()
        method = "exact"
    else:
        centred = (w2 - ranks2.sum() / 2) / 2
        sd = math.sqrt(float(np.sum(ranks2.astype(float) ** 2))) / 4
        p_greater = sps.norm.sf((centred - 0.5) / sd)
        p_less = sps.norm.cdf((centred + 0.5) / sd)
        method = "normal"
    p_value = {"greater": p_greater, "less": p_less, "two-sided": 2 * min(p_greater, p_less)}
    return WilcoxonResult(w2 / 2, min(1.0, float(p_value[alternative])), n_used, len(d) - n_used,
                          method, alternative, zero_method)


def hodges_lehmann(before, after, confidence: float = 0.95) -> HodgesLehmannResult:
    """Hodges–Lehmann estimate of the median change and its distribution-free confidence interval.

    Source: Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed., §3.2–3.3.
    The estimate is the median of the n(n+1)/2 Walsh averages (d_i + d_j)/2, i ≤ j (zeros kept).
    The interval is [W_(k), W_(M+1−k)] of the M sorted Walsh averages; its confidence is
    1 − 2 P(W+ ≤ k − 1) under the exact null distribution of W+ without ties. As in the book's
    rule (and R's wilcox.test), k is the largest whose confidence is at least ``confidence``; when
    even the widest interval [min, max] (k = 1, confidence 1 − 2/2^n) falls short, that widest
    interval is returned. ``ci_level`` is always the confidence actually achieved — for n = 5 that
    is 0.9375, never 0.95. With ties in d the achieved level is that of the no-ties distribution.
    Above ``EXACT_MAX_N`` pairs the null distribution of W+ is replaced by its normal approximation
    (mean n(n+1)/4, variance n(n+1)(2n+1)/24; Hollander, Wolfe & Chicken §3.2, large-sample
    approximation). n = 0 gives NaNs.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence}).")
    d = paired_differences(before, after)
    n = len(d)
    if n == 0:
        return HodgesLehmannResult(math.nan, math.nan, math.nan, math.nan, confidence, 0)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2)
    m = len(walsh)
    ks = np.arange(1, (m + 1) // 2 + 1)
    if n <= EXACT_MAX_N:
        cdf_at_k_minus_1 = np.cumsum(_sign_flip_pmf(np.arange(1, n + 1)))[ks - 1]
    else:  # P(W+ <= k - 1) with continuity correction
        mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        cdf_at_k_minus_1 = sps.norm.cdf((ks - 1 + 0.5 - mean) / sd)
    levels = 1 - 2 * cdf_at_k_minus_1  # decreasing in k
    chosen = max(int(np.sum(levels >= confidence - 1e-12)) - 1, 0)
    k = ks[chosen]
    return HodgesLehmannResult(float(np.median(walsh)), float(walsh[k - 1]), float(walsh[m - k]),
                               float(levels[chosen]), confidence, n)


def rank_biserial(before, after) -> float:
    """Matched-pairs rank-biserial correlation r = (W+ − W−) / (W+ + W−), zero differences dropped.

    Source: Kerby, "The simple difference formula", Comprehensive Psychology 3 (2014) 11.IT.3.1.
    NaN when every difference is zero.
    """
    ranks2, positive = _doubled_signed_ranks(paired_differences(before, after), "wilcox")
    total = ranks2.sum()
    if total == 0:
        return math.nan
    return float((ranks2[positive].sum() - ranks2[~positive].sum()) / total)


def sign_test(before, after) -> SignTestResult:
    """Two-sided sign test on d = after − before (zeros dropped), via
    ``statsmodels.stats.descriptivestats.sign_test``: M = (N+ − N−)/2, binomial p-value.
    No non-zero difference: M = 0, p = 1.
    """
    d = paired_differences(before, after)
    n_pos, n_neg = int(np.sum(d > 0)), int(np.sum(d < 0))
    if n_pos + n_neg == 0:
        statistic, p_value = 0.0, 1.0
    else:
        statistic, p_value = _statsmodels_sign_test(d, mu0=0)
    return SignTestResult(float(statistic), float(p_value), n_pos, n_neg, len(d) - n_pos - n_neg)


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values (Holm, Scand. J. Statist. 6 (1979) 65–70), via
    ``statsmodels.stats.multitest.multipletests(method="holm")``."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return multipletests(p, method="holm")[1]


def minimum_attainable_p(n: int, alternative: Alternative = "two-sided") -> float:
    """Smallest p-value the exact Wilcoxon signed-rank test can give with n non-zero differences:
    1/2^n one-sided, 2/2^n two-sided (capped at 1). Reached only when every difference has the
    same sign; ties do not change it (all-same-sign is the only assignment with the extreme W+).
    n = 5: 0.03125 one-sided, 0.0625 two-sided.
    """
    _check_choice(alternative, ALTERNATIVES, "alternative")
    return min(1.0, math.ldexp(2.0 if alternative == "two-sided" else 1.0, -n))  # no overflow for large n


def _quartiles(x: np.ndarray) -> Quartiles:
    if len(x) == 0:
        return Quartiles(math.nan, math.nan, math.nan)
    q1, median, q3 = np.percentile(x, [25, 50, 75])
    return Quartiles(float(median), float(q1), float(q3))


def describe_paired(before, after, confidence: float = 0.95) -> PairedSummary:
    """Median and IQR of before, after and change (d = after − before), and, for reference, the
    mean change with its t-based confidence interval (mean ± t_{n−1} · s/√n, scipy.stats.t).

    Quartiles are numpy's default percentiles (linear interpolation between order statistics,
    Hyndman & Fan type 7, as R's default). Empty input gives NaNs; n < 2 gives a NaN interval.
    """
    d = paired_differences(before, after)
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    low = high = math.nan
    if n >= 2:
        half = sps.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
        low, high = mean - half, mean + half
    return PairedSummary(n, _quartiles(np.asarray(before, dtype=float)),
                         _quartiles(np.asarray(after, dtype=float)), _quartiles(d),
                         mean, float(low), float(high), confidence)
