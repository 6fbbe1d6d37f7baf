"""Assemble one validated ``Study`` from the uploaded files (the single entry point of the core).

``load_study([(name, bytes), ...])`` reads every table, validates it, checks the tables against each
other (duplicate patients and visits, visits of unscreened patients) and returns the canonical model.
It never raises for a bad file: every problem becomes a ``Finding``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from medpath.adverse_events import AE_FIELDS
from medpath.disposition import disposition_fields
from medpath.findings import Code
from medpath.gc_paused import gc_paused
from medpath.model import (
    COLUMN_FIELDS,
    PROVENANCE,
    USED_STATUSES,
    Finding,
    SourceFile,
    Study,
    empty_columns,
)
from medpath.pipeline.guard.disposable_reader import FileRead, read_uploads
from medpath.pipeline.guard.size_guards import MAX_TABLES, over_budget, too_many_tables
from medpath.pipeline.layout.extra_tables import ExtraTables, parse_extra_tables, split_extra_tables
from medpath.pipeline.layout.layouts import arrange, clean
from medpath.pipeline.map.columns import normalise
from medpath.pipeline.map.profile import Profile, apply_extra_columns, apply_extra_values
from medpath.pipeline.map.profile_tables import unmatched
from medpath.pipeline.map.schema import Schema, schema_of
from medpath.pipeline.read.reading import RawTable, ReadError
from medpath.pipeline.validate.row_questions import (
    blocked_tables,
    conflicting,
    keep_site,
    same_patient_ids,
    visits_of_not_enrolled,
)
from medpath.pipeline.validate.validation import Parsed, left_out_table, parse_table
from medpath.protocol import Protocol, bundled, default_protocol

#: The bundled synthetic studies and template.xlsx: package data (medpath/sample; data/sample links to it).
SAMPLE_DIR = resources.files("medpath") / "sample"
SAMPLE_LABEL = "Synthetic sample study (not real patients)"


def source_file(name: str, data: bytes) -> SourceFile:
    return SourceFile(name, len(data), hashlib.sha256(data).hexdigest())


@cache
def _sample_hashes() -> frozenset[str]:
    """SHA-256 of the bundled synthetic files (every protocol's sample and the CSV copies of the default one), so
    that they are labelled synthetic however they arrive."""
    samples = [p.sample for p in bundled().values() if p.sample is not None]
    csvs = [p for p in SAMPLE_DIR.iterdir() if p.name.startswith("medpath_sample_")]
    return frozenset(hashlib.sha256(p.read_bytes()).hexdigest() for p in [*samples, *csvs])


def load_study(
    files: Sequence[tuple[str, bytes]],
    *,
    label: str | None = None,
    synthetic: bool = False,
    mapping: Profile | None = None,
    protocol: Protocol,
    reads: Sequence[FileRead | ReadError] | None = None,
) -> Study:
    """Validate the uploaded files into one ``Study`` of ``protocol`` (``medpath.protocol.default_protocol()`` for the
    bundled default trial); problems become findings, never exceptions. A mapping profile
    (``medpath.pipeline.map.profile.parse_profile``) is applied to the raw tables before validation. Every stage reads the
    files with the protocol's schema (``medpath.pipeline.map.schema.schema_of``), passed as an argument; the cyclic garbage
    collector is paused meanwhile (``medpath.gc_paused``). ``reads``: the files as ``read_uploads`` read them, when the
    caller has them already (the mapping step's guess is made from the same reads); else they are read here."""
    with gc_paused():
        return _load_study(
            files, label=label, synthetic=synthetic, mapping=mapping, schema=schema_of(protocol), reads=reads
        )


def _load_study(
    files: Sequence[tuple[str, bytes]],
    *,
    label: str | None,
    synthetic: bool,
    mapping: Profile | None,
    schema: Schema,
    reads: Sequence[FileRead | ReadError] | None,
) -> Study:
    protocol = schema.protocol
    findings: list[Finding] = []
    parsed: list[Parsed] = []
    groups: list[str | None] = []
    raw: list[RawTable] = []  # every table as read, for the order of Study.columns
    records: list[
        dict
    ] = []  # Study.columns rows from medpath.pipeline.layout.layouts and medpath.pipeline.validate.validation
    value_notes: dict[tuple[str, str | None, str], str] = {}
    extra = ExtraTables()  # adverse-event and disposition sheets (medpath.pipeline.layout.extra_tables)
    places: dict[tuple[str, str | None], set[str]] = {}  # (file, sheet) -> the kinds of table read from it
    # every file measured and read in a disposable worker (medpath.pipeline.guard.disposable_reader), within the memory budget of
    # the whole upload (medpath.pipeline.guard.size_guards: files past it are measured, not read, and the upload is refused)
    if reads is None:
        reads = read_uploads(files, protocol)
    refusal = over_budget({name: r.cells for (name, _), r in zip(files, reads) if isinstance(r, FileRead)})
    tables_read = sum(len(r.tables or ()) for r in reads if isinstance(r, FileRead))
    if refusal is None and tables_read > MAX_TABLES:
        refusal = too_many_tables(tables_read, "the upload")
    if refusal is not None:
        findings.extend(r.finding for r in reads if isinstance(r, ReadError))
        findings.append(
            Finding(
                "error", ", ".join(n for n, _ in files), None, None, None, None, refusal, code=Code.UPLOAD_TOO_LARGE
            )
        )
    for (name, _), read in zip(files, [] if refusal is not None else reads):
        if isinstance(read, ReadError):
            findings.append(read.finding)
            continue
        tables = read.tables or []  # measured only: over the budget, refused above
        found, tables = split_extra_tables([apply_extra_columns(mapping, t) for t in tables], schema)
        # the adverse-event and disposition tables get the row rules of the others (hidden, struck-through, summary
        # and note rows; a site column): one set of rules for every kind of table
        extra_kinds = (
            ("adverse_events", extra.adverse_events, AE_FIELDS, "ae_"),
            ("disposition", extra.disposition, disposition_fields(protocol), "disposition_"),
        )
        for kind, kept, fields, prefix in extra_kinds:
            for table in getattr(found, kind):
                cleaned, asked = keep_site(clean(table, schema, mapping), mapping)
                cleaned, translated = apply_extra_values(mapping, cleaned, fields, prefix)  # the team's own words
                extra.findings += [*asked, *(_plain(f) for f in cleaned.notes[len(table.notes) :]), *translated]
                kept.append(cleaned)
                places.setdefault((table.file, str(table.sheet) if table.sheet else None), set()).add(kind)
        extra.findings += found.findings
        raw.extend(tables)
        arranged = arrange(tables, schema, mapping)
        findings.extend(_plain(f) for f in arranged.findings)
        records.extend(arranged.columns)
        value_notes.update(arranged.value_notes)
        for k, table in enumerate(arranged.tables):
            result = _plain_parsed(parse_table(table, schema))
            findings.extend(result.findings)
            records.extend(result.columns)
            parsed.append(result)
            group = arranged.groups.get(k)
            groups.append(f"{name}:{group}" if group else None)
    if mapping:
        findings.extend(_profile_unmatched(mapping, [*raw, *extra.adverse_events, *extra.disposition], records))
        findings.extend(unmatched(mapping, raw, schema))  # the primitives of medpath.pipeline.map.profile_tables
    excluded = {kind: sum(p.excluded for p in parsed if p.kind == kind) for kind in ("screening", "visits")}
    screening = _single(parsed, groups, "screening", findings, excluded, protocol)
    visits = _single(parsed, groups, "visits", findings, excluded, protocol)
    if visits is not None and visits.empty and not excluded["visits"]:
        findings.append(
            Finding(
                "error",
                ", ".join(n for n, _ in files),
                None,
                None,
                None,
                None,
                "no usable visit rows: the visits table has no data rows; nothing can be analysed",
                code=Code.NO_VISIT_ROWS,
            )
        )
    if visits is None:
        if not any(f.severity == "error" and f.row is None for f in findings):
            findings.append(
                Finding(
                    "error",
                    ", ".join(n for n, _ in files) or "(no file)",
                    None,
                    None,
                    None,
                    None,
                    "no visits table found: MedPath needs a sheet or CSV file of visits with a patient "
                    "id, a visit label and the outcomes (see the template)",
                    code=Code.NO_VISITS_TABLE,
                )
            )
        visits = pd.DataFrame(
            {
                c: pd.Series(dtype="float64" if c not in ("patient_id", "visit") else "object")
                for c in (*protocol.visit_columns, *PROVENANCE)
            }
        )
    if screening is not None:
        screening, dropped = _drop_duplicates(
            screening,
            ["patient_id"],
            "patient_id",
            findings,
            "patient {key} already appears in row {first}",
            [c for c in protocol.screening_columns if c != "patient_id"],
            mapping,
        )
        excluded["screening"] += dropped
    # one row per patient and time point: two labels for the same month ("week 2", "day 14") are a duplicate too
    visits, dropped = _drop_duplicates(
        visits,
        ["patient_id", "month"],
        "visit",
        findings,
        "a second '{visit}' visit for patient {key} (first in row {first})",
        list(protocol.outcomes),
        mapping,
    )
    excluded["visits"] += dropped
    visits, asked = same_patient_ids(screening, visits, mapping)
    findings.extend(asked)
    if screening is not None:
        findings.extend(_unscreened(visits, screening))
    visits, asked = visits_of_not_enrolled(screening, visits, mapping)
    findings.extend(asked)
    findings.extend(_above_target(screening, visits, protocol, ", ".join(n for n, _ in files)))
    findings.extend(_primary_not_read(visits, findings, records, protocol))
    for p in parsed:
        if p.frame is not None and len(p.frame):
            for file, sheet in p.frame[["source_file", "source_sheet"]].drop_duplicates().itertuples(index=False):
                places.setdefault((file, sheet), set()).add(p.kind)
    adverse_events, disposition, said, extra_excluded = parse_extra_tables(extra, screening, visits, schema)
    findings.extend(said)
    excluded.update(extra_excluded)
    names = [n for n, _ in files]
    sources = tuple(source_file(n, d) for n, d in files)
    if sources and all(s.sha256 in _sample_hashes() for s in sources):
        label, synthetic = label or SAMPLE_LABEL, True
    return Study(
        screening=screening,
        visits=visits.reset_index(drop=True),
        findings=tuple(findings),
        sources=sources,
        excluded_rows=excluded,
        left_out_values=left_out_table(parsed, screening, visits),
        label=label or ", ".join(names),
        synthetic=synthetic,
        columns=_columns_table(raw, records, value_notes),
        profile=mapping.as_dict() if mapping else None,
        adverse_events=adverse_events,
        disposition=disposition,
        unread=blocked_tables(findings, places),
        protocol=protocol,
    )


#: Which reason a column not used is listed with when several parts of the pipeline gave one (first wins).
_NOT_USED_ORDER = ("ignored", "hidden", "superseded", "ambiguous", "not read", "second column", "not used", "unknown")


def _columns_table(raw: list[RawTable], records: list[dict], value_notes: dict) -> pd.DataFrame:
    """``Study.columns``: one row per (file, sheet, header), in the files' column order. A column read in one table
    (e.g. the patient id of a sheet split into screening and visits) is used, whatever another part says."""
    if not records:
        return empty_columns()
    order: dict[tuple, int] = {}
    for t in raw:
        for h in t.header:
            order.setdefault((t.file, None if t.sheet is None else str(t.sheet) or None, str(h)), len(order))
    merged: dict[tuple, list[dict]] = {}
    for r in records:
        merged.setdefault((r["file"], r["sheet"], r["header"]), []).append(r)
    rows = []
    for key, group in merged.items():
        used = [r for r in group if r["status"] in USED_STATUSES]
        if used:
            row = dict(used[0])
            row["field"] = ", ".join(dict.fromkeys(r["field"] for r in used if r["field"]))
            row["table"] = ", ".join(dict.fromkeys(r["table"] for r in used if r["table"])) or None
            row["status"] = "profile" if any(r["status"] == "profile" for r in used) else "used"
            row["note"] = "; ".join(dict.fromkeys(r["note"] for r in used if r["note"]))
        else:
            row = dict(
                min(
                    group,
                    key=lambda r: (
                        _NOT_USED_ORDER.index(r["status"]) if r["status"] in _NOT_USED_ORDER else len(_NOT_USED_ORDER)
                    ),
                )
            )
            row["table"] = None
        if key in value_notes:
            row["note"] = "; ".join(n for n in (row["note"], value_notes[key]) if n)
        rows.append(row)
    rows.sort(key=lambda r: order.get((r["file"], r["sheet"], r["header"]), len(order)))
    return pd.DataFrame(rows, columns=list(COLUMN_FIELDS))


def _profile_unmatched(profile: Profile, raw: list[RawTable], records: list[dict]) -> list[Finding]:
    """A warning for each column and sheet the profile names that no file has (next month's export may have
    renamed it), naming the profile's line."""
    headers = {(None if t.sheet is None else normalise(t.sheet), normalise(str(h))) for t in raw for h in t.header}
    headers |= {(None if r["sheet"] is None else normalise(r["sheet"]), normalise(r["header"])) for r in records}
    sheets = {normalise(t.sheet) for t in raw if t.sheet is not None}
    out = []
    for written in profile.columns:
        place, _, header = written.rpartition("!")
        found = any(h == normalise(header) and (not place or s == normalise(place)) for s, h in headers)
        if not found and place:  # a header that holds '!' itself
            found = any(h == normalise(written) for _, h in headers)
        if not found:
            out.append(
                Finding(
                    "warning",
                    profile.name,
                    None,
                    profile.lines.get(("columns", written)),
                    written,
                    None,
                    "the mapping profile names this column, but no file has it (its row is the profile's line)",
                    code=Code.PROFILE_COLUMN_ABSENT,
                )
            )
    for sheet in profile.sheets:
        if normalise(sheet) not in sheets:
            out.append(
                Finding(
                    "warning",
                    profile.name,
                    sheet,
                    profile.lines.get(("sheets", sheet)),
                    None,
                    None,
                    "the mapping profile names this sheet, but no file has it (its row is the profile's line)",
                    code=Code.PROFILE_SHEET_ABSENT,
                )
            )
    return out


def load_sample_study(protocol: Protocol | None = None) -> Study:
    """The bundled synthetic study of ``protocol`` (the default protocol when None; ``medpath/sample``, also seen
    as ``data/sample``), labelled as such."""
    protocol = protocol or default_protocol()
    if protocol.sample is None:
        raise ValueError(f"protocol {protocol.id} has no bundled sample")
    data = protocol.sample.read_bytes()
    return load_study([(protocol.sample.name, data)], label=SAMPLE_LABEL, synthetic=True, protocol=protocol)


def no_study_yet(protocol: Protocol) -> Study:
    """The study before any file is uploaded, for a protocol without a sample (``Protocol.sample`` None): no rows,
    no finding, and every table unread "because no study has been uploaded yet", so that every count is not
    determinable with that reason (never 0)."""
    empty = load_study([], protocol=protocol)
    reason = "no study has been uploaded yet"
    return replace(
        empty,
        findings=(),
        unread=dict.fromkeys(("screening", "visits", "adverse_events", "disposition"), reason),
        label=f"No study yet: protocol {protocol.id} has no sample study",
    )


def _plain(finding: Finding) -> Finding:
    """The finding with its sheet and column as plain strings (``medpath.pipeline.layout.layouts`` labels split sheets with their
    kind, a mapping profile labels the columns it assigns with their field)."""
    if finding.column is not None and type(finding.column) is not str:
        finding = replace(finding, column=str(finding.column))
    if finding.sheet is None or type(finding.sheet) is str:
        return finding
    return replace(finding, sheet=str(finding.sheet) or None)  # "" is a CSV file's split table: no sheet


def _plain_parsed(result: Parsed) -> Parsed:
    frame = result.frame
    if frame is not None and len(frame):
        sheets = frame["source_sheet"]
        distinct = sheets.unique()
        plain = {s: None if s is None else str(s) or None for s in distinct}
        unchanged = (  # one sheet name, already a non-empty text in the column's dtype: nothing to convert
            len(distinct) == 1
            and type(distinct[0]) is str
            and plain[distinct[0]] == distinct[0]
            and pd.Series(distinct[:1].tolist()).dtype == sheets.dtype
        )
        if not unchanged:
            frame = frame.assign(source_sheet=[None if s is None else str(s) or None for s in sheets])
    return replace(result, frame=frame, findings=[_plain(f) for f in result.findings])


_KEYS = {"screening": ["patient_id"], "visits": ["patient_id", "month"]}
#: pairs of overlapping tables said one by one; the rest are counted in one finding
_OVERLAPS_SAID = 10


def _single(
    parsed: list[Parsed],
    groups: list[str | None],
    kind: str,
    findings: list[Finding],
    excluded: dict[str, int],
    protocol: Protocol,
) -> pd.DataFrame | None:
    """The one table of ``kind``. Tables from several sheets or files are combined only when they hold
    different rows (other patients, or other visits); two that hold the same patients (and visits) are
    the same table twice: an error asks which to keep, and neither is read."""
    tables = [(p.frame, g) for p, g in zip(parsed, groups) if p.kind == kind and p.frame is not None]
    if not tables:
        return None
    wanted = protocol.screening_columns if kind == "screening" else protocol.visit_columns
    if len(tables) == 1:
        return tables[0][0][[*wanted, *PROVENANCE]]
    keys = _KEYS[kind]
    dropped: set[int] = set()
    overlaps = _overlaps(tables, keys)
    for a, b, _, _ in overlaps:
        dropped |= {a, b}
    for a, b, example, count in overlaps[:_OVERLAPS_SAID]:
        (one, _), (two, _) = tables[a], tables[b]
        what = f"patient {example['patient_id']}" + (f" at month {example['month']:g}" if kind == "visits" else "")
        places = [_place(one), _place(two)]
        findings.append(
            Finding(
                "error",
                one["source_file"].iat[0],
                None,
                None,
                None,
                "; ".join(places),
                f"the {kind} table appears twice: {places[0]} and {places[1]} both hold {what}"
                f"{f' and {count - 1} more' if count > 1 else ''}. MedPath does not merge them: which one "
                f"should be kept? Upload only that file, or delete the other sheet; neither was read",
                code=Code.TABLE_TWICE,
            )
        )
    if len(overlaps) > _OVERLAPS_SAID:
        findings.append(
            Finding(
                "error",
                tables[0][0]["source_file"].iat[0],
                None,
                None,
                None,
                None,
                f"and {len(overlaps) - _OVERLAPS_SAID} more pairs of {kind} tables hold the same rows; none of them was "
                "read",
                code=Code.TABLE_TWICE,
            )
        )
    if dropped:
        excluded[kind] += sum(len(tables[k][0]) for k in dropped)
        empty = tables[0][0].iloc[0:0]
        tables = [t for k, t in enumerate(tables) if k not in dropped]
        if not tables:
            return empty[[*wanted, *PROVENANCE]]
    frames = [f for f, _ in tables]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len({g or id(f) for f, g in tables}) > 1:
        places = sorted({_place(f) for f, _ in tables if len(f)})
        findings.append(
            Finding(
                "warning",
                frame["source_file"].iat[0] if len(frame) else "",
                None,
                None,
                None,
                "; ".join(places),
                f"{len(frames)} {kind} tables were found and combined (they hold different patients or visits)",
                code=Code.TABLES_COMBINED,
            )
        )
    return frame[[*wanted, *PROVENANCE]]


def _overlaps(tables: list[tuple[pd.DataFrame, str | None]], keys: list[str]) -> list[tuple[int, int, pd.Series, int]]:
    """Every pair of tables (a < b, not of one group) that share a key: (a, b, the first shared key in a's row
    order, the rows of a whose key b holds). One concatenation and one join, linear in the rows, where comparing
    each pair of tables took quadratic time (400 small sheets: minutes)."""
    frames = [
        frame[keys].assign(_table=k, _group=group if group is not None else f"\0{k}")
        for k, (frame, group) in enumerate(tables)
        if len(frame)
    ]
    if len(frames) < 2:
        return []
    rows = pd.concat(frames, ignore_index=True)
    held = rows.drop_duplicates([*keys, "_table"])
    held = held[held.duplicated(keys, keep=False)]  # keys held by more than one table
    if held.empty:
        return []
    pairs = rows.merge(held, on=keys, suffixes=("", "_b"))  # a's rows, in their order, with each b holding the key
    pairs = pairs[(pairs["_table"] < pairs["_table_b"]) & (pairs["_group"] != pairs["_group_b"])]
    out = []
    for (a, b), shared in pairs.groupby(["_table", "_table_b"], sort=True):
        out.append((int(a), int(b), shared.iloc[0], len(shared)))
    return out


def _place(frame: pd.DataFrame) -> str:
    sheet = frame["source_sheet"].iat[0]
    return f"'{frame['source_file'].iat[0]}'" + (f" sheet '{sheet}'" if sheet else "")


def _drop_duplicates(
    frame: pd.DataFrame,
    keys: list[str],
    column: str,
    findings: list[Finding],
    message: str,
    values: list[str],
    profile: Profile | None,
):
    """One row per key. A later row that repeats the first in every one of ``values`` is a certain duplicate: left
    out with a warning. Rows of one key that disagree are a question (``medpath.pipeline.validate.row_questions``): the first is kept
    as proposed, with an error that blocks the table's numbers, unless the profile answers ``duplicates: first`` (a
    warning) or ``leave out`` (every row of that key left out). Every row left out is counted."""
    dup = frame.duplicated(keys, keep="first")
    if not dup.any():
        return frame, 0
    clash = conflicting(frame, keys, values)
    answer = profile.answer("duplicates") if profile else None
    first_rows = frame.loc[~dup].set_index(keys)["source_row"]
    for _, row in frame.loc[dup].iterrows():
        key = tuple(row[k] for k in keys)
        first = first_rows.loc[key if len(keys) > 1 else key[0]]
        said = message.format(key=row["patient_id"], first=int(first), visit=row.get("visit", ""))
        if not clash[row.name]:
            severity, code, said = "warning", Code.DUPLICATE_ROW, said + ", with the same values; counted once"
        elif answer == "first":
            severity, code, said = (
                "warning",
                Code.DUPLICATE_ROW,
                said + " with other values; not used, as the mapping profile says",
            )
        elif answer == "leave out":
            severity, code, said = (
                "warning",
                Code.DUPLICATE_ROW,
                said + " with other values; both left out, as the mapping profile says",
            )
        else:
            severity, code = "error", Code.DUPLICATE_CONFLICT
            said += (
                " with other values: which is right? MedPath proposes the first (shown so until you answer); the "
                "numbers of this table are not determinable until you confirm or change it in the mapping profile: "
                "rows: {duplicates: first} (or leave out)"
            )
        findings.append(
            Finding(
                severity,  # type: ignore[arg-type]
                row["source_file"],
                row["source_sheet"],
                int(row["source_row"]),
                column,
                row[column],
                said,
                code,
            )
        )
    drop = dup | (clash if answer == "leave out" else False)
    return frame.loc[~drop], int(drop.sum())


def _isin(ids: pd.Series, known: pd.Series) -> pd.Series:
    """``ids.isin(set(known))``; for two text columns held by pyarrow, as pandas computes it (``pyarrow.compute.
    is_in`` against the distinct known values, missing ones matching missing ones) without making a pyarrow
    scalar of each known value."""
    if ids.dtype == known.dtype and getattr(ids.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa  # type: ignore[import-untyped]  # installed: pandas holds the column with it
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        values = pa.chunked_array([pa.array(known)]).combine_chunks()
        found = pc.is_in(pa.array(ids), value_set=values.unique().cast(pa.array(ids).type))
        return pd.Series(np.array(found, dtype=np.bool_), index=ids.index, name=ids.name)
    return ids.isin(set(known))


def _primary_not_read(
    visits: pd.DataFrame, findings: list[Finding], records: list[dict], protocol: Protocol
) -> list[Finding]:
    """A question for each primary outcome of which no visit row holds a value while the visits were read and a
    column of a sheet the visits were read from was not recognised (other than a direct identifier, a name or a phone
    number): that column may be the outcome under another name, so its results are not
    determinable until the user says (an error naming the columns, answered in the mapping step). An export with no
    unrecognised column simply lacks the outcome: its results are not determinable beside the warning of the missing
    column."""
    if not len(visits) or any(f.code in (Code.NO_VISITS_TABLE, Code.NO_VISIT_ROWS) for f in findings):
        return []
    identifiers = {(f.file, f.sheet, f.column) for f in findings if f.code is Code.COLUMN_IDENTIFIER}
    sheets = visits[["source_file", "source_sheet"]].drop_duplicates().astype(object)
    visit_sheets = {(file, None if pd.isna(sheet) else sheet) for file, sheet in sheets.itertuples(index=False)}
    unknown = [
        r
        for r in records
        if r["status"] == "unknown"
        and (r["file"], r["sheet"]) in visit_sheets
        and (r["file"], r["sheet"], r["header"]) not in identifiers
    ]
    if not unknown:
        return []
    named = ", ".join(f"'{r['header']}'" for r in unknown[:5]) + (
        f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    )
    return [
        Finding(
            "error",
            unknown[0]["file"],
            unknown[0]["sheet"],
            None,
            None,
            None,
            f"no value of the primary outcome {protocol.outcomes[key].label} was read, and the visits have columns "
            f"MedPath does not recognise ({named}): its results are not determinable until you say whether one of "
            "them holds it (the mapping step), or that the export does not",
            code=Code.PRIMARY_OUTCOME_NOT_READ,
        )
        for key in protocol.primary_outcomes
        if key not in visits or not visits[key].notna().any()
    ]


def _above_target(
    screening: pd.DataFrame | None, visits: pd.DataFrame, protocol: Protocol, files: str
) -> list[Finding]:
    """A warning when more patients are enrolled (marked so in the screening log, or with visit rows) than the
    protocol's target: rows of another site or study may be in the files."""
    enrolled = set(visits["patient_id"].tolist())
    if screening is not None and "enrolled" in screening:
        enrolled |= set(screening.loc[screening["enrolled"].eq(True).fillna(False), "patient_id"].tolist())
    if not protocol.target_n or len(enrolled) <= protocol.target_n:
        return []
    message = (
        f"{len(enrolled)} patients are enrolled or have visit rows, more than the protocol's target of "
        f"{protocol.target_n} ({protocol.id}): are rows of another site, arm or study in the files?"
    )
    return [Finding("warning", files, None, None, None, len(enrolled), message, Code.ENROLLED_ABOVE_TARGET)]


def _unscreened(visits: pd.DataFrame, screening: pd.DataFrame) -> list[Finding]:
    """One warning per patient with visits but no screening row (still analysed)."""
    first = visits.loc[~_isin(visits["patient_id"], screening["patient_id"])].drop_duplicates("patient_id")
    return [
        Finding(
            "warning",
            r.source_file,
            r.source_sheet,
            int(r.source_row),
            "patient_id",
            r.patient_id,
            f"patient {r.patient_id} has visits but is not in the screening table; analysed, "
            "but not part of the eligibility funnel",
            code=Code.PATIENT_NOT_SCREENED,
        )
        for r in first.itertuples()
    ]
