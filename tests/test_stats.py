"""Reference checks for medpath.stats: scipy, R's documented example, brute-force enumeration,
hand computation and Hollander & Wolfe's order-statistic rule."""

import itertools
import math
import re

import numpy as np
import pytest
import scipy.stats as ss

from medpath import stats
from medpath.stats import (
    ALTERNATIVES,
    HL_ZERO_CONVENTIONS,
    HL_ZEROS,
    ZERO_METHODS,
    SignedRankDistribution,
    describe_paired,
    hodges_lehmann,
    holm,
    minimum_attainable_p,
    rank_biserial,
    sign_test,
    validate_paired,
    wilcoxon_frame,
    wilcoxon_signed_rank,
)


def _brute_force_p(d, alternative, zero_method):
    """Exact p by enumerating all 2^n sign assignments of the observed (mid)ranks."""
    d = np.asarray(d, dtype=float)
    nonzero = d != 0
    if zero_method == "wilcox":
        ranks = ss.rankdata(np.abs(d[nonzero]))
    else:
        ranks = ss.rankdata(np.abs(d))[nonzero]
    observed = ranks[d[nonzero] > 0].sum()
    sums = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(ranks))]
    sums = np.array(sums)
    p_ge = np.mean(sums >= observed - 1e-9)
    p_le = np.mean(sums <= observed + 1e-9)
    return {"greater": p_ge, "less": p_le, "two-sided": min(1.0, 2 * min(p_ge, p_le))}[alternative], observed


# --- Wilcoxon signed-rank ------------------------------------------------------------------------


@pytest.mark.parametrize("seed, n", [(0, 5), (1, 8), (2, 12), (3, 20), (4, 30)])
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_wilcoxon_matches_scipy_exact_without_ties(seed, n, alternative):
    rng = np.random.default_rng(seed)
    before = rng.normal(-2.5, 0.5, n)
    after = before + rng.normal(0.2, 0.4, n)
    assert len(np.unique(np.abs(after - before))) == n
    ours = wilcoxon_signed_rank(before, after, alternative)
    ref = ss.wilcoxon(after, before, alternative=alternative, method="exact")
    assert ours.method == "exact" and ours.n_used == n and ours.n_zero == 0
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    # scipy's statistic is W+ only for one-sided alternatives (two-sided: min(W+, W-)).
    w_plus = ss.wilcoxon(after, before, alternative="greater", method="exact").statistic
    assert ours.statistic == w_plus


@pytest.mark.parametrize("zero_method", ZERO_METHODS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_wilcoxon_normal_approximation_matches_scipy_with_ties_and_zeros(zero_method, alternative):
    rng = np.random.default_rng(7)
    d = np.round(rng.normal(0.2, 1, 90), 1)  # many ties, several zeros
    assert (d == 0).sum() > 0 and len(np.unique(np.abs(d))) < 60
    ours = wilcoxon_signed_rank(np.zeros_like(d), d, alternative, zero_method)
    ref = ss.wilcoxon(d, zero_method=zero_method, correction=True, alternative=alternative, method="asymptotic")
    assert ours.method == "normal" and ours.n_used > stats.EXACT_MAX_N
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)


def test_wilcoxon_r_documented_example():
    # R, ?wilcox.test: wilcox.test(x, y, paired = TRUE, alternative = "greater") -> V = 40, p = 0.01953
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    result = wilcoxon_signed_rank(before=y, after=x, alternative="greater")
    assert result.statistic == 40
    assert float(f"{result.p_value:.4g}") == 0.01953


TIED_AND_ZERO_DATA = [
    [0, 0, 1, 1, 2, -2, 3, -3.5, 1],
    [0, 1, -1, 1, -1, 2, 2, 2, -4],
    [-0.5, -0.5, -0.5, 0, 0.25, 3, 3, -3, 0, 7],
    [2, 2, 2, 2, 2, 2],
    [0, 0, -1, -1, -1, -2, 5, 5, -5, 0.1, 0.1, -0.1],
]


