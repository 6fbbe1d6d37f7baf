"""The Data page's mapping step: the best guess of which column holds each field, and the profile its choices make.

``best_guess`` proposes, per field of the trial's protocol, the column that most likely holds it (a fuzzy match on
the header confirmed by the column's values), every candidate, and the texts each category field's reader does not
understand; ``profile_from_choices`` turns the choices the user makes in the mapping step into a mapping profile.
The profile itself (its format, ``parse_profile``, and how it is applied to the raw tables) is
``medpath.pipeline.map.profile``; its names are re-exported here for the pages and the command line. Nothing here touches disk.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from medpath.pipeline.cells.values import BadValue, is_missing, parse_date, parse_sex, parse_visit_label, word_reader
from medpath.pipeline.guard.disposable_reader import read_upload
from medpath.pipeline.guard.size_guards import cells_left
from medpath.pipeline.layout.layouts import clean
from medpath.pipeline.map.columns import AddedHeader, normalise
from medpath.pipeline.map.headers import classify
from medpath.pipeline.map.profile import (
    IGNORE,
    KEEP,
    MISSING_WORD,
    ROW_ANSWERS,
    Profile,
    ProfileError,
    apply_columns,
    apply_sheet,
    header_field,
    label,
    mark_sheet,
    parse_profile,
    translate,
    value_choices,
    value_kind,
)
from medpath.pipeline.map.schema import Schema, schema_of
from medpath.pipeline.read.reading import RawTable, ReadError
from medpath.protocol import Protocol

# --- the mapping step's best guess ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One column that could hold a field: where it is, how well it matches, and three of its values."""

    file: str
    sheet: str | None
    header: str
    score: float  # 0..1: the header's similarity to the field's names, times the share of values that fit
    samples: tuple[str, ...]

    @property
    def key(self) -> str:
        """The column as the mapping step names it: 'Sheet › Header' (the header alone in a CSV file)."""
        return f"{self.sheet} › {self.header}" if self.sheet else f"{self.file} › {self.header}"


@dataclass(frozen=True)
class Guess:
    """The best column for one field (None: no column fits), every candidate, and whether several columns claim
    it (then the mapping step shows them and asks)."""

    table: str  # "screening" or "visits"
    field: str
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    recognised: bool  # the best column's header is one MedPath knows for this field (no profile entry needed)

    @property
    def ambiguous(self) -> bool:
        if self.best is None or len(self.candidates) < 2:
            return False
        return self.candidates[1].score >= self.best.score - AMBIGUOUS_MARGIN and not self.recognised


@dataclass(frozen=True)
class SheetGuess:
    file: str
    sheet: str | None
    kind: str | None  # "screening", "visits" or None (neither recognised)
    headers: tuple[str, ...]


@dataclass(frozen=True)
class MappingGuess:
    sheets: tuple[SheetGuess, ...]
    fields: tuple[Guess, ...]
    unknown_values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> texts not understood
    columns: dict[str, Candidate] = field(default_factory=dict)  # every column (score 0) by its key, file order
    #: the schema of the protocol the guess was made for (its fields, their names and labels)
    schema: Schema = field(kw_only=True)

    def guess(self, table: str, field_name: str) -> Guess | None:
        return next((g for g in self.fields if g.table == table and g.field == field_name), None)

    @property
    def needs_attention(self) -> list[str]:
        """Why the mapping step should open by itself: required fields missing, fields claimed by several
        columns, texts not understood (empty: nothing to ask)."""
        schema = self.schema
        out = []
        for g in self.fields:
            if g.field in schema.required.get(g.table, ()) and g.best is None:
                out.append(f"no column for the {g.table} table's {label(g.field, schema)}")
            elif g.ambiguous:
                out.append(f"several columns could be the {label(g.field, schema)}")
            elif g.best is not None and not g.recognised:
                out.append(f"'{g.best.header}' is not a name MedPath knows (best guess: {label(g.field, schema)})")
        for f, texts in self.unknown_values.items():
            out.append(f"{len(texts)} value(s) of {label(f, schema)} not understood")
        return out


