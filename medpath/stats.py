"""Small-sample statistics for paired (before / after) measurements.

Every function takes two equal-length 1-D arrays ``before`` and ``after`` without missing values
(pair the observations and drop incomplete pairs first; ``medpath.outcomes`` does) and analyses
the differences d = after − before, so a positive d is an increase.

Structure after scipy's ``scipy/stats/_wilcoxon.py``: one input-validation function,
``validate_paired`` (scipy's ``_wilcoxon_iv``), computes d once and checks the options; every
public function goes through it. The exact null distribution of the signed-rank statistic is a
class, ``SignedRankDistribution`` (scipy's ``WilcoxonDistribution``), with ``pmf``, ``cdf`` and
``sf``; the exact test and the Hodges–Lehmann interval both use it.

Scaling: nothing here holds more than a few arrays of length n, and the time is O(n log n) (the
Hodges–Lehmann selection, ``_kth_walsh_average``, in expectation); the exact Wilcoxon distribution
(at most ``EXACT_MAX_N`` differences) is O(EXACT_MAX_N³) time, O(EXACT_MAX_N²) memory. No scipy: the
normal distribution function comes from ``math.erfc`` and the t quantile from the exact series of Abramowitz &
Stegun (``_t_quantile``), both checked against scipy in the tests; importing scipy.special would cost about
0.2 s of every summary. pandas is imported inside ``wilcoxon_frame`` only, so importing this module is cheap.

Floating-point guard: before ranking, the operands and d are rounded to ``SIGNIFICANT_DIGITS`` (12)
significant digits (``validate_paired``). Differences that are equal in exact decimal
arithmetic then compare equal — (0.1 + 0.2) − 0 ties with 0.3 − 0, and 0.3 − (0.1 + 0.2) is 0 —
instead of being ranked apart by rounding noise (the hazard scipy's ``wilcoxon`` documentation
warns about). Clinical measurements never carry 12 significant digits, so nothing real is lost.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

Alternative = Literal["two-sided", "greater", "less"]
ZeroMethod = Literal["wilcox", "pratt"]
HLZeros = Literal["keep", "drop"]
#: What callers may ask for: an alternative, or "expected" (each outcome's direction in the protocol,
#: ``medpath.outcomes.expected_direction``).
AlternativeChoice = Literal["two-sided", "greater", "less", "expected"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
ZERO_METHODS: tuple[str, ...] = ("wilcox", "pratt")
HL_ZEROS: tuple[str, ...] = ("keep", "drop")

#: Methods text for each ``zeros`` convention of ``hodges_lehmann`` (one sentence, with its source).
HL_ZERO_CONVENTIONS: dict[str, str] = {
    "keep": (
        "Zero differences were kept: the Hodges–Lehmann estimate is the median of the Walsh averages of all "
        "n differences, zeros included, and its confidence interval is formed from their order statistics "
        "(Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., Wiley 2014, §3.2–3.3; "
        "Bauer, J. Amer. Statist. Assoc. 67 (1972) 687–690)."
    ),
    "drop": (
        "Zero differences were dropped before the Hodges–Lehmann estimate and its confidence interval were "
        "computed, so both rest on the Walsh averages of the non-zero differences only, as in R's "
        "wilcox.test(conf.int = TRUE) and StatXact (interval: Bauer, J. Amer. Statist. Assoc. 67 (1972) 687–690)."
    ),
}

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
    alternative: Alternative
    zero_method: ZeroMethod


@dataclass(frozen=True)
class HodgesLehmannResult:
    estimate: float
    ci_low: float
    ci_high: float
    ci_level: float  # the confidence the interval actually has
    requested_level: float
    n: int  # the differences the Walsh averages are formed from ("drop": the non-zero ones)
    zeros: HLZeros = "keep"  # the zero convention; HL_ZERO_CONVENTIONS[zeros] describes it


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


@dataclass(frozen=True, eq=False)
class PairedDifferences:
    """Validated paired input (``validate_paired``); the arrays are read-only."""

    before: np.ndarray  # as given, as floats
    after: np.ndarray
    d: np.ndarray  # after − before, operands and d rounded to SIGNIFICANT_DIGITS significant digits
    n: int  # pairs
    n_zero: int
    n_positive: int
    n_negative: int
    alternative: Alternative
    zero_method: ZeroMethod


def validate_paired(
    before,
    after,
    alternative: Alternative = "two-sided",
    zero_method: ZeroMethod = "wilcox",
) -> PairedDifferences:
    """Check the paired input and the options once and compute d = after − before (the role of
    ``_wilcoxon_iv`` in scipy's ``_wilcoxon.py``).

    Raises ValueError when the arrays are not 1-D, differ in length, or hold NaN / infinity, or when
    ``alternative`` or ``zero_method`` is not one of ``ALTERNATIVES`` / ``ZERO_METHODS``.
    """
    b = np.array(before, dtype=float)
    a = np.array(after, dtype=float)
    if b.ndim != 1 or a.ndim != 1:
        raise ValueError("before and after must be one-dimensional.")
    if len(b) != len(a):
        raise ValueError(
            f"before and after must have the same length (got {len(b)} and {len(a)}); pair the observations first."
        )
    if not (np.isfinite(b).all() and np.isfinite(a).all()):
        raise ValueError(
            "before and after must not contain missing (NaN) or infinite values; drop incomplete pairs first."
        )
    checked_alternative, checked_zero_method = as_alternative(alternative), as_zero_method(zero_method)
    d = _round_significant(_round_significant(a) - _round_significant(b))
    for array in (b, a, d):
        array.setflags(write=False)
    n_positive, n_negative = int(np.sum(d > 0)), int(np.sum(d < 0))
    return PairedDifferences(
        before=b,
        after=a,
        d=d,
        n=len(d),
        n_zero=len(d) - n_positive - n_negative,
        n_positive=n_positive,
        n_negative=n_negative,
        alternative=checked_alternative,
        zero_method=checked_zero_method,
    )


def paired_differences(before, after) -> np.ndarray:
    """d = after − before, validated, with operands and d rounded to 12 significant digits (a
    writable copy of ``validate_paired(before, after).d``).

    Raises ValueError when the arrays are not 1-D, differ in length, or hold NaN / infinity.
    """
    return validate_paired(before, after).d.copy()


def _round_significant(x: np.ndarray) -> np.ndarray:
    """Each value rounded to 12 significant digits by Python's correctly rounded decimal formatting;
    each distinct value is formatted once (measurements repeat), so the Python loop is over the
    distinct values only."""
    distinct, where = np.unique(x, return_inverse=True)
    rounded = np.array([float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in distinct.tolist()], dtype=float)
    return rounded[where.reshape(-1)]


def _midranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x``, tied values sharing the mean of their ranks (midranks: the "average"
    method of scipy.stats.rankdata and R's rank)."""
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # first position of each tie group
    ends = np.r_[starts[1:], len(x)]
    ranks = np.empty(len(x))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def _normal_cdf(z: float) -> float:
    """Standard normal distribution function Φ(z) = erfc(−z/√2)/2 (what scipy.special.ndtr computes), from the
    standard library, so that the statistics need no scipy import (about 0.2 s)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


#: Above this many degrees of freedom the t quantile is the Cornish-Fisher series (error below 1e-13).
_T_SERIES_MAX_DF = 1000


def _t_cdf(t: float, df: int) -> float:
    """P(T ≤ t) for Student's t with an integer ``df`` ≥ 1: the finite series of Abramowitz & Stegun 26.7.3 (odd
    df) and 26.7.4 (even df) in θ = atan(t/√df), exact up to rounding; CDF = (1 + A(t|df)) / 2."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2:  # A = (2/π)[θ + sinθ (cosθ + (2/3)cos³θ + … + (2·4⋯(df−3))/(1·3⋯(df−2)) cos^(df−2)θ)]
        term = total = math.cos(theta) if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= cos2 * (2 * k) / (2 * k + 1)
            total += term
        a = 2 / math.pi * (theta + sin * total)
    else:  # A = sinθ [1 + (1/2)cos²θ + (1·3)/(2·4)cos⁴θ + … + (1·3⋯(df−3))/(2·4⋯(df−2)) cos^(df−2)θ]
        term = total = 1.0
        for k in range(df // 2 - 1):
            term *= cos2 * (2 * k + 1) / (2 * k + 2)
            total += term
        a = sin * total
    return 0.5 + 0.5 * a


def _t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with an integer ``df`` ≥ 1 (what scipy.special.stdtrit / scipy.stats.t.ppf
    give), without scipy. Closed forms for df = 1 and 2; up to ``_T_SERIES_MAX_DF`` Newton steps on the exact
    ``_t_cdf`` from the Cornish-Fisher start; above, the Cornish-Fisher series to df⁻⁴ (Abramowitz & Stegun
    26.7.5), whose next term is below 1e-13 there."""
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    from statistics import NormalDist

    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    t = z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4
    if df > _T_SERIES_MAX_DF:
        return t
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    for _ in range(50):
        density = math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))
        step = (_t_cdf(t, df) - p) / density
        t -= step
        if abs(step) <= 1e-15 * max(1.0, abs(t)):
            break
    return t


def _check_choice(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {value!r}).")


def as_alternative(value: str) -> Alternative:
    """``value`` as an ``Alternative``; the ValueError of ``wilcoxon_signed_rank`` if it is none."""
    _check_choice(value, ALTERNATIVES, "alternative")
    return cast(Alternative, value)


def as_zero_method(value: str) -> ZeroMethod:
    """``value`` as a ``ZeroMethod``; the ValueError of ``wilcoxon_signed_rank`` if it is none."""
    _check_choice(value, ZERO_METHODS, "zero_method")
    return cast(ZeroMethod, value)


def as_hl_zeros(value: str) -> HLZeros:
    """``value`` as an ``HLZeros``; the ValueError of ``hodges_lehmann`` if it is none."""
    _check_choice(value, HL_ZEROS, "zeros")
    return cast(HLZeros, value)


def _doubled_signed_ranks(d: np.ndarray, zero_method: ZeroMethod) -> tuple[np.ndarray, np.ndarray]:
    """Doubled midranks of |d| (integers) for the non-zero d, and a mask of the positive ones.

    "wilcox" ranks the non-zero |d| only; "pratt" (Pratt 1959) ranks all |d|, zeros included,
    then drops the zeros' ranks.
    """
    nonzero = d != 0
    if zero_method == "wilcox":
        ranks = _midranks(np.abs(d[nonzero]))
    else:
        ranks = _midranks(np.abs(d))[nonzero]
    return np.rint(2 * ranks).astype(np.int64), d[nonzero] > 0


class SignedRankDistribution:
    """Exact null distribution of the signed-rank statistic W+ = sum of the ranks that get a + sign,
    when each of the n signs is + or − with probability 1/2 independently (all 2^n assignments):
    the conditional permutation distribution given the (mid)ranks, so valid with ties and zeros
    (Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed., Wiley 2014, §3.1).
    Shaped like ``WilcoxonDistribution`` in scipy's ``_wilcoxon.py``, but built from the observed
    ranks rather than from n alone.

    Built from the doubled midranks (positive integers, so W+ lives on the half-integers 0, ½, 1, …)
    by dynamic programming, adding one rank at a time: O(n · Σ ranks). ``without_ties(n)`` — ranks
    1 … n — is cached per n. ``pmf``, ``cdf`` and ``sf`` take W+ itself (not doubled); the tails are
    summed from the probabilities on their own side, so a small tail keeps its relative accuracy.
    """

    def __init__(self, doubled_ranks: np.ndarray) -> None:
        ranks = np.asarray(doubled_ranks, dtype=np.int64)
        pmf = np.zeros(int(ranks.sum()) + 1)  # pmf[i] = P(2 W+ = i)
        pmf[0] = 1.0
        top = 0
        for r in ranks:
            pmf[r : top + r + 1] += pmf[: top + 1].copy()
            pmf[: top + r + 1] *= 0.5
            top += r
        pmf.setflags(write=False)  # shared through the cache
        self.n = len(ranks)
        self.max_statistic = top / 2  # the largest W+ (all signs +)
        self._pmf = pmf

    @classmethod
    @functools.cache
    def without_ties(cls, n: int) -> SignedRankDistribution:
        """The distribution for the ranks 1 … n (no ties, no zeros), built once per n."""
        return cls(2 * np.arange(1, n + 1))

    @classmethod
    def for_ranks(cls, doubled_ranks: np.ndarray) -> SignedRankDistribution:
        """The distribution for these doubled midranks; the cached ``without_ties(n)`` when they are
        2, 4, …, 2n in some order. (Up to n = 60 without ties every probability is a count below 2^53
        over a power of 2, so the order in which the ranks are added does not change a single bit.)"""
        n = len(doubled_ranks)
        if np.array_equal(np.sort(doubled_ranks), 2 * np.arange(1, n + 1)):
            return cls.without_ties(n)
        return cls(doubled_ranks)

    def pmf(self, w: float) -> float:
        """P(W+ = w)."""
        i = 2 * w
        return float(self._pmf[int(i)]) if i == int(i) and 0 <= i < len(self._pmf) else 0.0

    def cdf(self, w: float) -> float:
        """P(W+ ≤ w)."""
        i = math.floor(2 * w)
        return float(self._pmf[: i + 1].sum()) if i >= 0 else 0.0

    def sf(self, w: float) -> float:
        """P(W+ > w) (the survival function of scipy.stats; P(W+ ≥ w) is ``sf(w − 1/2)``)."""
        return float(self._pmf[max(math.floor(2 * w), -1) + 1 :].sum())


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
    ties and zeros — ``SignedRankDistribution``. Two-sided p = min(1, 2 · min(P(W+ ≤ w), P(W+ ≥ w))).

    method "normal" (more differences): W+ is referred to a normal distribution with the
    conditional mean Σr/2 and variance Σr²/4 over the ranks r actually used — the usual
    n(n+1)/4 and n(n+1)(2n+1)/24 with the tie correction, and with Pratt's zero correction —
    with a continuity correction of 0.5 towards the mean (as R's wilcox.test).

    No non-zero difference (the test has no information): p_value 1.0, method "exact".
    """
    return _wilcoxon(validate_paired(before, after, alternative, zero_method))


def _wilcoxon(data: PairedDifferences) -> WilcoxonResult:
    """``wilcoxon_signed_rank`` on validated input."""
    ranks2, positive = _doubled_signed_ranks(data.d, data.zero_method)
    n_used = len(ranks2)
    w2 = int(ranks2[positive].sum())

    if n_used == 0:
        return WilcoxonResult(0.0, 1.0, 0, data.n, "exact", data.alternative, data.zero_method)
    method: Literal["exact", "normal"]
    if n_used <= EXACT_MAX_N:
        null = SignedRankDistribution.for_ranks(ranks2)
        p_greater, p_less = null.sf((w2 - 1) / 2), null.cdf(w2 / 2)  # P(W+ ≥ w), P(W+ ≤ w)
        method = "exact"
    else:
        centred = (w2 - ranks2.sum() / 2) / 2
        sd = math.sqrt(float(np.sum(ranks2.astype(float) ** 2))) / 4
        p_greater = _normal_cdf(-((centred - 0.5) / sd))  # upper tail, as scipy.stats.norm.sf
        p_less = _normal_cdf((centred + 0.5) / sd)
        method = "normal"
    p_value = {"greater": p_greater, "less": p_less, "two-sided": 2 * min(p_greater, p_less)}
    return WilcoxonResult(
        w2 / 2,
        min(1.0, float(p_value[data.alternative])),
        n_used,
        data.n_zero,
        method,
        data.alternative,
        data.zero_method,
    )


def wilcoxon_frame(
    before,
    after,
    alternative: Alternative = "two-sided",
    zero_method: ZeroMethod = "wilcox",
    name: str = "Wilcoxon",
) -> pd.DataFrame:
    """The Wilcoxon signed-rank test as a one-row tidy table, shaped like pingouin's ``wilcoxon``
    (index ``name``, e.g. the outcome; ``pd.concat`` of several gives one row per outcome).

    Columns: ``W-val`` (W+ of ``wilcoxon_signed_rank``; pingouin reports min(W+, W−) two-sided),
    ``alternative``, ``p-val``, ``RBC`` (``rank_biserial``), ``n`` (pairs), ``n_zero``, ``method``,
    ``zero_method``.
    """
    import pandas as pd

    data = validate_paired(before, after, alternative, zero_method)
    result = _wilcoxon(data)
    row = {
        "W-val": result.statistic,
        "alternative": result.alternative,
        "p-val": result.p_value,
        "RBC": _rank_biserial(data),
        "n": data.n,
        "n_zero": result.n_zero,
        "method": result.method,
        "zero_method": result.zero_method,
    }
    return pd.DataFrame(row, index=[name])


def hodges_lehmann(before, after, confidence: float = 0.95, zeros: HLZeros = "keep") -> HodgesLehmannResult:
    """Hodges–Lehmann estimate of the median change and its distribution-free confidence interval.

    Source: Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods", 3rd ed., §3.2–3.3;
    the interval from the order statistics of the Walsh averages: Bauer, "Constructing confidence
    sets using rank statistics", J. Amer. Statist. Assoc. 67 (1972) 687–690.
    The estimate is the median of the M = n(n+1)/2 Walsh averages (d_i + d_j)/2, i ≤ j.
    The interval is [W_(k), W_(M+1−k)] of the M sorted Walsh averages; its confidence is
    1 − 2 P(W+ ≤ k − 1) under the exact null distribution of W+ without ties. As in the book's
    rule (and R's wilcox.test), k is the largest whose confidence is at least ``confidence``; when
    even the widest interval [min, max] (k = 1, confidence 1 − 2/2^n) falls short, that widest
    interval is returned. ``ci_level`` is always the confidence actually achieved — for n = 5 that
    is 0.9375, never 0.95. With ties in d the achieved level is that of the no-ties distribution.
    Above ``EXACT_MAX_N`` differences the null distribution of W+ is replaced by its normal approximation
    (mean n(n+1)/4, variance n(n+1)(2n+1)/24; Hollander, Wolfe & Chicken §3.2, large-sample
    approximation). n = 0 gives NaNs.

    ``zeros`` (``HL_ZERO_CONVENTIONS`` has the methods text): "keep" (the default) forms the Walsh
    averages of all n differences, zeros included, as Hollander, Wolfe & Chicken §3.2; "drop"
    removes the zero differences first, as R's wilcox.test(conf.int = TRUE) and StatXact, so n is
    the number of non-zero differences and k comes from the distribution for that n. (R itself,
    once it has dropped zeros, gives up the exact interval for a normal-approximation one, so with
    zeros its interval differs from this exact one.)

    The Walsh averages are never all formed: the order statistics W_(r) are selected from the
    sorted differences (``_kth_walsh_average``), in O(n log n) expected time and O(n) memory, and
    are the very floating-point values (d_i + d_j)/2 that sorting all M of them would give (a zero
    is returned as +0.0, whichever sign the selected zero had).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence}).")
    zeros = as_hl_zeros(zeros)
    data = validate_paired(before, after)
    d = np.sort(data.d if zeros == "keep" else data.d[data.d != 0])
    n = len(d)
    if n == 0:
        return HodgesLehmannResult(math.nan, math.nan, math.nan, math.nan, confidence, 0, zeros)
    m = n * (n + 1) // 2
    k, level = _interval_rank(n, confidence)
    middle = [(m + 1) // 2] if m % 2 else [m // 2, m // 2 + 1]
    middle_values = [_kth_walsh_average(d, r) for r in middle]
    estimate = middle_values[0] if m % 2 else (middle_values[0] + middle_values[1]) / 2  # as np.median
    low, high = _kth_walsh_average(d, k), _kth_walsh_average(d, m + 1 - k)
    return HodgesLehmannResult(estimate + 0.0, low + 0.0, high + 0.0, level, confidence, n, zeros)  # no -0.0


def _interval_rank(n: int, confidence: float) -> tuple[int, float]:
    """The k of the Hodges–Lehmann interval [W_(k), W_(M+1−k)] for n differences, and its
    confidence 1 − 2 P(W+ ≤ k − 1): the largest k ≤ (M+1)/2 reaching ``confidence`` (to 1e-12),
    else k = 1. P from ``SignedRankDistribution.without_ties(n)`` up to ``EXACT_MAX_N``; above, the
    normal approximation with continuity correction. Either way the level falls as k grows, so k is
    found by bisection (no array of all M candidate ks)."""
    m = n * (n + 1) // 2
    target = confidence - 1e-12
    if n <= EXACT_MAX_N:
        null = SignedRankDistribution.without_ties(n)

        def level(k: int) -> float:  # 1 − 2 P(W+ ≤ k − 1)
            return 1 - 2 * null.cdf(k - 1)

    else:
        mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)

        def level(k: int) -> float:  # 1 − 2 P(W+ ≤ k − 1), continuity-corrected
            return float(1 - 2 * _normal_cdf((k - 1 + 0.5 - mean) / sd))

    low, high = 1, (m + 1) // 2  # invariant: the answer is in [low, high]
    while low < high:
        mid = (low + high + 1) // 2
        if level(mid) >= target:
            low = mid
        else:
            high = mid - 1
    return low, level(low)


#: ``_kth_walsh_average`` stops narrowing and sorts what is left once at most this many times n
#: candidates remain.
GATHER_FACTOR = 4


def _kth_walsh_average(d: np.ndarray, k: int) -> float:
    """The k-th smallest (1-based) of the Walsh averages (d_i + d_j)/2, i ≤ j, of the sorted ``d``,
    without forming all n(n+1)/2 of them: O(n) memory, O(n log n) expected time.

    Selection in X + Y after Johnson & Mizoguchi (SIAM J. Comput. 7 (1978) 147–153) and Monahan's
    Hodges–Lehmann algorithm (ACM Trans. Math. Softw. 10 (1984) 265–270, Algorithm 616): the
    averages form an implicit n × n upper-triangular matrix whose rows (fixed i, j = i … n−1) are
    sorted, because floating-point addition is monotone. Each row keeps a window [lo_i, hi_i) of
    columns still in play; everything left of it is known to come before the k-th, everything
    right of it after. Each round draws a random sample of the candidates, takes two sample
    quantiles that bracket the wanted rank (as Floyd & Rivest, Commun. ACM 18 (1975) 165–172) as
    pivots, and moves every row's window to the pivots (a binary search per row, ``_row_bounds``). A pivot whose
    rank range holds k is the answer; otherwise the candidates shrink by a factor of about
    sqrt(sample size). When at most ``GATHER_FACTOR`` · n candidates remain they are gathered and
    the answer picked with ``np.partition``. The pivots are random, the answer is not: it is the
    same floating-point value as ``np.sort`` of all averages at index k − 1.
    """
    n = len(d)
    rows = np.arange(n)
    lo, hi = rows.copy(), np.full(n, n)
    before = 0  # averages excluded on the left (all of them come before the k-th)
    rng = np.random.default_rng(k)
    while True:
        width = hi - lo
        remaining = int(width.sum())
        if remaining <= GATHER_FACTOR * n:
            row = np.repeat(rows, width)
            col = lo[row] + np.arange(remaining) - np.repeat(np.cumsum(width) - width, width)
            return float(np.partition((d[row] + d[col]) / 2, k - before - 1)[k - before - 1])
        ends = np.cumsum(width)
        draw = np.sort(rng.integers(0, remaining, size=min(n, remaining)))  # sorted: faster searchsorted
        row = np.searchsorted(ends, draw, side="right")
        sample = np.sort((d[row] + d[lo[row] + draw - (ends[row] - width[row])]) / 2)
        at = (k - before - 0.5) / remaining * len(sample)
        margin = 2.5 * math.sqrt(len(sample)) + 1
        pivots = sample[[max(0, math.floor(at - margin)), min(len(sample) - 1, math.ceil(at + margin))]]
        for pivot in pivots:  # ascending: first settle the left side, then the right side
            below = _row_bounds(d, lo, hi, pivot, inclusive=False)  # first column with average >= pivot
            n_below = before + int((below - lo).sum())
            if k <= n_below:  # the k-th is smaller than the pivot
                hi = below
                break
            upto = _row_bounds(d, lo, hi, pivot, inclusive=True)  # first column with average > pivot
            n_upto = before + int((upto - lo).sum())
            if k <= n_upto:
                return float(pivot)
            before, lo = n_upto, upto


def _row_bounds(d: np.ndarray, lo: np.ndarray, hi: np.ndarray, pivot: float, inclusive: bool) -> np.ndarray:
    """For every row i, the first column j in [lo_i, hi_i) whose Walsh average (d_i + d_j)/2 is
    > ``pivot`` (``inclusive``: the averages ≤ pivot are counted) or ≥ ``pivot`` (not inclusive),
    hi_i if there is none.

    A binary search of 2·pivot − d_i in d (numpy's searchsorted) gives each row's bound up to
    floating-point rounding; it is accepted where the computed averages on both sides of it confirm
    it (rows are sorted, so that proves it), and the other rows are bisected on the computed
    averages themselves. O(n log n)."""
    side: Literal["left", "right"] = "right" if inclusive else "left"
    guess = np.searchsorted(d, (2 * pivot - d)[::-1], side=side)[::-1]  # ascending keys: faster
    bound = np.clip(guess, lo, hi)

    def in_range(average):  # the average is counted (left of the bound)
        return average <= pivot if inclusive else average < pivot

    rows = np.arange(len(d))
    left_ok = (bound == lo) | in_range((d + d[np.maximum(bound - 1, 0)]) / 2)
    right_ok = (bound == hi) | ~in_range((d + d[np.minimum(bound, len(d) - 1)]) / 2)
    wrong = rows[~(left_ok & right_ok)]
    first, last = lo[wrong], hi[wrong]  # bisection where the guess is not confirmed
    while len(wrong):
        open_rows = first < last
        if not open_rows.any():
            break
        mid = (first + last) // 2
        right = open_rows & in_range((d[wrong] + d[np.minimum(mid, len(d) - 1)]) / 2)
        first = np.where(right, mid + 1, first)
        last = np.where(open_rows & ~right, mid, last)
    bound[wrong] = first
    return bound


def rank_biserial(before, after) -> float:
    """Matched-pairs rank-biserial correlation r = (W+ − W−) / (W+ + W−), zero differences dropped.

    Source: Kerby, "The simple difference formula", Comprehensive Psychology 3 (2014) 11.IT.3.1.
    NaN when every difference is zero.
    """
    return _rank_biserial(validate_paired(before, after))


def _rank_biserial(data: PairedDifferences) -> float:
    """``rank_biserial`` on validated input (always the "wilcox" ranking: zeros dropped)."""
    ranks2, positive = _doubled_signed_ranks(data.d, "wilcox")
    total = ranks2.sum()
    if total == 0:
        return math.nan
    return float((ranks2[positive].sum() - ranks2[~positive].sum()) / total)


def sign_test(before, after) -> SignTestResult:
    """Two-sided sign test on d = after − before, zeros dropped: M = (N+ − N−)/2 (the statistic of
    statsmodels' ``sign_test``) and p = min(1, 2 P(B ≤ min(N+, N−))) with B ~ Binomial(N+ + N−, 1/2)
    (Hollander, Wolfe & Chicken 2014, ch. 3, the sign test), the binomial tail from ``_binomial_half_cdf``.
    No non-zero difference: M = 0, p = 1.
    """
    data = validate_paired(before, after)
    n_pos, n_neg = data.n_positive, data.n_negative
    if n_pos + n_neg == 0:
        statistic, p_value = 0.0, 1.0
    else:
        statistic = (n_pos - n_neg) / 2
        p_value = min(1.0, 2 * _binomial_half_cdf(min(n_pos, n_neg), n_pos + n_neg))
    return SignTestResult(float(statistic), float(p_value), n_pos, n_neg, data.n_zero)


def _binomial_half_cdf(k: int, n: int) -> float:
    """P(B ≤ k) for B ~ Binomial(n, 1/2) and k ≤ n/2: Σ_{i ≤ k} C(n, i) / 2^n in exact integer
    arithmetic, from i = k down; the sum stops once the terms left (each smaller than the last by
    the factor i/(n − i + 1) < 1, so less than (n + 1) times the current term in all) are below
    2^-64 of it, and is divided by 2^n once (Python's int / int is correctly rounded)."""
    term = total = math.comb(n, k)
    i = k
    while i > 0 and term * (n + 1) << 64 >= total:
        term = term * i // (n - i + 1)
        total += term
        i -= 1
    return total / 2**n


def _binomial_half_tail(k: int, n: int) -> float:
    """P(B ≤ k) for B ~ Binomial(n, 1/2), any k (by symmetry P(B ≤ k) = 1 − P(B ≤ n − k − 1) above n/2)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return _binomial_half_cdf(k, n) if 2 * k <= n else 1.0 - _binomial_half_cdf(n - k - 1, n)


def exact_mcnemar(gained: int, lost: int, alternative: Alternative = "two-sided") -> float:
    """The exact McNemar test of a paired yes/no outcome: of the m = ``gained`` + ``lost`` discordant pairs (no → yes,
    yes → no), ``gained`` is Binomial(m, 1/2) under no change (McNemar, Psychometrika 12 (1947) 153–157, exact form:
    the binomial test on the discordant pairs, as R's ``binom.test(gained, m)`` and exact2x2's ``mcnemar.exact``).
    Two-sided p = min(1, 2 P(B ≤ min(gained, lost))); "greater" (more yes) P(B ≥ gained); "less" P(B ≤ gained).
    No discordant pair: p = 1."""
    _check_choice(alternative, ALTERNATIVES, "alternative")
    m = gained + lost
    if m == 0:
        return 1.0
    if alternative == "two-sided":
        return min(1.0, 2 * _binomial_half_tail(min(gained, lost), m))
    return _binomial_half_tail(lost if alternative == "greater" else gained, m)


def _binomial_cdf(n: int) -> Callable[[int, float], float]:
    """(k, p) -> P(X ≤ k) for X ~ Binomial(n, p), each term exp(log C(n, i) + i log p + (n − i) log(1 − p)) from
    log-factorials (lgamma) made once for this n, so that n in the thousands neither overflows nor underflows; one call
    is one vectorised pass over the k + 1 terms (a bisection makes 80), summed pairwise (numpy: a relative error of
    about log2(k) machine epsilons, far below the bisection's 1e-12)."""
    log_factorials = np.array([math.lgamma(i + 1) for i in range(n + 1)])

    def cdf(k: int, p: float) -> float:
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 1.0 if k >= n else 0.0
        i = np.arange(k + 1)
        log_terms = log_factorials[n] - log_factorials[i] - log_factorials[n - i] + i * math.log(p)
        log_terms += (n - i) * math.log1p(-p)
        return min(1.0, float(np.exp(log_terms).sum()))

    return cdf


def _bisect(f, low: float = 0.0, high: float = 1.0) -> float:
    """The root of ``f`` (increasing, from negative at ``low`` to positive at ``high``), to 1e-12."""
    while high - low > 1e-12:
        middle = (low + high) / 2
        if f(middle) < 0:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def clopper_pearson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) confidence interval of a proportion x/n (Clopper & Pearson, Biometrika 26 (1934)
    404–413): the p whose binomial tails P(X ≥ x | p) and P(X ≤ x | p) are each (1 − level)/2, found by bisection
    on the exact binomial distribution (R's ``binom.test(x, n)$conf.int``; the beta quantiles of the usual formula
    without scipy). Covers at least ``level``; 0 and 1 are the bounds when x = 0 and x = n. n = 0: (nan, nan)."""
    if n == 0:
        return math.nan, math.nan
    tail, cdf = (1.0 - level) / 2, _binomial_cdf(n)
    low = 0.0 if x == 0 else _bisect(lambda p: (1.0 - cdf(x - 1, p)) - tail)
    high = 1.0 if x == n else _bisect(lambda p: tail - cdf(x, p))
    return low, high


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values (Holm, "A simple sequentially rejective multiple test
    procedure", Scand. J. Statist. 6 (1979) 65–70): with the m p-values sorted ascending,
    p_adj(i) = min(1, max_{j ≤ i} (m − j + 1) · p_(j)), returned in the input order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def minimum_attainable_p(n: int, alternative: Alternative = "two-sided") -> float:
    """Smallest p-value an exact test of n signs can give: the exact Wilcoxon signed-rank test with n non-zero
    differences, and the exact sign and McNemar tests with n patients who moved: 1/2^n one-sided, 2/2^n two-sided
    (capped at 1). Reached only when every difference has the same sign; ties do not change it (all-same-sign is
    the only assignment with the extreme W+). n = 5: 0.03125 one-sided, 0.0625 two-sided.
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
    mean change with its t-based confidence interval (mean ± t_{n−1} · s/√n).

    Quartiles are numpy's default percentiles (linear interpolation between order statistics,
    Hyndman & Fan type 7, as R's default). Empty input gives NaNs; n < 2 gives a NaN interval.
    """
    data = validate_paired(before, after)
    d, n = data.d, data.n
    mean = float(d.mean()) if n else math.nan
    low = high = math.nan
    if n >= 2:
        half = _t_quantile(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
        low, high = mean - half, mean + half
    return PairedSummary(
        n,
        _quartiles(data.before),
        _quartiles(data.after),
        _quartiles(d),
        mean,
        float(low),
        float(high),
        confidence,
    )