@pytest.mark.parametrize("d", TIED_AND_ZERO_DATA)
@pytest.mark.parametrize("zero_method", ZERO_METHODS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_wilcoxon_exact_equals_brute_force_with_ties_and_zeros(d, zero_method, alternative):
    expected_p, expected_w = _brute_force_p(d, alternative, zero_method)
    result = wilcoxon_signed_rank(np.zeros(len(d)), d, alternative, zero_method)
    assert result.method == "exact"
    assert result.n_zero == sum(v == 0 for v in d)
    assert result.n_used == len(d) - result.n_zero
    assert result.statistic == pytest.approx(expected_w, abs=1e-12)
    assert result.p_value == pytest.approx(expected_p, abs=1e-12)


def test_wilcoxon_float_rounding_does_not_break_ties():
    # |0.1 + 0.2| is 0.30000000000000004 > 0.3 in floating point; they must tie (midrank 1.5).
    result = wilcoxon_signed_rank([0, 0, 0], [0.1 + 0.2, -0.3, 0.5])
    assert result.statistic == 1.5 + 3  # unrounded ranking would give 2 + 3
    # 0.3 − (0.1 + 0.2) is -5.6e-17 in floating point; it is a zero difference.
    zero = wilcoxon_signed_rank([0.1 + 0.2, 1.0], [0.3, 2.0])
    assert zero.n_zero == 1 and zero.n_used == 1


def test_wilcoxon_no_nonzero_difference():
    result = wilcoxon_signed_rank([1.0, 2.0], [1.0, 2.0])
    assert (result.p_value, result.method, result.n_used, result.n_zero) == (1.0, "exact", 0, 2)


@pytest.mark.parametrize(
    "before, after",
    [([1, 2, 3], [1, 2]), ([1, np.nan], [1, 2]), ([1, 2], [1, np.inf])],
)
def test_invalid_input_raises(before, after):
    for function in (wilcoxon_signed_rank, hodges_lehmann, rank_biserial, sign_test, describe_paired):
        with pytest.raises(ValueError):
            function(before, after)


def test_invalid_options_raise():
    with pytest.raises(ValueError):
        wilcoxon_signed_rank([0], [1], alternative="bigger")
    with pytest.raises(ValueError):
        wilcoxon_signed_rank([0], [1], zero_method="zsplit")
    with pytest.raises(ValueError):
        hodges_lehmann([0], [1], confidence=95)


# --- smallest attainable p ------------------------------------------------------------------------


def test_minimum_attainable_p():
    assert minimum_attainable_p(5) == 0.0625
    assert minimum_attainable_p(5, "greater") == minimum_attainable_p(5, "less") == 0.03125
    assert minimum_attainable_p(0) == 1.0
    assert minimum_attainable_p(1) == 1.0


@pytest.mark.parametrize("magnitudes", [[1, 2, 3, 4, 5], [1, 1, 2, 2, 3], [1, 1, 1, 1, 1], [0, 1, 2, 3, 4]])
@pytest.mark.parametrize("zero_method", ZERO_METHODS)
def test_five_pairs_can_never_reach_two_sided_p_below_005(magnitudes, zero_method):
    two_sided, one_sided = [], []
    for signs in itertools.product((-1, 1), repeat=5):
        d = np.multiply(signs, magnitudes)
        two_sided.append(wilcoxon_signed_rank(np.zeros(5), d, "two-sided", zero_method).p_value)
        one_sided.append(wilcoxon_signed_rank(np.zeros(5), d, "greater", zero_method).p_value)
    n_nonzero = sum(m != 0 for m in magnitudes)
    assert min(two_sided) == minimum_attainable_p(n_nonzero) >= 0.0625 > 0.05
    assert min(one_sided) == minimum_attainable_p(n_nonzero, "greater")


# --- Hodges–Lehmann -------------------------------------------------------------------------------


def _walsh(d):
    return sorted((a + b) / 2 for a, b in itertools.combinations_with_replacement(d, 2))


def test_hodges_lehmann_estimate_by_hand():
    # d = 1, 2, 4: Walsh averages 1, 1.5, 2.5, 2, 3, 4 -> sorted 1, 1.5, 2, 2.5, 3, 4 -> median 2.25
    assert hodges_lehmann([0, 0, 0], [1, 2, 4]).estimate == 2.25


def test_hodges_lehmann_five_pairs_reports_9375_not_95():
    d = [-1.0, 2.0, 3.0, 5.0, 8.0]
    result = hodges_lehmann(np.zeros(5), d, confidence=0.95)
    walsh = _walsh(d)
    assert (result.ci_low, result.ci_high) == (walsh[0], walsh[-1]) == (-1.0, 8.0)
    assert result.ci_level == 1 - 2 / 32 == 0.9375
    assert result.requested_level == 0.95 and result.n == 5
    assert result.estimate == np.median(walsh)


def test_hodges_lehmann_ten_pairs_follows_hollander_wolfe_rule():
    d = [-0.7, 0.3, 1.1, 1.9, 2.2, 2.8, 3.5, 4.6, 5.2, 6.4]
    walsh = _walsh(d)
    assert len(walsh) == 55
    # Exact null distribution of W+ for n = 10 by enumerating the 2^10 subsets of ranks 1..10.
    sums = np.array([sum(s) for k in range(11) for s in itertools.combinations(range(1, 11), k)])
    # Hollander & Wolfe Table A.4: P(T+ >= 47) = .024 (<= .025), P(T+ >= 46) = .032 (> .025),
    # so t_{alpha/2} = 47 and C_alpha = n(n+1)/2 + 1 - 47 = 9 -> CI = [W_(9), W_(47)].
    assert np.mean(sums >= 47) == 25 / 1024 == pytest.approx(0.024, abs=5e-4)
    assert np.mean(sums >= 46) == pytest.approx(0.032, abs=5e-4)
    result = hodges_lehmann(np.zeros(10), d, confidence=0.95)
    assert (result.ci_low, result.ci_high) == (walsh[9 - 1], walsh[47 - 1])
    assert result.ci_level == 1 - 2 * np.mean(sums <= 8) == 1 - 50 / 1024
    assert result.estimate == np.median(walsh)
    # Asking for exactly the next lower level (C = 10) gives the next, narrower interval.
    narrower = hodges_lehmann(np.zeros(10), d, confidence=1 - 2 * np.mean(sums <= 9))
    assert (narrower.ci_low, narrower.ci_high) == (walsh[10 - 1], walsh[46 - 1])


def test_hodges_lehmann_empty_gives_nan():
    result = hodges_lehmann([], [])
    assert result.n == 0
    assert all(math.isnan(v) for v in (result.estimate, result.ci_low, result.ci_high, result.ci_level))


# --- effect size, sign test, Holm, description ----------------------------------------------------


def test_rank_biserial_by_hand():
    assert rank_biserial([0] * 4, [1, 2, -3, 4]) == pytest.approx((7 - 3) / 10)
    assert rank_biserial([0] * 3, [0, 1, -2]) == pytest.approx((1 - 2) / 3)  # zero dropped
    assert rank_biserial([0] * 3, [1, 1, 2]) == 1.0
    assert math.isnan(rank_biserial([1, 2], [1, 2]))


def test_sign_test_by_hand():
    result = sign_test([0] * 6, [1, 2, 3, 4, -1, 0])
    assert (result.n_positive, result.n_negative, result.n_zero) == (4, 1, 1)
    assert result.statistic == (4 - 1) / 2
    assert result.p_value == pytest.approx(2 * (1 + 5) / 32, abs=1e-12)  # 2 P(Binom(5, 1/2) <= 1)
    assert sign_test([1, 2], [1, 2]).p_value == 1.0


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]).size == 0


