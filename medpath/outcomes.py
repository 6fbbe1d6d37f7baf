"""Change-from-baseline analyses of the outcome columns of the canonical ``Study.visits`` table.

Single-group, uncontrolled, five patients: every result here is exploratory. The statistics are
in ``medpath.stats``; this module pairs patients, runs them, and says in plain words what the
numbers can and cannot show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from medpath import stats
from medpath.formatting import (
    ALTERNATIVE_WORDS,
    UNIT_WORDS,
    ZERO_METHOD_WORDS,
    number,
    p_equals,
    p_value,
    percent,
    percent_of,
    smallest_p,
)
from medpath.protocol import Outcome, Protocol
from medpath.wording import details_rows, direction_counts, plain_sentence

__all__ = [
    "OutcomeComparison",
    "compare_outcomes",
    "compare_visits",
    "details_table",
    "direction_counts",
    "expected_direction",
    "followup_months",
    "headline",
    "plain_language",
    "plain_sentence",
    "primary_analysis",
    "summary_table",
]


@dataclass(frozen=True)
class BinaryChange:
    """A yes/no outcome (``Outcome.kind`` "binary") at the two visits of its pairs: how many said yes at each, how
    many became yes (``gained``) or no (``lost``), the exact McNemar p-value of the change (``stats.exact_mcnemar``,
    in the comparison's direction) and the exact 95 % (Clopper–Pearson) interval of each proportion."""

    n: int
    yes_baseline: int
    yes_followup: int
    gained: int
    lost: int
    p_value: float
    ci_baseline: tuple[float, float]
    ci_followup: tuple[float, float]

    @classmethod
    def of(cls, before: np.ndarray, after: np.ndarray, alternative: stats.Alternative) -> BinaryChange:
        """The two levels no (0) and yes (1) of ``LevelChange``: the exact McNemar test is its exact sign test."""
        c = LevelChange.of(before, after, ("no", "yes"), alternative)
        return cls(c.n, c.baseline[1], c.followup[1], c.up, c.down, c.p_value, c.baseline_ci[1], c.followup_ci[1])

    def as_json(self) -> dict:
        return {
            "n": self.n,
            "yes_baseline": self.yes_baseline,
            "yes_followup": self.yes_followup,
            "gained": self.gained,
            "lost": self.lost,
            "p_value": self.p_value,
            "ci_baseline": [_json_float(v) for v in self.ci_baseline],
            "ci_followup": [_json_float(v) for v in self.ci_followup],
            "test": "exact McNemar",
            "interval": "Clopper-Pearson 95 %",
        }


@dataclass(frozen=True)
class LevelChange:
    """An ordered categorical outcome (``Outcome.kind`` "ordinal", its ``levels`` lowest first, read as their places 0,
    1, …) at the two visits of its pairs: how many patients were at each level at each visit (each share with its exact
    95 % Clopper–Pearson interval), the shift table (baseline level × follow-up level), how many moved up or down, and
    the exact sign test of the change: of the m patients who moved, the number who moved up is Binomial(m, 1/2) under
    no change (Dixon & Mood, JASA 41 (1946) 557–566; for two levels it is the exact McNemar test,
    ``stats.exact_mcnemar``, which computes it), in the comparison's direction."""

    levels: tuple[str, ...]
    n: int
    baseline: tuple[int, ...]  # patients per level at baseline
    followup: tuple[int, ...]
    baseline_ci: tuple[tuple[float, float], ...]
    followup_ci: tuple[tuple[float, float], ...]
    shift: tuple[tuple[int, ...], ...]  # shift[i][j]: at level i at baseline and level j at follow-up
    up: int
    down: int
    p_value: float

    @classmethod
    def of(
        cls, before: np.ndarray, after: np.ndarray, levels: tuple[str, ...], alternative: stats.Alternative
    ) -> LevelChange:
        k, n = len(levels), len(before)
        shift = np.zeros((k, k), dtype=int)
        np.add.at(shift, (before.astype(int), after.astype(int)), 1)
        at_baseline, at_followup = shift.sum(axis=1), shift.sum(axis=0)
        up, down = int(np.triu(shift, 1).sum()), int(np.tril(shift, -1).sum())
        return cls(
            levels,
            n,
            tuple(int(x) for x in at_baseline),
            tuple(int(x) for x in at_followup),
            tuple(stats.clopper_pearson(int(x), n) for x in at_baseline),
            tuple(stats.clopper_pearson(int(x), n) for x in at_followup),
            tuple(tuple(int(x) for x in row) for row in shift),
            up,
            down,
            stats.exact_mcnemar(up, down, alternative),
        )

    def counts_text(self, counts: tuple[int, ...]) -> str:
        """ "none 3, partial 4, complete 2": the patients per level at one visit."""
        return ", ".join(f"{level} {n}" for level, n in zip(self.levels, counts))

    def as_json(self) -> dict:
        return {
            "levels": list(self.levels),
            "n": self.n,
            "baseline": list(self.baseline),
            "followup": list(self.followup),
            "baseline_ci": [[_json_float(v) for v in ci] for ci in self.baseline_ci],
            "followup_ci": [[_json_float(v) for v in ci] for ci in self.followup_ci],
            "shift": [list(row) for row in self.shift],
            "up": self.up,
            "down": self.down,
            "p_value": self.p_value,
            "test": "exact sign test (patients who moved up vs down)",
            "interval": "Clopper-Pearson 95 %",
        }


@dataclass(frozen=True, eq=False)
class OutcomeComparison:
    """Baseline vs follow-up for one outcome: the pairs, who was left out and why, and the tests."""

    outcome: str
    meta: Outcome  # the protocol's description of the outcome (label, unit, expected direction)
    baseline_month: float
    followup_month: float
    baseline_visit: str  # the two visits' names in the schedule's unit ("baseline", "week 24": Protocol.visit_label)
    followup_visit: str
    changes: pd.DataFrame  # patient_id, baseline, followup, change (= followup − baseline)
    unpaired: dict[str, str]  # patient_id -> why no pair
    summary: stats.PairedSummary  # medians, IQRs, mean change with t interval
    wilcoxon: stats.WilcoxonResult
    hodges_lehmann: stats.HodgesLehmannResult
    rank_biserial: float
    sign_test: stats.SignTestResult
    p_holm: float | None = None  # set by primary_analysis
    #: values of this outcome at the two compared visits left out because of an error, in words
    #: ("MSC-01 baseline left out (11)"), set by primary_analysis; "" when none
    left_out: str = ""
    #: a yes/no outcome's proportions and exact McNemar test (None for a number)
    binary: BinaryChange | None = None
    #: an ordinal outcome's levels at the two visits and exact sign test (None for a number or yes/no)
    ordinal: LevelChange | None = None

    @property
    def p_value(self) -> float:
        """The p-value of the change: exact McNemar for a yes/no outcome, the exact sign test for an ordinal one, else
        Wilcoxon's."""
        if self.binary is not None:
            return self.binary.p_value
        return self.ordinal.p_value if self.ordinal is not None else self.wilcoxon.p_value

    @property
    def min_attainable_p(self) -> float:
        """The smallest p-value the test can give with these pairs, in its direction: a yes/no or ordinal outcome's
        exact test counts the patients whose answer changed, the Wilcoxon test the non-zero changes."""
        counted = self.moved if self.moved is not None else self.wilcoxon.n_used
        return stats.minimum_attainable_p(counted, self.wilcoxon.alternative)

    @property
    def test_name(self) -> str:
        """The test of the change, as a sentence names it: "exact McNemar", "exact sign" or "Wilcoxon"."""
        return "exact McNemar" if self.binary is not None else "exact sign" if self.ordinal is not None else "Wilcoxon"

    @property
    def counted(self) -> str:
        """What the test counts, in words: "3 changed answers", "4 changed levels" or "4 non-zero changes"."""
        if self.moved is None:
            return f"{self.wilcoxon.n_used} non-zero changes"
        return f"{self.moved} changed {'answers' if self.binary is not None else 'levels'}"

    @property
    def moved(self) -> int | None:
        """The patients whose answer or level changed (what the exact test of a yes/no or ordinal outcome counts);
        None for a number (its Wilcoxon test counts the non-zero changes)."""
        if self.binary is not None:
            return self.binary.gained + self.binary.lost
        return self.ordinal.up + self.ordinal.down if self.ordinal is not None else None

    @property
    def n_pairs(self) -> int:
        return len(self.changes)

    @property
    def baseline_median(self) -> float:
        return self.summary.before.median

    @property
    def followup_median(self) -> float:
        return self.summary.after.median

    @property
    def median_change(self) -> float:
        return self.summary.change.median

    def as_json(self) -> dict:
        """JSON-safe summary: floats or None (NaN becomes None)."""
        w, hl = self.wilcoxon, self.hodges_lehmann
        return {
            "outcome": self.outcome,
            "n_pairs": self.n_pairs,
            "left_out": self.left_out or None,
            "baseline_median": _json_float(self.baseline_median),
            "followup_median": _json_float(self.followup_median),
            "median_change": _json_float(self.median_change),
            "wilcoxon": {
                "statistic": _json_float(w.statistic),
                "p_value": _json_float(w.p_value),
                "alternative": w.alternative,
                "method": w.method,
                "zero_method": w.zero_method,
            },
            "hodges_lehmann": {
                "estimate": _json_float(hl.estimate),
                "ci_low": _json_float(hl.ci_low),
                "ci_high": _json_float(hl.ci_high),
                "ci_level": _json_float(hl.ci_level),
                "zeros": hl.zeros,
            },
            "rank_biserial": _json_float(self.rank_biserial),
            "direction_counts": direction_counts(self.changes["change"]).as_json(),
            "p_holm": _json_float(self.p_holm),
            "min_attainable_p": _json_float(self.min_attainable_p),
            **({"binary": self.binary.as_json()} if self.binary is not None else {}),
            **({"ordinal": self.ordinal.as_json()} if self.ordinal is not None else {}),
        }


def _json_float(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def expected_direction(outcome: Outcome) -> stats.Alternative:
    """The protocol's expected direction of change as a one-sided alternative: "greater" where higher is
    better, "less" where lower is (``Outcome.better``)."""
    return "greater" if outcome.better == "higher" else "less"


def _pair(visits: pd.DataFrame, outcome: str, label: str, compared: tuple[tuple[float, str], tuple[float, str]]):
    """Per-patient (baseline, follow-up) values, and the patients without a usable pair and why."""
    months = visits["month"].to_numpy(dtype=float)
    measured = visits[outcome].to_numpy(dtype=float, na_value=np.nan)
    # ids in order of first appearance; codes: each row's patient
    codes, ids = pd.factorize(np.asarray(visits["patient_id"].tolist(), dtype=object), use_na_sentinel=False)
    at = []  # per month: (label, rows per patient, the value of a patient's only row there), aligned with ids
    for month, name in compared:  # (nominal months, the visit's name)
        rows = np.flatnonzero(np.isclose(months, month))
        value = np.full(len(ids), np.nan)
        value[codes[rows]] = measured[rows]  # used only where the patient has exactly one row
        at.append((name, np.bincount(codes[rows], minlength=len(ids)), value))
    usable = np.logical_and.reduce([(counts == 1) & ~np.isnan(value) for _, counts, value in at])
    unpaired = {}
    for i in np.flatnonzero(~usable):  # words only for the patients without a pair
        problems = []
        for where, counts, value in at:
            if counts[i] == 0:
                problems.append(f"no {where} visit")
            elif counts[i] > 1:
                problems.append(f"{counts[i]} rows at {where} (ambiguous)")
            elif math.isnan(value[i]):
                problems.append(f"{label} not measured at {where}")
        unpaired[ids[i]] = "; ".join(problems)
    changes = pd.DataFrame(
        {"patient_id": ids[usable].tolist(), "baseline": at[0][2][usable], "followup": at[1][2][usable]}
    )
    changes["change"] = stats.paired_differences(changes["baseline"], changes["followup"])
    return changes, unpaired


def compare_visits(
    visits: pd.DataFrame,
    outcome: str,
    followup_month: float | None = None,
    baseline_month: float = 0.0,
    alternative: stats.AlternativeChoice = "two-sided",
    zero_method: stats.ZeroMethod = "wilcox",
    confidence: float = 0.95,
    *,
    hl_zeros: stats.HLZeros = "keep",
    protocol: Protocol,
) -> OutcomeComparison:
    """Compare ``outcome`` at ``followup_month`` (the protocol's primary month by default) with ``baseline_month``
    in the patients who have a non-missing value at both. ``alternative`` is "two-sided", "greater", "less", or
    "expected" (the protocol's direction for this outcome, see ``expected_direction``). ``hl_zeros``: whether zero
    changes are kept in the Hodges–Lehmann estimate and interval ("keep", Hollander–Wolfe–Chicken) or dropped
    first ("drop", as R and StatXact; ``stats.HL_ZERO_CONVENTIONS``). ``protocol``: the study's (``Study.protocol``)."""
    if outcome not in protocol.outcomes or outcome not in visits.columns:
        raise ValueError(f"{outcome!r} is not an outcome column of the visits table.")
    meta = protocol.outcomes[outcome]
    followup_month = protocol.primary_month if followup_month is None else followup_month
    if alternative == "expected":
        alternative = expected_direction(meta)
    names = protocol.visit_label(baseline_month), protocol.visit_label(followup_month)
    changes, unpaired = _pair(visits, outcome, meta.label, ((baseline_month, names[0]), (followup_month, names[1])))
    before, after = changes["baseline"].to_numpy(), changes["followup"].to_numpy()
    checked = stats.as_alternative(alternative)
    wilcoxon = stats.wilcoxon_signed_rank(before, after, checked, stats.as_zero_method(zero_method))
    binary = BinaryChange.of(before, after, checked) if meta.kind == "binary" else None
    ordinal = LevelChange.of(before, after, meta.levels, checked) if meta.kind == "ordinal" else None
    return OutcomeComparison(
        outcome=outcome,
        meta=meta,
        baseline_month=baseline_month,
        followup_month=followup_month,
        baseline_visit=names[0],
        followup_visit=names[1],
        changes=changes,
        unpaired=unpaired,
        summary=stats.describe_paired(before, after),
        wilcoxon=wilcoxon,
        hodges_lehmann=stats.hodges_lehmann(before, after, confidence, zeros=stats.as_hl_zeros(hl_zeros)),
        rank_biserial=stats.rank_biserial(before, after),
        sign_test=stats.sign_test(before, after),
        binary=binary,
        ordinal=ordinal,
    )


def per_patient_changes(comparison: OutcomeComparison) -> pd.DataFrame:
    """The per-patient changes as a table shows them: patient_id, baseline, the follow-up visit (its name, "Week 24")
    and change; a yes/no or ordinal outcome's values by name ("no", "partial") and its change in words ("became yes",
    "up 2 levels"), a number's as numbers."""
    c = comparison
    names = c.meta.level_names
    table = c.changes.copy()
    if names:
        for column in ("baseline", "followup"):
            table[column] = [names[int(v)] for v in table[column]]
        table["change"] = [_step(int(v), c.binary is not None) for v in table["change"]]
    return table.rename(columns={"followup": c.followup_visit.capitalize()})


def _step(change: int, yes_no: bool) -> str:
    if change == 0:
        return "unchanged"
    if yes_no:
        return "became yes" if change > 0 else "became no"
    return f"{'up' if change > 0 else 'down'} {abs(change)} level{'s' if abs(change) != 1 else ''}"


def followup_months(visits: pd.DataFrame, protocol: Protocol) -> list[float]:
    """The visit months after baseline at which a primary outcome was measured: what baseline can be
    compared with, in order."""
    primary = [k for k in protocol.primary_outcomes if k in visits]
    measured = visits[primary].notna().any(axis=1) if len(visits) else pd.Series(dtype=bool)
    return sorted(float(m) for m in visits.loc[measured, "month"].unique() if m > 0)


def compare_outcomes(
    visits: pd.DataFrame,
    outcomes: tuple[str, ...],
    followup_month: float | None,
    alternative: stats.AlternativeChoice,
    zero_method: stats.ZeroMethod,
    hl_zeros: stats.HLZeros,
    protocol: Protocol,
) -> dict[str, OutcomeComparison]:
    """``compare_visits`` for each of ``outcomes`` that has a column with at least one value."""
    return {
        key: compare_visits(
            visits,
            key,
            followup_month,
            alternative=alternative,
            zero_method=zero_method,
            hl_zeros=hl_zeros,
            protocol=protocol,
        )
        for key in outcomes
        if key in visits.columns and visits[key].notna().any()
    }


def primary_analysis(
    visits: pd.DataFrame,
    followup_month: float | None = None,
    alternative: stats.AlternativeChoice = "two-sided",
    zero_method: stats.ZeroMethod = "wilcox",
    *,
    hl_zeros: stats.HLZeros = "keep",
    lost: Callable[[str, float], str] | None = None,
    protocol: Protocol,
) -> dict[str, OutcomeComparison]:
    """``compare_visits`` for each primary outcome with at least one value, with the Wilcoxon
    p-values Holm-adjusted across them (``p_holm``). alternative="expected" tests each outcome in
    its protocol direction. ``lost(outcome, month)`` (``Study.left_out_text``) names the values left out
    at the compared visits, so that every result says what it lost (``left_out``). ``protocol``: the study's."""
    comparisons = compare_outcomes(
        visits, protocol.primary_outcomes, followup_month, alternative, zero_method, hl_zeros, protocol
    )
    adjusted = stats.holm([c.p_value for c in comparisons.values()])

    def left_out(key: str, c: OutcomeComparison) -> str:
        if lost is None:
            return ""
        return "; ".join(text for text in (lost(key, c.baseline_month), lost(key, c.followup_month)) if text)

    return {
        key: replace(c, p_holm=float(p), left_out=left_out(key, c))
        for (key, c), p in zip(comparisons.items(), adjusted)
    }


def plain_language(comparison: OutcomeComparison) -> list[str]:
    """Sentences for a principal investigator: what was done and what this sample size allows."""
    c, w, hl = comparison, comparison.wilcoxon, comparison.hodges_lehmann
    label = c.meta.label
    span = f"from {c.baseline_visit} to {c.followup_visit}"
    sentences = []
    if c.unpaired:
        left_out = ", ".join(f"{pid} ({why})" for pid, why in c.unpaired.items())
        sentences.append(f"{len(c.unpaired)} patient(s) could not be paired: {left_out}.")
    if c.n_pairs == 0:
        sentences.append(
            f"No patient has {label} at both {c.baseline_visit} and {c.followup_visit}; nothing can be tested."
        )
    elif c.binary is not None:
        b = c.binary
        sentences.append(
            f"{label} (yes/no) {span} in {b.n} paired patient(s): exact McNemar test, the binomial test of the "
            f"{b.gained + b.lost} patient(s) whose answer changed ({b.gained} became yes, {b.lost} became no); "
            "each proportion with its exact (Clopper–Pearson) 95 % interval."
        )
    elif c.ordinal is not None:
        o = c.ordinal
        sentences.append(
            f"{label} ({' < '.join(o.levels)}) {span} in {o.n} paired patient(s): exact sign test, the binomial test "
            f"of the {o.up + o.down} patient(s) whose level changed ({o.up} moved up, {o.down} moved down); each "
            "level's share with its exact (Clopper–Pearson) 95 % interval."
        )
    else:
        sides = {
            "two-sided": "two-sided",
            "greater": "one-sided, expecting an increase",
            "less": "one-sided, expecting a decrease",
        }[w.alternative]
        handling = {
            "wilcox": "dropped before ranking (Wilcoxon)",
            "pratt": "ranked with the others, then their ranks dropped (Pratt)",
        }[w.zero_method]
        how = (
            "exact (all sign assignments enumerated)"
            if w.method == "exact"
            else "normal approximation with tie and continuity corrections"
        )
        zeros = f"{w.n_zero} zero change(s) {handling}" if w.n_zero else "no zero changes"
        sentences.append(
            f"Change in {label} {span} in {c.n_pairs} paired patient(s): Wilcoxon signed-rank test, "
            f"{sides}, p-value {how}; {zeros}."
        )
        pairs = f"{w.n_used} non-zero change(s)" if w.n_zero else f"{c.n_pairs} pair(s)"
        side = "two-sided" if w.alternative == "two-sided" else "one-sided"
        floor = f"With {pairs}, the smallest {side} p-value any result can reach is {smallest_p(c.min_attainable_p)}"
        sentences.append(floor + (" — so p < 0.05 is impossible." if c.min_attainable_p >= 0.05 else "."))
        used = "pairs" if hl.zeros == "keep" else "non-zero changes"  # what the interval is computed from
        if hl.ci_level < hl.requested_level:  # only the widest interval falls short
            sentences.append(
                f"The widest interval {hl.n} {used} allow has {percent(hl.ci_level)} "
                f"confidence; it is reported as such, not as {percent(hl.requested_level)}."
            )
        else:
            sentences.append(
                f"The interval for the median change has {percent(hl.ci_level)} "
                f"confidence, the nearest level {hl.n} {used} allow at or above the "
                f"requested {percent(hl.requested_level)}."
            )
    if c.p_holm is not None:
        sentences.append(f"Holm-adjusted across the primary outcomes, {p_equals(c.p_holm)}.")
    sentences.append("A non-significant result is not evidence of no effect.")
    sentences.append(
        "These analyses are exploratory (single group, no control): a change from "
        "baseline cannot be attributed to the treatment."
    )
    return sentences


def headline(comparison: OutcomeComparison) -> str:
    """The result in one line, every number with the method that produced it, e.g. "Spine BMD T-score,
    baseline → month 6: median change +0.3 SD (Hodges–Lehmann estimate +0.25 SD, 93.75 % CI +0.1 to
    +0.4); exact Wilcoxon p = 0.0625, two-sided, zero changes dropped (Wilcoxon); Holm-adjusted
    p = 0.125; n = 5 pairs"."""
    c, w, hl = comparison, comparison.wilcoxon, comparison.hodges_lehmann
    outcome = c.meta
    unit = UNIT_WORDS.get(outcome.unit, outcome.unit)
    span = f"{c.baseline_visit} → {c.followup_visit}"
    if c.n_pairs == 0:
        return f"{outcome.label}, {span}: no patient has values at both visits; nothing can be tested"
    if c.binary is not None:
        b = c.binary
        line = (
            f"{outcome.label}, {span}: yes in {b.yes_baseline} of {b.n} → {b.yes_followup} of {b.n} "
            f"({b.gained} became yes, {b.lost} became no); exact McNemar {p_equals(b.p_value)}, "
            f"{ALTERNATIVE_WORDS[w.alternative]}"
        )
    elif c.ordinal is not None:
        o = c.ordinal
        line = (
            f"{outcome.label}, {span}: {o.up} moved up, {o.down} down, {o.n - o.up - o.down} unchanged of {o.n} "
            f"({o.counts_text(o.baseline)} → {o.counts_text(o.followup)}); exact sign test {p_equals(o.p_value)}, "
            f"{ALTERNATIVE_WORDS[w.alternative]}"
        )
    else:
        line = (
            f"{outcome.label}, {span}: median change {number(c.median_change, True)} {unit} (Hodges–Lehmann "
            f"estimate {number(hl.estimate, True)} {unit}, {percent(hl.ci_level)} CI {number(hl.ci_low, True)} to "
            f"{number(hl.ci_high, True)}); {w.method} Wilcoxon {p_equals(w.p_value)}, "
            f"{ALTERNATIVE_WORDS[w.alternative]}, {ZERO_METHOD_WORDS[w.zero_method]}"
        )
    if c.p_holm is not None:
        line += f"; Holm-adjusted {p_equals(c.p_holm)}"
    lost = f" ({c.left_out})" if c.left_out else ""
    return line + f"; n = {c.n_pairs} pair{'s' if c.n_pairs != 1 else ''}{lost}"


def summary_table(comparison: OutcomeComparison) -> pd.DataFrame:
    """The main results table (measure, value), what a surgeon reads first: pairs, medians, the median
    change with its range, how many went up, down or stayed, and the test's p-value next to the smallest
    p-value these pairs allow. Everything else is in ``details_table``."""
    c, s, w = comparison, comparison.summary, comparison.wilcoxon
    start, end = c.baseline_visit, c.followup_visit
    if c.binary is not None:
        return pd.DataFrame(binary_rows(c, start, end), columns=["measure", "value"])
    if c.ordinal is not None:
        return pd.DataFrame(level_rows(c, start, end), columns=["measure", "value"])
    counts = direction_counts(c.changes["change"])
    change = c.changes["change"]
    rows = [
        ("Patients with both values", f"{c.n_pairs}"),
        (f"Median at {start}", number(s.before.median)),
        (f"Median at {end}", number(s.after.median)),
        (
            "Median change (range)",
            f"{number(c.median_change, True)} ({number(change.min(), True)} to {number(change.max(), True)})"
            if c.n_pairs
            else "–",
        ),
        ("Up / down / unchanged", f"{counts.up} / {counts.down} / {counts.unchanged}"),
        (f"Wilcoxon p-value ({'two-sided' if w.alternative == 'two-sided' else 'one-sided'})", p_value(w.p_value)),
        ("Smallest possible p", p_value(c.min_attainable_p)),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])


def binary_rows(c: OutcomeComparison, start: str, end: str) -> list[tuple[str, str]]:
    """The main results of a yes/no outcome (``c.binary``): each proportion with its exact interval, the changes, the
    exact McNemar p-value."""
    b, alternative = c.binary, c.wilcoxon.alternative
    assert b is not None  # a yes/no outcome

    side = "two-sided" if alternative == "two-sided" else "one-sided"
    return [
        ("Patients with both values", f"{b.n}"),
        (f"Yes at {start}", f"{b.yes_baseline} of {b.n} ({percent_of(b.yes_baseline, b.n)})"),
        (f"Yes at {start}: exact 95 % CI", f"{percent_of(b.ci_baseline[0])} to {percent_of(b.ci_baseline[1])}"),
        (f"Yes at {end}", f"{b.yes_followup} of {b.n} ({percent_of(b.yes_followup, b.n)})"),
        (f"Yes at {end}: exact 95 % CI", f"{percent_of(b.ci_followup[0])} to {percent_of(b.ci_followup[1])}"),
        ("Became yes / no / unchanged", f"{b.gained} / {b.lost} / {b.n - b.gained - b.lost}"),
        (f"Exact McNemar p ({side})", p_value(b.p_value)),
        ("Smallest possible p", p_value(c.min_attainable_p)),
    ]


def level_rows(c: OutcomeComparison, start: str, end: str) -> list[tuple[str, str]]:
    """The main results of an ordinal outcome (``c.ordinal``): how many patients at each level at each visit, how many
    moved up or down, the exact sign test's p-value (each share's exact interval is in the details)."""
    o, alternative = c.ordinal, c.wilcoxon.alternative
    assert o is not None  # an ordinal outcome
    side = "two-sided" if alternative == "two-sided" else "one-sided"
    return [
        ("Patients with both values", f"{o.n}"),
        *(
            (
                f"{level.capitalize()}: {start} → {end}",
                f"{before} → {after} ({percent_of(before, o.n)} → {percent_of(after, o.n)})",
            )
            for level, before, after in zip(o.levels, o.baseline, o.followup)
        ),
        ("Moved up / down / unchanged", f"{o.up} / {o.down} / {o.n - o.up - o.down}"),
        (f"Exact sign test p ({side})", p_value(o.p_value)),
        ("Smallest possible p", p_value(c.min_attainable_p)),
    ]


def details_table(comparison: OutcomeComparison) -> pd.DataFrame:
    """ "Statistical details": every estimate, interval, test, effect size and adjustment as rows of
    (measure, value, meaning) -- each with a one-line explanation of the term."""
    return pd.DataFrame(details_rows(comparison), columns=["measure", "value", "meaning"])
