"""Issue 26, item 1: a visit schedule in months, weeks or days (``medpath.schedule.Clock``). Visits are kept in
nominal months (a week is 7 / 30.4375 months) and named, placed and drawn in the schedule's unit; the month clock
keeps the monthly convention (from day 15 on, the nearest whole month)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medpath.pipeline.cells.values import parse_visit_label
from medpath.protocol import ProtocolError, parse_protocol
from medpath.schedule import DAYS_PER_MONTH, MONTHS, Clock

ROOT = Path(__file__).resolve().parent.parent
WEEKS, DAYS = Clock("week"), Clock("day")
DEMO_TEXT = "".join(
    line
    for line in (ROOT / "medpath" / "protocols" / "demo_knee_prp.yaml").read_text(encoding="utf-8").splitlines(True)
    if not line.startswith(("text:", "sample:"))
)
MONTHLY = "schedule:\n  visits: {baseline: 0, month 1: 1, month 3: 3, month 12: 12}\n  primary_month: 3\n"


def test_a_week_is_seven_days_of_an_average_month():
    assert DAYS_PER_MONTH == 30.4375 and WEEKS.months(24) == pytest.approx(24 * 7 / 30.4375)
    assert WEEKS.count(WEEKS.months(24)) == 24 and DAYS.count(DAYS.months(168)) == 168
    assert (WEEKS.label(WEEKS.months(24)), DAYS.label(DAYS.months(90)), MONTHS.label(6.0)) == (
        "week 24",
        "day 90",
        "month 6",
    )
    assert (WEEKS.label(0), WEEKS.axis_title, DAYS.axis_title) == (
        "baseline",
        "Weeks since baseline",
        "Days since baseline",
    )
    assert (WEEKS.named(1), WEEKS.named(24), MONTHS.named(6)) == ("1 week", "24 weeks", "6 months")


@pytest.mark.parametrize(
    ("clock", "day", "expected"),
    [
        (MONTHS, 14, 0.46),  # before day 15: the exact fraction of a month
        (MONTHS, 15, 1.0),  # from day 15: the nearest whole month, never baseline
        (MONTHS, 182, 6.0),
        (WEEKS, 3, 0.1),  # before day 4 (half a week): the exact fraction of a month, 3 / 30.4375 = 0.0986
        (WEEKS, 4, WEEKS.months(1)),  # from day 4: the nearest whole week
        (WEEKS, 170, WEEKS.months(24)),  # day 170 is 24.3 weeks: week 24 (a visit window)
        (WEEKS, 171, WEEKS.months(24)),  # 24.43 weeks
        (WEEKS, 172, WEEKS.months(25)),  # 24.57 weeks
        (DAYS, 1, DAYS.months(1)),
        (DAYS, 90, DAYS.months(90)),
    ],
)
def test_a_day_offset_is_placed_within_the_window_of_the_schedules_unit(clock, day, expected):
    assert clock.place_days(day) == pytest.approx(expected)


def test_a_visit_label_is_exact_in_the_schedules_unit_and_placed_in_another():
    assert parse_visit_label("Week 24", WEEKS) == ("week 24", WEEKS.months(24))
    assert parse_visit_label("minggu 2", WEEKS) == ("week 2", WEEKS.months(2))
    assert parse_visit_label("Day 168", WEEKS) == ("week 24", WEEKS.months(24))
    assert parse_visit_label("month 6", WEEKS) == ("week 26", WEEKS.months(26))  # 182.6 days: 26.09 weeks
    assert parse_visit_label("week 24") == ("month 6", 6.0)  # a monthly schedule: the nearest whole month
    assert parse_visit_label("week 2") == ("week 2", 0.46)
    assert parse_visit_label("day 90", DAYS) == ("day 90", DAYS.months(90))


def _weekly(schedule: str):
    return parse_protocol(DEMO_TEXT.replace(MONTHLY, schedule), "p.yaml")


def test_a_protocol_in_weeks_names_its_visits_in_weeks():
    assert MONTHLY in DEMO_TEXT
    p = _weekly(
        "schedule:\n  unit: weeks\n  visits: {baseline: 0, week 4: 4, week 12: 12, week 52: 52}\n  primary: 12\n"
    )
    assert p.clock == WEEKS and p.primary_month == pytest.approx(WEEKS.months(12))
    assert (p.primary_visit, p.visit_label(WEEKS.months(52)), p.visit_label(WEEKS.months(8))) == (
        "week 12",
        "week 52",
        "week 8",
    )
    assert (p.visit_adjective(p.primary_month), p.time_span(p.primary_month)) == ("week-12", "12 weeks")
    days = _weekly("schedule:\n  unit: days\n  visits: {baseline: 0, day 28: 28, day 90: 90}\n  primary: 90\n")
    assert days.primary_visit == "day 90" and days.primary_month == pytest.approx(90 / 30.4375)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("  unit: wekks\n  visits: {baseline: 0, week 4: 4}\n  primary: 4\n", "did you mean 'weeks'"),
        (
            "  unit: weeks\n  visits: {baseline: 0, week 4: 4}\n  primary_month: 4\n",
            "names its primary visit with 'primary'",
        ),
        (
            "  unit: weeks\n  visits: {baseline: 0, week 4: 4}\n  primary: 6\n",
            r"the primary visit \(6\) is not the week of a visit",
        ),
        ("  unit: weeks\n  visits: {baseline: 0, week 4: 4}\n", "the schedule needs its primary visit"),
        ("  visits: {baseline: 0, month 3: 3}\n  primary: 3\n  primary_month: 3\n", "give the primary visit once"),
        ("  unit: weeks\n  visits: {week 2: 2, week 4: 4}\n  primary: 4\n", "needs a baseline visit at week 0"),
    ],
)
def test_a_broken_schedule_is_refused_with_its_line(schedule, message):
    with pytest.raises(ProtocolError, match=message):
        _weekly("schedule:\n" + schedule)


def test_a_table_shows_the_time_in_the_schedules_unit():
    import pandas as pd

    table = pd.DataFrame({"visit": ["baseline", "week 24"], "month": [0.0, WEEKS.months(24)]})
    assert WEEKS.in_unit(table).to_dict("list") == {"visit": ["baseline", "week 24"], "week": [0.0, 24.0]}
    assert MONTHS.in_unit(table) is table  # a months schedule keeps its months