def test_describe_paired_by_hand():
    summary = describe_paired([1, 2, 3, 4, 5], [2, 2, 5, 4, 9])
    # change = 1, 0, 2, 0, 4 -> sorted 0, 0, 1, 2, 4; linear-interpolation quartiles 0, 1, 2
    assert summary.n == 5
    assert (summary.change.q1, summary.change.median, summary.change.q3) == (0, 1, 2)
    assert (summary.before.q1, summary.before.median, summary.before.q3) == (2, 3, 4)
    assert (summary.after.q1, summary.after.median, summary.after.q3) == (2, 4, 5)
    # mean 1.4, s = sqrt(11.2 / 4), t_{0.975, 4} = 2.776445 (t table)
    half = 2.776445 * math.sqrt(2.8) / math.sqrt(5)
    assert summary.mean_change == pytest.approx(1.4)
    assert summary.mean_ci_low == pytest.approx(1.4 - half, abs=1e-5)
    assert summary.mean_ci_high == pytest.approx(1.4 + half, abs=1e-5)


def test_describe_paired_small_samples_give_nan():
    assert math.isnan(describe_paired([], []).change.median)
    one = describe_paired([1.0], [2.0])
    assert one.mean_change == 1.0 and math.isnan(one.mean_ci_low)


def test_minimum_attainable_p_for_large_n_does_not_overflow():
    from medpath.stats import minimum_attainable_p

    assert minimum_attainable_p(2000) == 0.0 and minimum_attainable_p(1074, "greater") == 5e-324


def test_hodges_lehmann_large_n_uses_the_normal_critical_value():
    """n = 100 (above the exact limit): k from the normal approximation, cross-checked by hand:
    mean 2525, sd = sqrt(100*101*201/24) = 290.84; the 95 % interval uses the largest k with
    1 - 2*Phi((k - 1 + 0.5 - 2525)/290.84) >= 0.95, i.e. k <= 2525 - 1.95996*290.84 + 0.5 = 1955.47 -> k = 1955."""
    import numpy as np
    from scipy import stats as sps

    from medpath.stats import hodges_lehmann

    rng = np.random.default_rng(7)
    d = rng.normal(0.3, 1.0, 100)
    result = hodges_lehmann(np.zeros(100), d)
    walsh = np.sort([(d[i] + d[j]) / 2 for i in range(100) for j in range(i, 100)])
    # differences are rounded to 12 significant digits before use (floating-point guard)
    assert result.ci_low == pytest.approx(walsh[1955 - 1], rel=1e-9)
    assert result.ci_high == pytest.approx(walsh[len(walsh) - 1955], rel=1e-9)
    sd = np.sqrt(100 * 101 * 201 / 24)
    assert result.ci_level == pytest.approx(1 - 2 * sps.norm.cdf((1955 - 0.5 - 2525) / sd))
    assert result.ci_level >= 0.95


# --- Hodges–Lehmann without the n(n+1)/2 Walsh averages: against a brute force ------------------


