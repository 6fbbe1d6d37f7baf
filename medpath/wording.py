"""Plain words for results, for a surgeon before a statistician: one table of how directions of change
and unchanged patients are said, the one-sentence result of each outcome, and one-line explanations of
every statistical term and every option the pages offer.

Every sentence is computed from the same pairs that were tested (``OutcomeComparison.changes``), so the
counts in the sentence are the sign test's counts and the median is the median of the per-patient
changes -- the only median shown up front.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from medpath.formatting import (
    ALTERNATIVE_WORDS,
    UNIT_WORDS,
    interval,
    number,
    p_equals,
    p_value,
    percent,
    share_with_interval,
)
from medpath.protocol import Protocol
from medpath.stats import minimum_attainable_p

#: How a direction of change is said: verb (after the outcome: "rose in 5 of 5 patients"), and the
#: short word of a table ("up"). One table for every sentence, table and chart.
DIRECTION_WORDS = {
    "up": {"verb": "rose", "short": "up"},
    "down": {"verb": "fell", "short": "down"},
    "unchanged": {"verb": "did not change", "short": "unchanged"},
}

#: The conventional significance level of a pre-specified one-sided test (half the two-sided 0.05).
ONE_SIDED_ALPHA = 0.025
TWO_SIDED_ALPHA = 0.05

#: One-line explanations of the terms in "Statistical details" (shown beside each value).
TERMS = {
    "pairs": "Patients measured at both visits; only they are compared.",
    "median_iqr": "Middle value, and the range holding the middle half of patients (IQR).",
    "median_change": "The middle of the per-patient changes: half changed more, half less.",
    "hodges_lehmann": "A second estimate of the typical change (median of all pairwise averages of changes); "
    "used for the interval.",
    "ci": "Range of typical changes compatible with the data; with few patients the confidence level "
    "that can be reached is below 95 %.",
    "wilcoxon_w": "Sum of the ranks of the increases: large when most changes are increases.",
    "wilcoxon_p": "How often changes at least this consistent would arise by chance if there were no change "
    "on average; small is evidence of a change.",
    "min_p": "The smallest p-value this number of patients can ever give.",
    "holm": "p-value corrected for testing two primary outcomes (Holm).",
    "rank_biserial": "Effect size from −1 (all fell) to +1 (all rose).",
    "sign_test": "Counts only ups and downs, ignoring their size.",
    "mean_t": "Average change with a t-based interval; assumes normal data, for reference only.",
    "discordant": "Only the patients whose answer changed carry information about the change.",
    "mcnemar": "Exact McNemar test: the binomial test of those who became yes against those who became no.",
    "clopper_pearson": "Exact (Clopper–Pearson) interval of the proportion: at least 95 % coverage at any n.",
    "moved": "Only the patients whose level changed carry information about the change.",
    "sign_levels": "Exact sign test: the binomial test of those who moved up a level or more against those who "
    "moved down.",
}


def option_help(protocol: Protocol) -> dict[str, str]:
    """Help text of the pages' options (also the CLI's help, where it has the option), in the protocol's terms."""
    n = protocol.target_n
    responder = next((o for o in protocol.outcomes.values() if o.responder), None)
    helps = {
        "followup": f"The visit compared with baseline. The protocol's primary time point is {protocol.primary_visit}.",
        "direction": "Two-sided asks whether the outcome changed in either direction (the default). One-sided "
        "asks only about the direction chosen in advance; a pre-specified one-sided test conventionally uses "
        f"α = {ONE_SIDED_ALPHA}"
        + (
            f", which {n} pairs cannot reach (smallest one-sided p = {minimum_attainable_p(n, 'greater'):g})."
            if minimum_attainable_p(n, "greater") > ONE_SIDED_ALPHA
            else "."
        ),
        "zero_method": "What the Wilcoxon signed-rank test does with patients whose value did not change. "
        "'Left out' (Wilcoxon's original rule, 1945) tests the other patients only; 'Ranked, then left out' "
        "(Pratt's rule, 1959) ranks them with the others, so that they push the other patients' ranks up, "
        "and then leaves them out. Neither counts them as an increase or a decrease.",
        "hl_zeros": "Patients whose value did not change, in the median change's estimate and interval "
        "(Hodges–Lehmann): 'Counted as a change of 0' includes them (Hollander, Wolfe & Chicken, Nonparametric "
        "Statistical Methods, 2014); 'Left out' leaves them out first, as R's wilcox.test and StatXact do.",
        "patients": "The patients drawn in the charts (the statistics always use every paired patient).",
        "show": "Values: the measured values. Change from baseline: each value minus the patient's baseline.",
        "outcome": "The outcome drawn.",
    }
    if responder is not None and responder.responder is not None:
        verb = "fell" if responder.better == "lower" else "rose"
        helps["min_points"] = (
            f"A patient responds when {responder.name} {verb} by at least this many points "
            f"(protocol: {responder.responder.points:g})."
        )
        helps["min_percent"] = (
            f"… or by at least this percentage of the patient's baseline (protocol: {responder.responder.percent:g} %)."
        )
    return helps


