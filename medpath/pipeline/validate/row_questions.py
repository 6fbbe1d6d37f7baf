"""Questions about which rows count: where a rule could be wrong, MedPath asks instead of guessing (issue 23).

A rule that decides which rows of an export count, and that could be wrong for the file at hand, is not applied
quietly: it becomes an **error** that names what was found, proposes an answer, and blocks the numbers that depend
on the table (``Study.unread``: shown as "not determinable", never as a number) until the mapping profile answers it
(``rows:`` in ``medpath.pipeline.map.profile``). The questions (``QUESTIONS``, finding codes):

* ``ROWS_HIDDEN``: rows hidden in Excel, by an AutoFilter left applied or by hand. A filter hides rows that are still
  data; a person may hide rows that are old copies. Proposed: read them (``rows: {hidden: read}``, or ``leave out``).
  Hidden rows are handled with the rest of a table's layout (``medpath.pipeline.layout.layouts``).
* ``ROWS_SEVERAL_SITES``: a site / centre / hospital / arm column with several values (a two-hospital tracker).
  Proposed: keep the most frequent value's rows (``rows: {keep: {Site: RSCM Jakarta}}``).
* ``VISITS_NOT_ENROLLED``: visit rows of candidates the screening log says were not enrolled (screen failures whose
  screening DXA was copied into the visits). Proposed: leave them out (``rows: {not enrolled visits: leave out}``, or
  ``analyse``).
* ``DUPLICATE_CONFLICT``: two rows of one patient (and visit) whose values disagree. Proposed: the first
  (``rows: {duplicates: first}``, or ``leave out`` both). Rows that repeat each other exactly are a certain duplicate
  and only counted.

* ``ID_SPELLING``: visit rows whose patient id is in the screening log only when written alike (letters and digits
  compared without case, spaces and dashes: "MSC 01" and "MSC-01"). Proposed: the same patients, read with the
  screening log's spelling (``rows: {id spelling: same}``, or ``different``).
* ``REMARK_NOT_MEASURED``: a remarks column (Keterangan, Catatan, Notes ...) says a row's values were not measured:
  carried forward (LOCF), imputed, estimated, a drop-out. Proposed: leave those rows out (``rows: {remarks: leave
  out}``, or ``read``).

An answer in the profile makes the rule certain: what it leaves out is then said in a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from medpath.findings import Code, Finding
from medpath.pipeline.map.columns import normalise
from medpath.pipeline.map.profile import KEEP, Profile
from medpath.pipeline.read.reading import RawTable

#: the codes of the questions: an unanswered one blocks the numbers of the tables it concerns
QUESTIONS = frozenset(
    {
        Code.ROWS_HIDDEN,
        Code.ROWS_SEVERAL_SITES,
        Code.VISITS_NOT_ENROLLED,
        Code.DUPLICATE_CONFLICT,
        Code.ID_SPELLING,
        Code.REMARK_NOT_MEASURED,
    }
)
#: a table that could not be read at all: the numbers that depend on it are not determinable either
UNREAD = frozenset({Code.COLUMN_REQUIRED_MISSING, Code.TABLE_NOT_READ, Code.NO_VISITS_TABLE, Code.NO_VISIT_ROWS})

#: headers (compared as ``columns.normalise`` compares them) of a column that says where or in which arm a row was
#: recorded
SITE_HEADERS = frozenset(
    normalise(h)
    for h in (
        "site",
        "study site",
        "site name",
        "site id",
        "centre",
        "center",
        "study centre",
        "hospital",
        "rumah sakit",
        "rs",
        "lokasi",
        "pusat",
        "senter",
        "arm",
        "group",
        "kelompok",
        "cohort",
        "kohort",
    )
)


#: headers of a free-text remarks column
REMARK_HEADERS = frozenset(
    normalise(h)
    for h in ("keterangan", "ket", "catatan", "komentar", "remark", "remarks", "note", "notes", "comment", "comments")
)
#: a remark that says the row's values were not measured
NOT_MEASURED = re.compile(
    r"\b(locf|bocf|carried\s+forward|carry\s+forward|imput\w*|estimat\w*|perkiraan|drop\s*-?\s*out|"
    r"not\s+measured|tidak\s+diukur|tidak\s+datang|missed|mengundurkan\s+diri|lost\s+to\s+follow)",
    re.I,
)


def _answer(profile: Profile | None, question: str) -> object:
    return profile.answer(question) if profile else None


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def keep_site(table: RawTable, profile: Profile | None) -> tuple[RawTable, list[Finding]]:
    """The rows of the site the profile keeps (``rows: keep``), or, when a site / centre / arm column holds several
    values and the profile does not say which to keep, the proposed answer (the most frequent value) with an
    error asking."""
    keep = _answer(profile, KEEP)
    if isinstance(keep, dict):
        ((column, wanted),) = keep.items()
        index = next((i for i, h in enumerate(table.header) if normalise(h) == normalise(column)), None)
        if index is None:
            return table, []
        return _only(table, index, _text(wanted))
    for index, header in enumerate(table.header):
        if normalise(header) not in SITE_HEADERS:
            continue
        counts = Counter(_text(row[index]) for row in table.rows if index < len(row) and _text(row[index]))
        if len(counts) < 2:
            continue
        proposed = counts.most_common(1)[0][0]
        listed = ", ".join(f"'{value}' ({n} rows)" for value, n in counts.most_common(6))
        question = table.finding(
            "error",
            table.header_row,
            header,
            proposed,
            f"the column '{header}' holds {len(counts)} sites or groups: {listed}. Which rows belong to this "
            f"trial? MedPath proposes to keep the rows of '{proposed}' only (shown so until you answer); the numbers "
            f"of this sheet are not determinable until you confirm or change it in the mapping profile: "
            f"rows: {{keep: {{{header}: {proposed}}}}}",
            code=Code.ROWS_SEVERAL_SITES,
        )
        kept, _ = _only(table, index, proposed)
        return kept, [question]
    return table, []


def remarks_not_measured(table: RawTable, profile: Profile | None) -> tuple[RawTable, list[Finding]]:
    """Rows whose remark says their values were not measured (``NOT_MEASURED``): left out as proposed, with an error
    asking, unless the profile answers ``remarks: read`` (kept) or ``leave out`` (a warning)."""
    index = next((i for i, h in enumerate(table.header) if normalise(h) in REMARK_HEADERS), None)
    if index is None:
        return table, []
    flagged = [
        (n, _text(cells[index]))
        for cells, n in zip(table.rows, table.row_numbers)
        if index < len(cells) and NOT_MEASURED.search(_text(cells[index]))
    ]
    answer = _answer(profile, "remarks")
    if not flagged or answer == "read":
        return table, []
    rows = {n for n, _ in flagged}
    kept = replace(
        table,
        rows=[c for c, n in zip(table.rows, table.row_numbers) if n not in rows],
        row_numbers=[n for n in table.row_numbers if n not in rows],
    )
    listed = "; ".join(f"row {n}: '{text[:60]}'" for n, text in flagged[:6])
    if answer == "leave out":
        message = f"{len(rows)} row(s) whose remark says they were not measured were left out, as the mapping profile says ({listed})"
        return kept, [
            table.finding("warning", flagged[0][0], table.header[index], None, message, code=Code.ROWS_KEPT_BY_PROFILE)
        ]
    message = (
        f"the remarks of {len(rows)} row(s) say their values were not measured ({listed}): carried forward, imputed or "
        "after a drop-out? MedPath proposes to leave these rows out (shown so until you answer); the numbers of this "
        "sheet are not determinable until you confirm or change it in the mapping profile: rows: {remarks: leave out} "
        "(or read)"
    )
    return kept, [
        table.finding(
            "error", flagged[0][0], table.header[index], flagged[0][1], message, code=Code.REMARK_NOT_MEASURED
        )
    ]


def _compact(pid: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(pid).casefold())


def same_patient_ids(
    screening: pd.DataFrame | None, visits: pd.DataFrame, profile: Profile | None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Visit ids that match one screening id only when written alike (``_compact``): read with the screening log's
    spelling as proposed, with an error asking, unless the profile answers ``id spelling: same`` (a warning) or
    ``different`` (kept as written)."""
    if screening is None or visits.empty:
        return visits, []
    screened = set(screening["patient_id"].tolist())
    by_compact: dict[str, list[str]] = {}
    for pid in screened:
        by_compact.setdefault(_compact(pid), []).append(pid)
    seen = set(visits["patient_id"].tolist())
    renamed = {
        pid: by_compact[_compact(pid)][0]
        for pid in seen - screened
        if len(by_compact.get(_compact(pid), ())) == 1 and by_compact[_compact(pid)][0] not in seen
    }
    answer = _answer(profile, "id spelling")
    if not renamed or answer == "different":
        return visits, []
    first = visits.loc[visits["patient_id"].isin(renamed)].iloc[0]
    pairs = ", ".join(f"'{a}' = '{b}'" for a, b in sorted(renamed.items())[:6])
    if answer == "same":
        severity, code = "warning", Code.ROWS_KEPT_BY_PROFILE
        message = f"{len(renamed)} patient id(s) of the visits are written as in the screening log ({pairs}), as the mapping profile says"
    else:
        severity, code = "error", Code.ID_SPELLING
        message = (
            f"{len(renamed)} patient id(s) of the visits are in the screening log only when written alike ({pairs}): "
            "the same patients? MedPath proposes to read them as the same, with the screening log's spelling (shown "
            "so until you answer); the numbers are not determinable until you confirm or change it in the mapping "
            "profile: rows: {id spelling: same} (or different)"
        )
    finding = Finding(
        severity,  # type: ignore[arg-type]
        first["source_file"],
        first["source_sheet"],
        int(first["source_row"]),
        "patient_id",
        first["patient_id"],
        message,
        code,
    )
    return visits.assign(patient_id=visits["patient_id"].replace(renamed)), [finding]