#: A column must match a field at least this well to be guessed for it.
GUESS_CUTOFF = 0.55
#: Two columns within this score of each other both claim a field.
AMBIGUOUS_MARGIN = 0.1


def _header_score(key: str, field_name: str, schema: Schema) -> float:
    """How much a normalised header looks like one of the field's names (``Schema.guess_names``; difflib ratio; a
    name contained in the header, as in 'usiatahun' for 'usia', counts as a near match)."""
    best = 0.0
    for name in schema.guess_names.get(field_name, ()):
        if not name:
            continue
        if name == key:
            return 1.0
        ratio = difflib.SequenceMatcher(None, key, name).ratio()
        if len(name) >= 3 and (key.startswith(name) or name in key):
            ratio = max(ratio, 0.75 + 0.2 * len(name) / max(len(key), 1))
        best = max(best, ratio)
    return min(best, 0.99)


def _fits(field_name: str, values: list[object], schema: Schema) -> float:
    """The share of a column's non-missing values that a field's reader accepts (in range)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return 0.5
    kind = value_kind(field_name, schema)
    if field_name == "date":
        ok = sum(parse_date(v) is not None for v in present)
    elif kind == "number":
        protocol = schema.protocol
        outcome = protocol.outcomes.get(field_name)
        screening = protocol.screening_fields.get(field_name)
        bounds = {"age": (0, 120), "month": (0, 240), "day": (0, 7300)}.get(
            field_name,
            outcome.valid_range
            if outcome
            else screening.bounds
            if screening and screening.bounds
            else (float("-inf"), float("inf")),
        )
        if outcome is not None and outcome.column_unit is not None:  # a column in another unit is rescaled
            bounds = (bounds[0], outcome.column_unit.all_at_most)
        read = schema.number_reader(field_name)
        ok = 0
        for v in present:
            try:
                value, _ = read(v)
            except BadValue:
                continue
            ok += value is not None and bounds[0] <= value <= bounds[1]
    elif kind in ("yes_no", "test", "consent"):
        read = word_reader(kind)
        ok = 0
        for v in present:
            try:
                read(v)
                ok += 1
            except BadValue:
                pass
        # a column of unknown texts may still be this field (the value step translates them)
        return max(ok / len(present), 0.6 if len({str(v) for v in present}) <= 6 else 0.0)
    elif kind == "sex":
        ok = 0
        for v in present:
            try:
                ok += parse_sex(v) is not None
            except BadValue:
                pass
        return max(ok / len(present), 0.6 if len({str(v) for v in present}) <= 3 else 0.0)
    elif kind == "visit":
        ok = sum(parse_visit_label(v) is not None for v in present)
    elif kind == "id":
        distinct = len({str(v) for v in present})
        return 1.0 if distinct >= max(2, len(present) // 3) else 0.3
    else:
        ok = len(present)
    return ok / len(present)


def _samples(values: list[object], n: int = 3) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if is_missing(v):
            continue
        text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
        if text not in out:
            out.append(text)
        if len(out) == n:
            break
    return tuple(out)


def _column(table: RawTable, index: int) -> list[object]:
    return [cells[index] if index < len(cells) else None for cells in table.rows]


def sheet_tables(files: Sequence[tuple[str, bytes]], schema: Schema) -> list[RawTable]:
    """The raw tables of the files, as the mapping step sees them (unreadable files left out; hidden rows,
    columns and two-row headers handled as ``medpath.pipeline.layout.layouts`` does)."""
    out: list[RawTable] = []
    for name, data in files:
        try:
            tables = read_upload(name, data, schema.protocol, max_cells=cells_left(0)).tables or []
        except ReadError:
            continue
        out.extend(clean(t, schema) for t in tables if not t.hidden)
    return out


def best_guess(files: Sequence[tuple[str, bytes]], protocol: Protocol, profile: Profile | None = None) -> MappingGuess:
    """Per field of ``protocol`` the analysis needs, the column that most likely holds it (fuzzy match on the header confirmed
    by the column's values, with three sample values), every candidate above ``GUESS_CUTOFF``, and per category
    field the texts its reader does not understand. A column the ``profile`` maps counts as that field."""
    return _best_guess(files, schema_of(protocol), profile)


def _best_guess(files: Sequence[tuple[str, bytes]], schema: Schema, profile: Profile | None) -> MappingGuess:
    tables = sheet_tables(files, schema)
    sheets = []
    every: dict[str, Candidate] = {}
    candidates: dict[tuple[str, str], list[Candidate]] = {}
    recognised: dict[tuple[str, str], set[str]] = {}
    for table in tables:
        rule = apply_sheet(profile, table)
        if rule == IGNORE:
            sheets.append(SheetGuess(table.file, table.sheet, None, tuple(map(str, table.header))))
            continue
        mapped, _ = apply_columns(profile, table, schema)
        marked = mark_sheet(mapped, rule, schema) if rule else mapped
        kind = classify(marked, schema)
        if kind is None:  # decide by the columns' likely fields
            votes = {
                k: sum(
                    max((_header_score(normalise(h), f, schema) for f in fields if f != "patient_id"), default=0)
                    >= 0.75
                    for h in table.header
                )
                for k, fields in schema.table_fields.items()
            }
            kind = max(votes, key=lambda k: votes[k]) if any(votes.values()) else None
        sheets.append(SheetGuess(table.file, table.sheet, kind, tuple(map(str, table.header))))
        for index, name in enumerate(marked.header):
            if not isinstance(name, AddedHeader) and str(name).strip():
                column = Candidate(
                    table.file,
                    None if table.sheet is None else str(table.sheet),
                    str(name),
                    0.0,
                    _samples(_column(marked, index)),
                )
                every.setdefault(column.key, column)
        if kind is None:
            continue
        for index, name in enumerate(marked.header):
            if isinstance(name, AddedHeader) or not str(name).strip():
                continue
            values = _column(marked, index)
            own = normalise(name)
            known = header_field(name, schema)
            for f in schema.table_fields[kind]:
                if known == f:
                    score = 1.0
                    recognised.setdefault((kind, f), set()).add(str(name))
                elif known is not None:
                    continue
                else:
                    score = _header_score(own, f, schema) * _fits(f, values, schema)
                if score >= GUESS_CUTOFF:
                    candidates.setdefault((kind, f), []).append(
                        Candidate(
                            table.file,
                            None if table.sheet is None else str(table.sheet),
                            str(name),
                            score,
                            _samples(values),
                        )
                    )
    guesses = []
    claimed: dict[str, str] = {}
    for kind, fields in schema.table_fields.items():
        for f in fields:
            found = sorted(candidates.get((kind, f), []), key=lambda c: -c.score)
            best = found[0] if found else None
            guesses.append(
                Guess(kind, f, best, tuple(found), bool(best and best.header in recognised.get((kind, f), ())))
            )
            if best is not None:
                claimed.setdefault(best.key, f)
    # one column is one field: a column best for two fields keeps the better match, the other moves on
    final = []
    for g in guesses:
        if g.best is not None and claimed.get(g.best.key) not in (None, g.field):
            other = next((x for x in guesses if x.table == g.table and x.field == claimed[g.best.key]), None)
            if other is not None and other.best is not None and other.best.score >= g.best.score:
                rest = tuple(c for c in g.candidates if c.key not in claimed or claimed[c.key] == g.field)
                g = replace(g, best=rest[0] if rest else None, candidates=rest, recognised=bool(rest) and g.recognised)
        final.append(g)
    unknown = _unknown_values(tables, final, profile, schema)
    return MappingGuess(tuple(sheets), tuple(final), unknown, every, schema=schema)


def _unknown_values(
    tables: list[RawTable], guesses: list[Guess], profile: Profile | None, schema: Schema
) -> dict[str, tuple[str, ...]]:
    """Per category field, the distinct texts of its best column that its reader does not understand."""
    out: dict[str, tuple[str, ...]] = {}
    by_key = {(t.file, None if t.sheet is None else str(t.sheet)): t for t in tables}
    for g in guesses:
        kind = value_kind(g.field, schema)
        if g.best is None or kind not in ("yes_no", "test", "consent", "sex", "visit"):
            continue
        table = by_key.get((g.best.file, g.best.sheet))
        if table is None or g.best.header not in map(str, table.header):
            continue
        index = [str(h) for h in table.header].index(g.best.header)
        texts: list[str] = []
        for raw in _column(table, index):
            if is_missing(raw) or (profile and profile.value_rule(g.field, raw)[0]):
                continue
            if _understood(kind, raw):
                continue
            text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
            if text not in texts:
                texts.append(text)
        if texts:
            out[g.field] = tuple(texts)
    return out


def _understood(kind: str, raw: object) -> bool:
    try:
        if kind == "sex":
            return parse_sex(raw) is not None
        if kind == "visit":
            return parse_visit_label(raw) is not None
        word_reader(kind)(raw)  # type: ignore[arg-type,unused-ignore]
        return True
    except BadValue:
        return False


def profile_from_choices(
    choices: dict[tuple[str, str], Candidate | None],
    guess: MappingGuess,
    values: dict[str, dict[str, str]],
    sheets: dict[str, str],
    base: Profile | None = None,
) -> Profile:
    """The profile the mapping step's choices make: a column entry for every chosen column MedPath would not read
    as that field by itself (``Sheet!Header`` where the header is in several sheets), the value translations, and
    the sheet rules. ``choices``: (table, field) -> the chosen column (None: not in the file)."""
    headers_in: dict[str, set[str]] = {}
    for s in guess.sheets:
        for h in s.headers:
            headers_in.setdefault(h, set()).add(str(s.sheet))
    columns: dict[str, str] = dict(base.columns) if base else {}
    for (kind, f), chosen in choices.items():
        g = guess.guess(kind, f)
        if chosen is None:
            if g is not None and g.best is not None and g.recognised:
                key = _column_key(g.best, headers_in)
                columns[key] = IGNORE
            continue
        if header_field(chosen.header, guess.schema) == f and chosen.header not in columns:
            continue  # MedPath reads it as this field by itself
        columns[_column_key(chosen, headers_in)] = f
    merged_values = {f: dict(texts) for f, texts in (base.values.items() if base else ())}
    for f, texts in values.items():
        for text, word in texts.items():
            ok, value = translate(value_kind(f, guess.schema) or "id", word)
            if ok:
                merged_values.setdefault(f, {})[text] = value
    merged_sheets = dict(base.sheets) if base else {}
    merged_sheets.update(sheets)
    return Profile(columns, {f: t for f, t in merged_values.items() if t}, merged_sheets, "mapping profile")


def _column_key(candidate: Candidate, headers_in: dict[str, set[str]]) -> str:
    if candidate.sheet and len(headers_in.get(candidate.header, ())) > 1:
        return f"{candidate.sheet}!{candidate.header}"
    return candidate.header


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def profile_filename(study_label: str) -> str:
    """``medpath_mapping_<study>.yaml``."""
    stem = _SAFE.sub("_", study_label.rsplit(".", 1)[0])[:60].strip("_") or "study"
    return f"medpath_mapping_{stem}.yaml"


__all__ = [  # the profile's names, for the pages and the command line (defined in medpath.pipeline.map.profile)
    "IGNORE",
    "KEEP",
    "MISSING_WORD",
    "ROW_ANSWERS",
    "Candidate",
    "Guess",
    "MappingGuess",
    "Profile",
    "ProfileError",
    "SheetGuess",
    "best_guess",
    "label",
    "parse_profile",
    "profile_filename",
    "profile_from_choices",
    "sheet_tables",
    "value_choices",
    "value_kind",
]