def _null_cdf_no_ties(n):
    """P(W+ <= w), w = 0 .. n(n+1)/2, without ties: the coefficients of prod_i (1 + x^i) (the
    generating function of the subset sums of 1..n, Hollander, Wolfe & Chicken §3.1), divided by 2^n."""
    counts = np.array([1], dtype=np.int64)
    for i in range(1, n + 1):
        counts = np.polynomial.polynomial.polyadd(counts, np.r_[np.zeros(i, dtype=np.int64), counts]).astype(np.int64)
    return np.cumsum(counts) / 2.0**n


def _brute_force_hodges_lehmann(d, confidence):
    """Every Walsh average formed and sorted; k from all candidate levels at once (the definition)."""
    d = stats.paired_differences(np.zeros(len(d)), d)
    n = len(d)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2)
    m = len(walsh)
    ks = np.arange(1, (m + 1) // 2 + 1)
    if n <= stats.EXACT_MAX_N:
        cdf = _null_cdf_no_ties(n)[ks - 1]
    else:
        mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        cdf = ss.norm.cdf((ks - 1 + 0.5 - mean) / sd)
    levels = 1 - 2 * cdf
    chosen = max(int(np.sum(levels >= confidence - 1e-12)) - 1, 0)
    k = ks[chosen]
    return float(np.median(walsh)), float(walsh[k - 1]), float(walsh[m - k]), float(levels[chosen])


def _random_differences(rng, n, kind):
    if kind == "continuous":
        return rng.normal(0.2, 1.0, n)
    if kind == "tenths":  # many ties and zeros, as T-scores to one decimal
        return np.round(rng.normal(0.1, 0.4, n), 1)
    if kind == "integers":  # VAS changes: heavy ties, many zeros
        return rng.integers(-3, 4, n).astype(float)
    return np.round(rng.normal(0, 1, n) * 10 ** rng.uniform(-3, 3), 3)  # any scale


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 9, 13, 31, 60, 61, 97, 250, 700])
@pytest.mark.parametrize("kind", ["continuous", "tenths", "integers", "scaled"])
def test_hodges_lehmann_equals_brute_force(n, kind):
    rng = np.random.default_rng(1000 * n + len(kind))
    for confidence in (0.95, 0.9, 0.99, 0.5):
        d = _random_differences(rng, n, kind)
        result = hodges_lehmann(np.zeros(n), d, confidence)
        expected = _brute_force_hodges_lehmann(d, confidence)
        # the same floating-point Walsh averages, not merely close ones
        assert (result.estimate, result.ci_low, result.ci_high) == expected[:3]
        assert result.ci_level == pytest.approx(expected[3], abs=1e-12)
        assert result.n == n and result.requested_level == confidence


@pytest.mark.parametrize("kind", ["continuous", "tenths", "integers"])
def test_kth_walsh_average_every_rank(kind):
    """Every order statistic of the Walsh averages, n = 40 (820 averages: the narrowing rounds run
    before the last 4n = 160 candidates are sorted)."""
    d = np.sort(stats.paired_differences(np.zeros(40), _random_differences(np.random.default_rng(5), 40, kind)))
    i, j = np.triu_indices(40)
    walsh = np.sort((d[i] + d[j]) / 2)
    assert [stats._kth_walsh_average(d, k) for k in range(1, len(walsh) + 1)] == walsh.tolist()


def test_hodges_lehmann_zero_is_positive_zero():
    result = hodges_lehmann(np.zeros(4), [-0.0, 0.0, -0.0, 0.0])
    assert (result.estimate, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert all(math.copysign(1, v) == 1 for v in (result.estimate, result.ci_low, result.ci_high))


@pytest.mark.parametrize("n", [61, 100, 999, 2000])
@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.95, 0.99, 0.999999])
def test_interval_rank_above_the_exact_limit_equals_checking_every_k(n, confidence):
    m = n * (n + 1) // 2
    ks = np.arange(1, (m + 1) // 2 + 1)
    mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    levels = 1 - 2 * ss.norm.cdf((ks - 1 + 0.5 - mean) / sd)
    chosen = max(int(np.sum(levels >= confidence - 1e-12)) - 1, 0)
    k, level = stats._interval_rank(n, confidence)
    # the same k; the level from the standard library's erfc, within a few ulp of scipy's ndtr
    assert k == ks[chosen] and level == pytest.approx(levels[chosen], rel=1e-13)


# --- replacements of scipy.stats / statsmodels calls, checked against them -----------------------


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 10, 29, 100, 999, 1000, 1001, 5000, 12_499, 37_499, 100_000])
def test_t_quantile_matches_scipy(df):
    """The t quantile of the mean change's interval (describe_paired), without scipy: closed forms (df 1, 2),
    Newton on the exact A&S 26.7.3/26.7.4 series, the Cornish-Fisher series above 1,000 df."""
    for p in (0.025, 0.05, 0.5, 0.6, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995):
        assert stats._t_quantile(p, df) == pytest.approx(ss.t.ppf(p, df), rel=1e-12, abs=1e-14)