def _only(table: RawTable, index: int, wanted: str) -> tuple[RawTable, list[Finding]]:
    """The table with only the rows whose cell ``index`` is ``wanted`` (compared without case); a warning counts
    the others."""
    folded = wanted.casefold()
    pairs = [
        (cells, n)
        for cells, n in zip(table.rows, table.row_numbers)
        if _text(cells[index] if index < len(cells) else None).casefold() == folded
    ]
    left = len(table.rows) - len(pairs)
    if not left:
        return table, []
    said = table.finding(
        "warning",
        table.header_row,
        table.header[index],
        None,
        f"{left} row(s) whose '{table.header[index]}' is not '{wanted}' were left out, as the mapping profile says",
        code=Code.ROWS_KEPT_BY_PROFILE,
    )
    return replace(table, rows=[c for c, _ in pairs], row_numbers=[n for _, n in pairs]), [said]


def visits_of_not_enrolled(
    screening: pd.DataFrame | None, visits: pd.DataFrame, profile: Profile | None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Visit rows of candidates the screening log says were not enrolled: left out when the profile says so (a
    warning), kept when it says ``analyse``; otherwise left out as proposed, with an error asking."""
    if screening is None or "enrolled" not in screening or visits.empty:
        return visits, []
    not_enrolled = set(screening.loc[screening["enrolled"].eq(False).fillna(False), "patient_id"].tolist())
    hit = visits["patient_id"].isin(not_enrolled)
    if not hit.any():
        return visits, []
    answer = _answer(profile, "not enrolled visits")
    if answer == "analyse":
        return visits, []
    rows = visits.loc[hit]
    ids = list(dict.fromkeys(rows["patient_id"].tolist()))
    first = rows.iloc[0]
    if answer == "leave out":
        severity, message, code = (
            "warning",
            f"the visit rows of {len(ids)} candidate(s) not enrolled ({', '.join(ids[:10])}) were left out, as the "
            "mapping profile says",
            Code.ROWS_KEPT_BY_PROFILE,
        )
    else:
        severity, message, code = (
            "error",
            f"{len(rows)} visit row(s) belong to {len(ids)} candidate(s) the screening log says were not enrolled "
            f"({', '.join(ids[:10])}): screen failures whose screening values were copied into the visits, or "
            "patients whose enrolment is not recorded? MedPath proposes to leave these rows out of the analysis "
            "(shown so until you answer); the outcome numbers are not determinable until you confirm or change it "
            "in the mapping profile: rows: {not enrolled visits: leave out} (or analyse)",
            Code.VISITS_NOT_ENROLLED,
        )
    finding = Finding(
        severity,  # type: ignore[arg-type]
        first["source_file"],
        first["source_sheet"],
        int(first["source_row"]),
        "patient_id",
        first["patient_id"],
        message,
        code,
    )
    return visits.loc[~hit], [finding]


def conflicting(frame: pd.DataFrame, keys: Sequence[str], values: Iterable[str]) -> pd.Series:
    """Per row: another row has the same ``keys`` but different ``values`` (rows that repeat each other exactly in
    every one of ``values`` are not a conflict)."""
    values = [v for v in values if v in frame]
    if not values:
        return pd.Series(False, index=frame.index)
    written = frame[[*keys, *values]].astype(str)  # a missing value is one value of its own ("nan", "<NA>")
    distinct = written.groupby(list(keys), sort=False)[values].transform("nunique")
    return (distinct > 1).any(axis=1)


def blocked_tables(findings: Sequence[Finding], places: dict[tuple[str, str | None], set[str]]) -> dict[str, str]:
    """``Study.unread``: per table kind, why its numbers are not determinable -- an unanswered question about its
    rows, or the table could not be read. ``places``: (file, sheet) -> the kinds of table read from it; a question
    about a place no table was read from blocks the screening and visits tables both."""
    out: dict[str, str] = {}
    for f in findings:
        if f.severity != "error" or (f.code not in QUESTIONS and f.code not in UNREAD):
            continue
        kinds = places.get((f.file, f.sheet)) or {"screening", "visits"}
        if f.code is Code.NO_VISITS_TABLE or f.code is Code.NO_VISIT_ROWS:
            kinds = {"visits"}
        where = f.file + (f", sheet '{f.sheet}'" if f.sheet else "")
        why = "a question about its rows is not answered" if f.code in QUESTIONS else "it could not be read"
        for kind in sorted(kinds):
            out.setdefault(kind, f"{where}: {why} ({f.message[:160]})")
    return out


def proposed_answer(finding: Finding) -> tuple[str, object] | None:
    """The profile's ``rows`` entry (question, answer) that confirms MedPath's proposed answer to a question, or None
    for a finding that is not one (``QUESTIONS``)."""
    if finding.code is Code.ROWS_HIDDEN:
        return "hidden", "read"
    if finding.code is Code.ROWS_SEVERAL_SITES:
        return KEEP, {str(finding.column): str(finding.value)}
    if finding.code is Code.VISITS_NOT_ENROLLED:
        return "not enrolled visits", "leave out"
    if finding.code is Code.DUPLICATE_CONFLICT:
        return "duplicates", "first"
    if finding.code is Code.ID_SPELLING:
        return "id spelling", "same"
    if finding.code is Code.REMARK_NOT_MEASURED:
        return "remarks", "leave out"
    return None


def answered(profile: Profile | None, finding: Finding) -> Profile | None:
    """``profile`` (or a new one) with the proposed answer to ``finding`` confirmed; None when it is not a
    question."""
    answer = proposed_answer(finding)
    if answer is None:
        return None
    base = profile or Profile()
    return replace(base, rows={**base.rows, answer[0]: answer[1]})
