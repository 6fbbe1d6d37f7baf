"""The analysis of a study, run once: eligibility, the primary and secondary comparisons, the trajectories, class
shifts, responders and the participant flow, for one set of choices (``Settings``).

``analyse(study, settings)`` is the single place where the statistics are computed; the summary JSON
(``medpath.summary``), the HTML report (``medpath.report``), the slides (``medpath.slides``) and every dashboard
page only display its result, so a number cannot differ between them and figures plot exactly the pairs that
were tested (``OutcomeComparison.changes``). The pages cache the result per study digest and settings. The
per-patient trajectory tables (series, class shifts, responders) are made on first use and then kept with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import pandas as pd

from medpath import stats
from medpath.consort import Flow, consort_flow
from medpath.eligibility import Eligibility, evaluate_study
from medpath.gc_paused import gc_paused
from medpath.model import Study
from medpath.outcomes import OutcomeComparison, primary_analysis
from medpath.secondary import secondary_analysis
from medpath.trajectories import (
    ResponderRate,
    completeness,
    patient_series,
    responder_rate,
    responder_table,
    shift_table,
)


@dataclass(frozen=True)
class Settings:
    """The user's choices; None means the protocol's value (primary month, responder thresholds, LSC). One set of
    responder thresholds and one LSC serve every outcome with a responder rule / an LSC: those chosen, or those
    of the protocol's first such outcome (each bundled protocol has at most one of each)."""

    followup_month: float | None = None
    alternative: stats.AlternativeChoice = "two-sided"  # or "expected": each outcome's protocol direction
    zero_method: stats.ZeroMethod = "wilcox"
    hl_zeros: stats.HLZeros = "keep"
    min_points: float | None = None
    min_percent: float | None = None
    lsc: float | None = None

    def resolved(self, study: Study) -> Settings:
        """The settings with every None replaced by the protocol's value (where the protocol has one)."""
        protocol = study.protocol
        responder = next((o.responder for o in protocol.outcomes.values() if o.responder), None)
        lsc = next((o.lsc for o in protocol.outcomes.values() if o.lsc), None)
        return replace(
            self,
            followup_month=protocol.primary_month if self.followup_month is None else self.followup_month,
            min_points=self.min_points if self.min_points is not None or responder is None else responder.points,
            min_percent=self.min_percent if self.min_percent is not None or responder is None else responder.percent,
            lsc=self.lsc if self.lsc is not None or lsc is None else lsc.value,
        )


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything computed from one study with one set of settings (``settings`` resolved: no None left where
    the protocol has a value)."""

    study: Study
    settings: Settings
    eligibility: Eligibility
    primary: dict[str, OutcomeComparison]
    secondary: dict[str, OutcomeComparison]
    flow: Flow
    #: why no outcome statistic is given (``primary`` and ``secondary`` then empty): the visits table was not read
    #: whole, or a question about its rows is not answered (``Study.unread``); None when they are computed
    outcomes_not_determinable: str | None = None

    # The per-patient tables below are computed on first use and kept (``cached_property`` stores them on the
    # instance, frozen or not): once per analysis like the rest, but not by a caller that shows none of them
    # (``summary --json``).

    @cached_property
    def series(self) -> dict[str, pd.DataFrame]:
        """outcome -> ``trajectories.patient_series`` for every outcome with a value."""
        visits, protocol = self.study.visits, self.study.protocol
        return {key: patient_series(visits, key, protocol) for key in self.study.outcomes_present}

    @cached_property
    def shifts(self) -> dict[str, pd.DataFrame]:
        """outcome -> ``trajectories.shift_table`` for the outcomes with classes (bands)."""
        visits, protocol = self.study.visits, self.study.protocol
        return {
            key: shift_table(visits, key, self.followup_month, protocol)
            for key in self.study.outcomes_present
            if protocol.outcomes[key].bands
        }

    @cached_property
    def responders(self) -> dict[str, pd.DataFrame]:
        """outcome -> ``trajectories.responder_table`` for the outcomes with a responder rule."""
        visits, protocol, settings = self.study.visits, self.study.protocol, self.settings
        return {
            key: responder_table(
                visits, key, self.followup_month, settings.min_points, settings.min_percent, protocol=protocol
            )
            for key in self.study.outcomes_present
            if protocol.outcomes[key].responder
        }

    @cached_property
    def responder_rates(self) -> dict[str, ResponderRate]:
        """outcome -> ``trajectories.responder_rate`` of its ``responders`` table."""
        return {key: responder_rate(table) for key, table in self.responders.items()}

    @cached_property
    def completeness(self) -> pd.DataFrame:
        """``trajectories.completeness`` at the protocol's primary visit (the follow-up the funnel counts)."""
        return completeness(self.study.visits, self.study.protocol.primary_month, self.study.protocol)

    @property
    def followup_month(self) -> float:
        assert self.settings.followup_month is not None  # resolved
        return self.settings.followup_month

    @property
    def followup_visit(self) -> str:
        """The compared follow-up visit's name in the schedule's unit ("month 6", "week 24")."""
        return self.study.protocol.visit_label(self.followup_month)

    @property
    def comparisons(self) -> dict[str, OutcomeComparison]:
        """Primary then secondary comparisons."""
        return self.primary | self.secondary


def analyse(study: Study, settings: Settings | None = None) -> Analysis:
    """Run every analysis of ``study`` once with ``settings`` (the protocol's defaults when None).

    The cyclic garbage collector is paused meanwhile (``medpath.gc_paused``): the per-patient rows, words and
    lists made here would otherwise trigger collections that walk every object of the loaded study."""
    with gc_paused():
        return _analyse(study, settings)


def _analyse(study: Study, settings: Settings | None) -> Analysis:
    settings = (settings or Settings()).resolved(study)
    protocol, visits = study.protocol, study.visits
    month = settings.followup_month
    eligibility = evaluate_study(study)
    alternative, zero_method, hl_zeros = settings.alternative, settings.zero_method, settings.hl_zeros
    blocked = study.unread.get("visits")  # a statistic of rows that may be wrong is not given at all
    analysed = len(visits) and blocked is None
    primary = (
        primary_analysis(
            visits, month, alternative, zero_method, hl_zeros=hl_zeros, lost=study.left_out_text, protocol=protocol
        )
        if analysed
        else {}
    )
    secondary = (
        secondary_analysis(visits, month, alternative, zero_method, protocol=protocol, hl_zeros=hl_zeros)
        if analysed
        else {}
    )
    return Analysis(
        study=study,
        settings=settings,
        eligibility=eligibility,
        primary=primary,
        secondary=secondary,
        flow=consort_flow(study, eligibility, month, primary),
        outcomes_not_determinable=blocked,
    )