def test_normal_cdf_matches_scipy():
    from scipy.special import ndtr

    for z in np.linspace(-10, 10, 2001):
        assert stats._normal_cdf(float(z)) == pytest.approx(float(ndtr(z)), rel=1e-13)


def test_the_statistics_import_no_scipy():
    """describe_paired, the test and the interval run without importing scipy (about 0.2 s of every summary)."""
    import subprocess
    import sys

    code = (
        "import sys; from medpath import stats; "
        "stats.describe_paired([1.0, 2, 3, 4, 5] * 20, [1.5, 2, 4, 4.5, 6] * 20); "
        "stats.wilcoxon_signed_rank([1.0, 2, 3, 4, 5] * 20, [1.5, 2, 4, 4.5, 6] * 20); "
        "stats.hodges_lehmann([1.0, 2, 3, 4, 5] * 20, [1.5, 2, 4, 4.5, 6] * 20); "
        "print('scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "p",
    [
        [0.01, 0.04, 0.03],
        [0.5, 0.9],
        [0.0625, 0.0625],
        [0.2],
        [0.001, 0.5, 0.02, 0.02, 0.9, 0.04],
        [1.0, 0.3, 0.3, 0.0],
        np.random.default_rng(3).uniform(0, 0.2, 25),
    ],
)
def test_holm_matches_statsmodels_multipletests(p):
    from statsmodels.stats.multitest import multipletests

    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1], abs=1e-15)


@pytest.mark.parametrize(
    "d",
    [
        [1, 2, 3, 4, -1, 0],
        [1, -1],
        [1, 1, 1, 1, 1],
        [-2, -3, 0, 0, 4],
        [5] * 30 + [-5] * 9,
        np.random.default_rng(4).integers(-1, 2, 5001),
    ],
)
def test_sign_test_matches_statsmodels(d):
    from statsmodels.stats.descriptivestats import sign_test as reference

    statistic, p_value = reference(np.asarray(d, dtype=float), mu0=0)
    result = sign_test(np.zeros(len(d)), d)
    assert result.statistic == statistic
    assert result.p_value == pytest.approx(p_value, rel=1e-12, abs=1e-15)


def test_midranks_match_scipy_rankdata():
    x = np.round(np.random.default_rng(6).normal(0, 1, 500), 1)
    assert stats._midranks(x).tolist() == ss.rankdata(x).tolist()
    assert stats._midranks(np.array([])).size == 0


def test_t_interval_matches_scipy():
    before, after = [1, 2, 3, 4, 5, 6], [1.5, 2.5, 2, 5, 6.5, 7]
    d = np.subtract(after, before)
    summary = describe_paired(before, after, confidence=0.9)
    half = ss.t.ppf(0.95, 5) * d.std(ddof=1) / math.sqrt(6)
    assert (summary.mean_ci_low, summary.mean_ci_high) == pytest.approx((d.mean() - half, d.mean() + half), abs=1e-12)


def test_rounding_guard_formats_each_value_like_python():
    x = np.random.default_rng(8).normal(0, 1, 300) * 10.0 ** np.random.default_rng(9).integers(-8, 8, 300)
    x = np.r_[x, x[:50], 0.1 + 0.2, -0.0]
    assert stats._round_significant(x).tolist() == [float(f"{v:.12g}") for v in x]


# --- input validation: one function, d computed once ----------------------------------------------


