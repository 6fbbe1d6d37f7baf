"""The clock of a trial's visit schedule: months, weeks or days since baseline.

MedPath keeps every visit time in one currency, nominal months since baseline (the ``month`` column of
``Study.visits``; a week is 7 / (365.25 / 12) months, a day 1 / (365.25 / 12)), so that a weeks schedule and a
months schedule are analysed by the same code. What changes with a protocol's ``schedule: {unit: weeks}`` is how a
time is placed and named: ``Clock.label`` names it in the schedule's own unit ("week 24", never "month 5.52"),
``Clock.count`` gives the number on an axis titled ``Clock.axis_title`` ("Weeks since baseline"), and
``Clock.place_days`` places a day offset within the visit window of its unit (the nearest whole unit from half a
unit on; before that the exact fraction, never baseline). The month clock is the default and reproduces the
convention of a monthly schedule (from day 15 on, the nearest whole month).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12
#: one unit of a schedule in days
UNIT_DAYS = {"month": DAYS_PER_MONTH, "week": 7.0, "day": 1.0}
#: the words a protocol may write for a unit -> the unit
SCHEDULE_UNITS = {"months": "month", "month": "month", "weeks": "week", "week": "week", "days": "day", "day": "day"}


def _plain(x: float) -> str:
    """12, 0.46: a whole number without its decimals, otherwise two decimals at most."""
    return str(int(x)) if float(x).is_integer() else str(round(x, 2))


@dataclass(frozen=True)
class Clock:
    """The unit a schedule is written in: "month" (the default), "week" or "day"."""

    unit: str = "month"

    @property
    def months_per_unit(self) -> float:
        return UNIT_DAYS[self.unit] / DAYS_PER_MONTH

    def months(self, count: float) -> float:
        """``count`` units (24 weeks) in nominal months (the currency of ``Study.visits``)."""
        return float(count) if self.unit == "month" else count * self.months_per_unit

    def count(self, months: float) -> float:
        """Nominal ``months`` as a number of this clock's units, rounded to 2 decimals (5.52 months -> 24 weeks)."""
        return float(months) if self.unit == "month" else round(months / self.months_per_unit, 2)

    def label(self, months: float) -> str:
        """The canonical name of a visit at ``months``: "baseline" at 0, else "week 24" (in this clock's unit)."""
        if months == 0:
            return "baseline"
        return f"{self.unit} {_plain(self.count(months))}"

    def named(self, count: float) -> str:
        """A number of this clock's units in words: "6 months", "1 week", "24 weeks"."""
        return f"{_plain(count)} {self.unit}{'' if count == 1 else 's'}"

    def in_unit(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` as a reader sees it: its ``month`` column (nominal months) as the time in this clock's unit, under
        the unit's name ("week": 24, not "month": 5.52); a months clock leaves it as it is."""
        if self.unit == "month" or "month" not in table:
            return table
        return table.assign(month=[self.count(m) for m in table["month"]]).rename(columns={"month": self.unit})

    @property
    def axis_title(self) -> str:
        """ "Months since baseline"."""
        return f"{self.unit.capitalize()}s since baseline"

    @property
    def snaps_from(self) -> int:
        """The first day offset placed at a whole unit: half a unit in whole days (day 15 for months, day 4 for
        weeks, day 1 for days)."""
        return max(1, round(UNIT_DAYS[self.unit] / 2))

    def place_days(self, day: float) -> float:
        """Nominal months of a visit known by its day offset: from ``snaps_from`` on the nearest whole unit (a visit
        window around a scheduled visit), never baseline; before that the exact fraction of a month (two
        decimals)."""
        if day >= self.snaps_from:
            return self.months(float(max(1, math.floor(day / UNIT_DAYS[self.unit] + 0.5))))
        return round(day / DAYS_PER_MONTH, 2)


MONTHS = Clock()


def at_time(table: pd.DataFrame, months: float) -> pd.DataFrame:
    """The rows of ``table`` (a ``month`` column: nominal months) at ``months``, equal up to floating-point rounding
    (``np.isclose``), so that a week-24 time computed two ways is one time."""
    return table[np.isclose(table["month"].to_numpy(dtype=float), months)]
