"""Two small helpers of the profile's layouts (``sheet_ranges``, ``long_values``): whether a cell is blank, and a
list of Excel rows as a finding writes it."""

from __future__ import annotations


def blank(value: object) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def rows_text(rows: list[int], shown: int = 20) -> str:
    """ "4, 5, 9" -- the first ``shown`` rows, then how many more."""
    return ", ".join(map(str, rows[:shown])) + (f" and {len(rows) - shown} more" if len(rows) > shown else "")