@pytest.mark.parametrize(
    "before, after, message",
    [
        ([[1, 2]], [[1, 2]], "before and after must be one-dimensional."),
        ([1, 2, 3], [1, 2], "before and after must have the same length (got 3 and 2); pair the observations first."),
        (
            [1, np.nan],
            [1, 2],
            "before and after must not contain missing (NaN) or infinite values; drop incomplete pairs first.",
        ),
        ([1, 2], [1, -np.inf], "before and after must not contain missing (NaN)"),
    ],
)
def test_validate_paired_messages_for_bad_arrays(before, after, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_paired(before, after)


def test_validate_paired_messages_for_bad_options():
    with pytest.raises(
        ValueError, match=re.escape("alternative must be one of two-sided, greater, less (got 'bigger').")
    ):
        validate_paired([0], [1], alternative="bigger")
    with pytest.raises(ValueError, match=re.escape("zero_method must be one of wilcox, pratt (got 'zsplit').")):
        validate_paired([0], [1], zero_method="zsplit")
    with pytest.raises(ValueError, match=re.escape("zeros must be one of keep, drop (got 'omit').")):
        hodges_lehmann([0], [1], zeros="omit")
    with pytest.raises(ValueError, match=re.escape("zeros must be one of keep, drop (got 'omit').")):
        stats.as_hl_zeros("omit")
    assert [stats.as_hl_zeros(z) for z in HL_ZEROS] == ["keep", "drop"]


def test_validate_paired_fields():
    before = np.array([1.0, 2.0, 3.0, 4.0, 0.1 + 0.2])
    after = [2, 2, 1, 4.5, 0.3]
    data = validate_paired(before, after, "less", "pratt")
    # by hand: d = 1, 0, -2, 0.5, and 0.3 - (0.1 + 0.2) is a zero after the 12-digit rounding
    assert data.d.tolist() == [1.0, 0.0, -2.0, 0.5, 0.0]
    assert (data.n, data.n_zero, data.n_positive, data.n_negative) == (5, 2, 2, 1)
    assert (data.alternative, data.zero_method) == ("less", "pratt")
    assert data.before.tolist() == before.tolist() and data.after.tolist() == after
    assert not (data.d.flags.writeable or data.before.flags.writeable or data.after.flags.writeable)
    assert before.flags.writeable  # the caller's array is copied, not frozen
    copy = stats.paired_differences(before, after)
    assert copy.tolist() == data.d.tolist() and copy.flags.writeable


@pytest.mark.parametrize(
    "function",
    [wilcoxon_signed_rank, wilcoxon_frame, hodges_lehmann, sign_test, rank_biserial, describe_paired],
)
def test_every_function_validates_once(function, monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return validate_paired(*args, **kwargs)

    monkeypatch.setattr(stats, "validate_paired", counting)
    function([1.0, 2.0, 3.0], [2.0, 2.0, 5.0])
    assert len(calls) == 1


# --- the exact null distribution -------------------------------------------------------------------


@pytest.mark.parametrize("seed, n", [(10, 5), (11, 9), (12, 16), (13, 25)])
def test_signed_rank_distribution_matches_scipy_exact(seed, n):
    """P(W+ <= w) and P(W+ >= w) of the no-ties distribution are scipy's exact one-sided p-values."""
    null = SignedRankDistribution.without_ties(n)
    rng = np.random.default_rng(seed)
    for _ in range(12):
        d = rng.permutation(np.arange(1, n + 1)) * rng.choice([-1.0, 1.0], n) * 0.37
        w = ss.wilcoxon(d, alternative="greater", method="exact").statistic  # W+ one-sided
        assert null.cdf(w) == pytest.approx(ss.wilcoxon(d, alternative="less", method="exact").pvalue, abs=1e-15)
        assert null.sf(w - 0.5) == pytest.approx(
            ss.wilcoxon(d, alternative="greater", method="exact").pvalue, abs=1e-15
        )


@pytest.mark.parametrize("n", [1, 4, 10, 30, 60])
def test_signed_rank_distribution_without_ties_is_the_generating_function(n):
    null = SignedRankDistribution.without_ties(n)
    m = n * (n + 1) // 2
    assert null.max_statistic == m
    reference = _null_cdf_no_ties(n)
    assert [null.cdf(w) for w in range(m + 1)] == pytest.approx(reference, rel=1e-14, abs=0)
    assert sum(null.pmf(w) for w in range(m + 1)) == pytest.approx(1, abs=1e-14)
    assert null.pmf(0.5) == null.pmf(-1) == null.pmf(m + 1) == 0.0  # no ties: integers 0 .. M only
    assert (null.cdf(-0.5), null.cdf(m), null.sf(m), null.sf(-1)) == (0.0, 1.0, 0.0, 1.0)


def _doubled_reference_ranks(d, zero_method):
    d = np.asarray(d, dtype=float)
    nonzero = d != 0
    ranks = ss.rankdata(np.abs(d[nonzero])) if zero_method == "wilcox" else ss.rankdata(np.abs(d))[nonzero]
    return np.rint(2 * ranks).astype(int)


@pytest.mark.parametrize("d", TIED_AND_ZERO_DATA + [[1, 2, 3, 4, 5, -6, 7]])
@pytest.mark.parametrize("zero_method", ZERO_METHODS)
def test_signed_rank_distribution_equals_enumerating_sign_flips(d, zero_method):
    """pmf, cdf and sf against all 2^n sign assignments of scipy's midranks (ties and Pratt ranks)."""
    ranks2 = _doubled_reference_ranks(d, zero_method)
    n = len(ranks2)
    sums = np.array([ranks2[np.array(signs, dtype=bool)].sum() for signs in itertools.product((0, 1), repeat=n)])
    null = SignedRankDistribution(ranks2)
    assert null.n == n and null.max_statistic == ranks2.sum() / 2
    support = np.arange(ranks2.sum() + 1) / 2
    assert [null.pmf(w) for w in support] == [np.mean(sums == 2 * w) for w in support]  # exact: n is small
    assert sum(null.pmf(w) for w in support) == 1.0
    assert [null.cdf(w) for w in support] == [np.mean(sums <= 2 * w) for w in support]
    assert [null.sf(w) for w in support] == [np.mean(sums > 2 * w) for w in support]
    assert null.cdf(0.2) == null.cdf(0) and null.sf(0.2) == null.sf(0)  # between half-integers


def test_signed_rank_distribution_is_cached_per_n_without_ties():
    assert SignedRankDistribution.without_ties(7) is SignedRankDistribution.without_ties(7)
    permuted = np.random.default_rng(1).permutation(2 * np.arange(1, 8))
    assert SignedRankDistribution.for_ranks(permuted) is SignedRankDistribution.without_ties(7)
    assert SignedRankDistribution.for_ranks(np.array([3, 3, 6])) is not SignedRankDistribution.without_ties(3)
    # without ties, the order the ranks are added in does not change a bit (up to EXACT_MAX_N)
    n = stats.EXACT_MAX_N
    fresh = SignedRankDistribution(np.random.default_rng(2).permutation(2 * np.arange(1, n + 1)))
    cached = SignedRankDistribution.without_ties(n)
    support = range(n * (n + 1) // 2 + 1)
    assert [fresh.pmf(w) for w in support] == [cached.pmf(w) for w in support]


# --- the tidy one-row table -------------------------------------------------------------------------


FRAME_COLUMNS = ["W-val", "alternative", "p-val", "RBC", "n", "n_zero", "method", "zero_method"]


def test_wilcoxon_frame_r_documented_example():
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    frame = wilcoxon_frame(y, x, "greater", name="HDRS")
    assert frame.columns.tolist() == FRAME_COLUMNS and frame.index.tolist() == ["HDRS"]
    row = frame.loc["HDRS"]
    assert row["W-val"] == 40  # R: V = 40
    assert row["p-val"] == pytest.approx(ss.wilcoxon(x, y, alternative="greater", method="exact").pvalue, abs=1e-15)
    assert row["RBC"] == pytest.approx((40 - 5) / 45)  # W+ = 40, W- = 9*10/2 - 40 = 5 (Kerby 2014)
    assert (row["alternative"], row["n"], row["n_zero"], row["method"], row["zero_method"]) == (
        "greater",
        9,
        0,
        "exact",
        "wilcox",
    )


@pytest.mark.parametrize("zero_method", ZERO_METHODS)
def test_wilcoxon_frame_with_ties_and_zeros_against_brute_force(zero_method):
    d = TIED_AND_ZERO_DATA[4]
    expected_p, expected_w = _brute_force_p(d, "two-sided", zero_method)
    frame = wilcoxon_frame(np.zeros(len(d)), d, zero_method=zero_method)
    assert frame.index.tolist() == ["Wilcoxon"]
    row = frame.iloc[0]
    assert row["W-val"] == pytest.approx(expected_w, abs=1e-12)
    assert row["p-val"] == pytest.approx(expected_p, abs=1e-12)
    assert (row["n"], row["n_zero"], row["zero_method"], row["alternative"]) == (
        12,
        2,
        zero_method,
        "two-sided",
    )  # two zeros
    nonzero = np.array([v for v in d if v != 0])
    ranks = ss.rankdata(np.abs(nonzero))  # RBC always drops zeros (Kerby's simple difference formula)
    assert row["RBC"] == pytest.approx((ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / ranks.sum())


def test_wilcoxon_frame_rows_stack_per_outcome():
    import pandas as pd

    frames = [wilcoxon_frame([0, 0, 0], [1, 2, -3], name=name) for name in ("pain", "function")]
    table = pd.concat(frames)
    assert table.index.tolist() == ["pain", "function"] and table.columns.tolist() == FRAME_COLUMNS


# --- Hodges–Lehmann: the zero conventions ----------------------------------------------------------


@pytest.mark.parametrize("n", [3, 8, 13, 40, 75, 200])
@pytest.mark.parametrize("kind", ["tenths", "integers"])
def test_hodges_lehmann_drop_zeros_equals_brute_force(n, kind):
    """ "drop": zeros removed, then every Walsh average of the rest, their median, and the interval
    from their order statistics with k for the number of non-zero differences."""
    rng = np.random.default_rng(50 * n + len(kind))
    for confidence in (0.95, 0.9, 0.5):
        d = _random_differences(rng, n, kind)
        rounded = stats.paired_differences(np.zeros(n), d)
        nonzero = rounded[rounded != 0]
        result = hodges_lehmann(np.zeros(n), d, confidence, zeros="drop")
        assert (result.n, result.zeros, result.requested_level) == (len(nonzero), "drop", confidence)
        if len(nonzero) == 0:
            assert math.isnan(result.estimate)
            continue
        expected = _brute_force_hodges_lehmann(nonzero, confidence)
        assert (result.estimate, result.ci_low, result.ci_high) == expected[:3]
        assert result.ci_level == pytest.approx(expected[3], abs=1e-12)


def test_hodges_lehmann_drop_zeros_by_hand_and_as_r():
    # R drops zeros first (wilcox.test.default: ZEROES <- any(x == 0); if(ZEROES) x <- x[x != 0]);
    # A. Akinshin, "Unobvious problems of using the R's implementation of the Hodges-Lehmann
    # estimator" (2023, aakinshin.net) shows wilcox.test(c(0, 1, 2), conf.int = TRUE)$estimate = 1.5.
    dropped = hodges_lehmann([0, 0, 0], [0, 1, 2], zeros="drop")
    assert dropped.estimate == 1.5 and dropped.n == 2  # Walsh averages of 1, 2: 1, 1.5, 2
    assert (dropped.ci_low, dropped.ci_high, dropped.ci_level) == (1, 2, 1 - 2 / 4)  # n = 2: widest, 1 - 2/2^2
    kept = hodges_lehmann([0, 0, 0], [0, 1, 2])  # Walsh averages 0, .5, 1, 1, 1.5, 2 -> median 1
    assert kept.estimate == 1 and kept.n == 3 and kept.zeros == "keep"
    assert (kept.ci_low, kept.ci_high, kept.ci_level) == (0, 2, 1 - 2 / 8)


def test_hodges_lehmann_zero_conventions_agree_without_zeros_and_default_is_keep():
    d = [-0.7, 0.3, 1.1, 1.9, 2.2, 2.8, 3.5, 4.6, 5.2, 6.4]
    keep, drop = hodges_lehmann(np.zeros(10), d, zeros="keep"), hodges_lehmann(np.zeros(10), d, zeros="drop")
    assert (keep.estimate, keep.ci_low, keep.ci_high, keep.ci_level, keep.n) == (
        drop.estimate,
        drop.ci_low,
        drop.ci_high,
        drop.ci_level,
        drop.n,
    )
    with_zeros = [0, 0, 1, 2, 2, 3, -1]
    assert hodges_lehmann(np.zeros(7), with_zeros) == hodges_lehmann(np.zeros(7), with_zeros, 0.95, "keep")
    all_zero = hodges_lehmann([1, 2], [1, 2], zeros="drop")
    assert all_zero.n == 0 and math.isnan(all_zero.estimate) and math.isnan(all_zero.ci_level)


def test_hl_zero_conventions_text():
    assert set(HL_ZERO_CONVENTIONS) == set(HL_ZEROS)
    assert "Hollander, Wolfe & Chicken" in HL_ZERO_CONVENTIONS["keep"] and "2014" in HL_ZERO_CONVENTIONS["keep"]
    assert "wilcox.test" in HL_ZERO_CONVENTIONS["drop"] and "StatXact" in HL_ZERO_CONVENTIONS["drop"]
    assert all("Bauer" in text and text.endswith(".") for text in HL_ZERO_CONVENTIONS.values())


def test_clopper_pearson_matches_r_binom_test():
    """R 4.x: binom.test(7, 10)$conf.int = 0.3475471 0.9332605; binom.test(0, 10) = 0 0.3084971; binom.test(10, 10) =
    0.6915029 1; binom.test(682, 925, p = 0.75)$conf.int (R's documentation example, Mendel's peas) = 0.7076683
    0.7654066."""
    from medpath.stats import clopper_pearson

    for (x, n), (low, high) in {
        (7, 10): (0.3475471, 0.9332605),
        (0, 10): (0.0, 0.3084971),
        (10, 10): (0.6915029, 1.0),
        (682, 925): (0.7076683, 0.7654066),
    }.items():
        got = clopper_pearson(x, n)
        assert got == pytest.approx((low, high), abs=5e-8), (x, n)
    assert all(math.isnan(v) for v in clopper_pearson(0, 0))


def test_clopper_pearson_at_thousands_of_patients_equals_the_beta_quantiles():
    """The Clopper–Pearson bounds are the beta quantiles B(α/2; x, n − x + 1) and B(1 − α/2; x + 1, n − x) (Brown,
    Cai & DasGupta, Statist. Sci. 16 (2001) 101–133, eq. 4): scipy's ``beta.ppf`` as the reference at n = 5,000,
    where each binomial tail sums thousands of terms (issue 28: the responder rate of a registry extract)."""
    from scipy.stats import beta

    from medpath.stats import clopper_pearson

    for x, n in ((3000, 5000), (1, 5000), (4999, 5000), (17, 1000)):
        expected = (beta.ppf(0.025, x, n - x + 1), beta.ppf(0.975, x + 1, n - x))
        assert clopper_pearson(x, n) == pytest.approx(expected, rel=1e-9, abs=1e-12), (x, n)


def test_exact_mcnemar_is_the_binomial_test_of_the_discordant_pairs():
    """10 became yes, 2 became no: two-sided 2 P(B ≤ 2), B ~ Bin(12, 1/2) = 2 (1 + 12 + 66) / 4096 = 0.0385742
    (R: binom.test(10, 12)$p.value); one-sided P(B ≥ 10) = 79 / 4096; the other side P(B ≤ 10) = 4083 / 4096."""
    from medpath.stats import exact_mcnemar

    assert exact_mcnemar(10, 2) == pytest.approx(158 / 4096, rel=1e-12)
    assert exact_mcnemar(10, 2, "greater") == pytest.approx(79 / 4096, rel=1e-12)
    assert exact_mcnemar(10, 2, "less") == pytest.approx(4083 / 4096, rel=1e-12)
    assert exact_mcnemar(3, 3) == 1.0 and exact_mcnemar(0, 0) == 1.0