def direction_options(protocol: Protocol) -> dict[str, str]:
    """The "Direction tested" choices; "expected" names each primary outcome's protocol direction."""
    expected = ", ".join(
        f"{protocol.outcomes[k].name} {'up' if protocol.outcomes[k].better == 'higher' else 'down'}"
        for k in protocol.primary_outcomes
    )
    return {
        "two-sided": "Either direction (two-sided, default)",
        "expected": f"Protocol direction (one-sided: {expected})",
        "greater": "Increase only (one-sided)",
        "less": "Decrease only (one-sided)",
    }


#: The pages' words for the test's and the estimate's options for patients with no change (``option_help``
#: names the methods): what each does, as ``stats.wilcoxon_signed_rank`` and ``stats.hodges_lehmann`` do it.
ZERO_METHOD_OPTIONS = {"wilcox": "Left out (Wilcoxon's rule)", "pratt": "Ranked, then left out (Pratt's rule)"}
HL_ZEROS_OPTIONS = {"keep": "Counted as a change of 0", "drop": "Left out"}


@dataclass(frozen=True)
class DirectionCounts:
    up: int
    down: int
    unchanged: int

    @property
    def n(self) -> int:
        return self.up + self.down + self.unchanged

    def as_json(self) -> dict[str, int]:
        return {"up": self.up, "down": self.down, "unchanged": self.unchanged}


def direction_counts(changes: pd.Series) -> DirectionCounts:
    """How many of the per-patient changes (already rounded by ``stats.paired_differences``) are
    increases, decreases and zero."""
    values = changes.to_numpy(dtype=float)
    return DirectionCounts(int((values > 0).sum()), int((values < 0).sum()), int((values == 0).sum()))


def _count_phrase(counts: DirectionCounts, first: str) -> str:
    """ "rose in 5 of 5 patients", "fell in 4 of 5 patients and did not change in 1", ... ``first`` is the
    direction said first (the protocol's expected one), then the other direction, then no change."""
    order = [first, "down" if first == "up" else "up", "unchanged"]
    parts = [(d, getattr(counts, d)) for d in order if getattr(counts, d)]
    noun = "patient" if counts.n == 1 else "patients"
    phrases = [
        f"{DIRECTION_WORDS[d]['verb']} in {k} of {counts.n} {noun}"
        if i == 0
        else f"{DIRECTION_WORDS[d]['verb']} in {k}"
        for i, (d, k) in enumerate(parts)
    ]
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _with_unit(x: float, unit: str) -> str:
    word = UNIT_WORDS.get(unit)
    return f"{number(x, True)} {word}" if word else number(x, True)


def plain_sentence(comparison) -> str:
    """The result as a surgeon can say it aloud, e.g. "Spine T-score rose in 5 of 5 patients, median
    change +0.3 (range +0.1 to +0.4). With 5 patients no test can reach p < 0.05 (smallest possible
    p = 0.0625)." Counts, median and range come from the tested pairs."""
    c = comparison
    outcome = c.meta
    name = outcome.name
    start, end = c.baseline_visit, c.followup_visit
    if c.n_pairs == 0:
        return f"No patient has {outcome.label} at both {start} and {end}: nothing can be compared."
    if c.binary is not None:  # a yes/no outcome: how many said yes at each visit, and how many changed
        b = c.binary
        sentence = (
            f"{name}: yes in {b.yes_baseline} of {b.n} patients at {start} and {b.yes_followup} of {b.n} at {end} "
            f"({b.gained} became yes, {b.lost} became no)."
        )
    elif c.ordinal is not None:  # an ordinal outcome: how many moved to a better or a worse level
        o = c.ordinal
        better, worse = (o.up, o.down) if outcome.better == "higher" else (o.down, o.up)
        sentence = (
            f"{name} moved to a better level in {better} of {o.n} patients from {start} to {end} and to a worse one "
            f"in {worse} ({o.n - o.up - o.down} unchanged; at {end}: {o.counts_text(o.followup)})."
        )
    else:
        counts = direction_counts(c.changes["change"])
        first = "up" if outcome.better == "higher" else "down"
        change = c.changes["change"]
        by = (
            f"median change {_with_unit(c.median_change, outcome.unit)} "
            f"(range {number(change.min(), True)} to {number(change.max(), True)})"
        )
        sentence = f"{name} {_count_phrase(counts, first)} from {start} to {end}, {by}."
    if c.left_out:
        sentence += f" {c.left_out[0].upper()}{c.left_out[1:]} because of an error in the file (see the Data page)."
    if c.unpaired:
        k = len(c.unpaired)
        sentence += f" {k} patient{'s' if k != 1 else ''} without both values {'are' if k != 1 else 'is'} not counted."
    w = c.wilcoxon
    alpha = TWO_SIDED_ALPHA if w.alternative == "two-sided" else ONE_SIDED_ALPHA
    test = "no test" if w.alternative == "two-sided" else "no one-sided test"
    size = f"{c.n_pairs} patient{'s' if c.n_pairs != 1 else ''}"
    if w.n_zero and w.zero_method == "wilcox":
        size += f" ({w.n_used} changed)"
    if c.min_attainable_p >= alpha:
        conventional = "" if w.alternative == "two-sided" else ", the usual level for a pre-specified one-sided test"
        sentence += (
            f" With {size} {test} can reach p < {alpha:g}{conventional} (smallest possible p = {c.min_attainable_p:g})."
        )
    else:
        side = "two-sided" if w.alternative == "two-sided" else "one-sided"
        sentence += f" {c.test_name[0].upper()}{c.test_name[1:]} test: {p_equals(c.p_value)} ({side})."
    return sentence[:1].upper() + sentence[1:]  # a spoken name may start lower case ("fasting C-peptide")


