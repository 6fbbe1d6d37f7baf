"""Where a visit row belongs (stage 6 of the reading pipeline): a visit label or a month / day offset -> the
canonical visit and its nominal month, within a visit window (``place_visit``), and a wide sheet (one row per
patient, one column per outcome and visit) spread into one long table per visit (``wide_to_long``)."""

from __future__ import annotations

from collections.abc import Mapping

from medpath.findings import Code
from medpath.pipeline.cells.cells import plain_number
from medpath.pipeline.cells.values import parse_visit_label
from medpath.pipeline.map.columns import AddedHeader, normalise
from medpath.pipeline.read.reading import RawTable
from medpath.schedule import Clock

#: A visit's offset may differ from its label's nominal time by this much, in units of the schedule (half a month of
#: a monthly schedule, half a week of a weekly one: a visit window), unremarked.
VISIT_WINDOW_UNITS = 0.5


def place_visit(
    table: RawTable, excel_row: int, mapping: dict[str, int], values: dict, findings: list, clock: Clock
) -> bool:
    """Fill the canonical visit label and nominal month; an unplaceable visit is an error. ``clock``: the unit of
    the protocol's schedule (``Protocol.clock``), which names the visit and places a day offset.

    A recognised label gives the nominal month (a "baseline" row is always month 0, even at study
    day 1); a month or day offset places a visit without a usable label. When both are given and the
    offset lies outside the label's visit window (± ``VISIT_WINDOW_UNITS`` of the schedule's unit), a warning names
    both.
    """
    label_raw = values.get("visit")
    parsed = parse_visit_label(label_raw, clock)
    month, day = values.get("month"), values.get("day")
    offset = month if month is not None else (clock.place_days(day) if day is not None else None)
    if parsed is not None:
        if offset is not None and abs(offset - parsed[1]) > clock.months(VISIT_WINDOW_UNITS):
            if month is not None:
                given = f"month {plain_number(month)}"
            else:
                assert day is not None  # the offset came from the day
                given = f"day {plain_number(day)}"
            findings.append(
                table.finding(
                    "warning",
                    excel_row,
                    table.header[mapping["visit"]],
                    label_raw,
                    f"the visit label says {parsed[0]} but the offset says {given}; "
                    f"analysed as {parsed[0]} (the label)",
                    code=Code.VISIT_LABEL_OFFSET_DISAGREE,
                )
            )
        values["visit"], values["month"], values["day"] = parsed[0], parsed[1], day
        return True
    if offset is None:
        if label_raw is None:
            findings.append(
                table.finding(
                    "error",
                    excel_row,
                    None,
                    None,
                    "the visit has no label and no month/day offset",
                    code=Code.VISIT_UNPLACED,
                )
            )
        else:
            findings.append(
                table.finding(
                    "error",
                    excel_row,
                    table.header[mapping["visit"]],
                    label_raw,
                    "unknown visit label (use e.g. baseline, month 1, month 3, month 6, or put "
                    "numbers in a 'month' column) and no month or day offset to place it",
                    code=Code.VISIT_UNPLACED,
                )
            )
        return False
    if label_raw is not None:
        findings.append(
            table.finding(
                "warning",
                excel_row,
                table.header[mapping["visit"]],
                label_raw,
                f"unknown visit label; placed at month {plain_number(offset)} from the offset column",
                code=Code.VISIT_PLACED_BY_OFFSET,
            )
        )
    values["visit"], values["month"], values["day"] = clock.label(offset), offset, day
    return True


def wide_to_long(
    table: RawTable, wide: dict[int, tuple[str, object]], visit_aliases: Mapping[str, str], clock: Clock
) -> list[tuple[RawTable, dict[str, str]]]:
    """One long sub-table per visit, each with its own column aliases (``visit_aliases``, the schema's, and the
    table's wide columns), so that findings still name the user's own column (e.g. 'vas_m6') and each long row
    keeps its patient row's Excel number."""
    id_index = next((i for i, h in enumerate(table.header) if visit_aliases.get(normalise(h)) == "patient_id"), None)
    by_visit: dict[str, list[int]] = {}
    for index, (_, label) in wide.items():
        parsed = parse_visit_label(label, clock)
        assert parsed is not None  # wide_columns keeps only the labels that parse
        by_visit.setdefault(parsed[0], []).append(index)
    keep = [id_index] if id_index is not None else []
    out = []
    for visit, indices in by_visit.items():
        header = [AddedHeader("Visit"), *(table.header[i] for i in keep + indices)]
        aliases = {**visit_aliases, **{normalise(table.header[i]): wide[i][0] for i in indices}}
        rows, numbers = [], []
        for cells, excel_row in zip(table.rows, table.row_numbers):
            values = [cells[i] if i < len(cells) else None for i in indices]
            if any(v not in (None, "") for v in values):
                rows.append([visit, *(cells[i] if i < len(cells) else None for i in keep), *values])
                numbers.append(excel_row)
        out.append((RawTable(table.file, table.sheet, header, rows, numbers, table.header_row, ()), aliases))
    return out