def details_rows(comparison) -> list[tuple[str, str, str]]:
    """(term, value, what it means) rows of "Statistical details", from the comparison's numbers."""
    c, s, w, hl, sign = (
        comparison,
        comparison.summary,
        comparison.wilcoxon,
        comparison.hodges_lehmann,
        comparison.sign_test,
    )
    start, end = c.baseline_visit, c.followup_visit
    if c.binary is not None:
        b = c.binary
        return [
            ("Pairs", f"{c.n_pairs}", TERMS["pairs"]),
            (
                f"Yes at {start}",
                share_with_interval(b.yes_baseline, b.n, b.ci_baseline),
                TERMS["clopper_pearson"],
            ),
            (
                f"Yes at {end}",
                share_with_interval(b.yes_followup, b.n, b.ci_followup),
                TERMS["clopper_pearson"],
            ),
            ("Became yes / became no", f"{b.gained} / {b.lost}", TERMS["discordant"]),
            ("McNemar p-value", f"{p_value(b.p_value)} (exact, {ALTERNATIVE_WORDS[w.alternative]})", TERMS["mcnemar"]),
            ("Smallest possible p", p_value(c.min_attainable_p), TERMS["min_p"]),
            ("Holm-adjusted p", p_value(c.p_holm), TERMS["holm"]),
        ]
    if c.ordinal is not None:
        o = c.ordinal
        return [
            ("Pairs", f"{c.n_pairs}", TERMS["pairs"]),
            *(
                (f"{level.capitalize()} at {when}", share_with_interval(n, o.n, ci), TERMS["clopper_pearson"])
                for when, counts, cis in ((start, o.baseline, o.baseline_ci), (end, o.followup, o.followup_ci))
                for level, n, ci in zip(o.levels, counts, cis)
            ),
            ("Moved up / moved down", f"{o.up} / {o.down}", TERMS["moved"]),
            (
                "Sign test p-value",
                f"{p_value(o.p_value)} (exact, {ALTERNATIVE_WORDS[w.alternative]})",
                TERMS["sign_levels"],
            ),
            ("Smallest possible p", p_value(c.min_attainable_p), TERMS["min_p"]),
            ("Holm-adjusted p", p_value(c.p_holm), TERMS["holm"]),
        ]

    def quartiles(q) -> str:
        return f"{number(q.median)} ({number(q.q1)} to {number(q.q3)})"

    mean, mean_low, mean_high = interval(s.mean_change, s.mean_ci_low, s.mean_ci_high, sign=True)
    return [
        ("Pairs", f"{c.n_pairs}", TERMS["pairs"]),
        (f"Median (IQR) at {start}", quartiles(s.before), TERMS["median_iqr"]),
        (f"Median (IQR) at {end}", quartiles(s.after), TERMS["median_iqr"]),
        ("Median (IQR) change", quartiles(s.change), TERMS["median_change"]),
        ("Hodges–Lehmann estimate", number(hl.estimate, True), TERMS["hodges_lehmann"]),
        (
            f"{percent(hl.ci_level)} confidence interval",
            f"{number(hl.ci_low, True)} to {number(hl.ci_high, True)}",
            TERMS["ci"] + f" ({percent(hl.requested_level)} requested.)",
        ),
        ("Wilcoxon W+", f"{w.statistic:g}", TERMS["wilcoxon_w"] + f" {w.n_used} non-zero change(s)."),
        (
            "Wilcoxon p-value",
            f"{p_value(w.p_value)} ({w.method}, {ALTERNATIVE_WORDS[w.alternative]})",
            TERMS["wilcoxon_p"],
        ),
        ("Smallest possible p", p_value(c.min_attainable_p), TERMS["min_p"]),
        ("Holm-adjusted p", p_value(c.p_holm), TERMS["holm"]),
        ("Rank-biserial correlation", number(c.rank_biserial, True), TERMS["rank_biserial"]),
        (
            "Sign test p-value",
            f"{p_value(sign.p_value)} ({sign.n_positive} up, {sign.n_negative} down, {sign.n_zero} unchanged)",
            TERMS["sign_test"],
        ),
        (
            "Mean change (t interval)",
            f"{mean} ({mean_low} to {mean_high}, {percent(s.ci_level)})",
            TERMS["mean_t"],
        ),
    ]
