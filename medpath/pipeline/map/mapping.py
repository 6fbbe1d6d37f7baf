"""The Data page's mapping step: the best guess of which column holds each field, and the profile its choices make.

``best_guess`` proposes, per field of the trial's protocol, the column that most likely holds it (a fuzzy match on
the header confirmed by the column's values), every candidate, and the texts each category field's reader does not
understand; ``unknown_values`` finds those texts for the columns the user actually chose (not only the guessed ones),
``value_questions`` asks each text once per kind of field ("T" in seven yes/no columns is one question), and
``profile_from_choices`` turns the choices the user makes in the mapping step into a mapping profile (keeping the
answers to MedPath's questions about rows). ``with_applied`` / ``undone`` keep the step's history of applied profiles
(the caller holds it: the page in its session), and ``fixed_in_mapping`` says whether a refusal is one the mapping
step can fix.
The profile itself (its format, ``parse_profile``, and how it is applied to the raw tables) is
``medpath.pipeline.map.profile``; its names are re-exported here for the pages and the command line. Nothing here touches disk.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from medpath.findings import Code, Finding
from medpath.pipeline.cells.values import BadValue, is_missing, parse_date, parse_sex, parse_visit_label, word_reader
from medpath.pipeline.guard.disposable_reader import FileRead, read_uploads
from medpath.pipeline.layout.layouts import clean
from medpath.pipeline.map.columns import AddedHeader, normalise
from medpath.pipeline.map.headers import classify
from medpath.pipeline.map.profile import (
    EXTRA_FIELDS,
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
from medpath.pipeline.validate.row_questions import proposed_answer
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
    #: every column's distinct texts (at most ``MAX_TEXTS`` each), by its key: the values the step may ask about
    texts: dict[str, tuple[str, ...]] = field(default_factory=dict)
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


#: Sample values shown beside each column.
SAMPLES = 3
#: A column's distinct texts kept for the value questions (a category column has a handful; more means another kind).
MAX_TEXTS = 200
#: The kinds of field whose texts the mapping step translates (``medpath.pipeline.map.profile.value_kind``).
CATEGORY_KINDS = ("yes_no", "test", "consent", "sex", "visit")

#: A column must match a field at least this well to be guessed for it.
GUESS_CUTOFF = 0.55
#: Two columns within this score of each other both claim a field.
AMBIGUOUS_MARGIN = 0.1


def _header_score(key: str, field_name: str, schema: Schema) -> float:
    """How much a normalised header looks like one of the field's names (``Schema.guess_names``; difflib ratio; a
    name contained in the header, as in 'usiatahun' for 'usia', counts as a near match)."""
    return _name_score(key, schema.guess_names.get(field_name, ()))


@functools.lru_cache(maxsize=65536)
def _name_score(key: str, names: tuple[str, ...]) -> float:
    """``_header_score`` of a header against a field's names. A pure function of two texts, kept for the process:
    a study's headers are scored against every field of both tables (300 difflib ratios, a tenth of a second), and
    the next upload of the same template has the same headers."""
    best = 0.0
    for name in names:
        if not name:
            continue
        if name == key:
            return 1.0
        ratio = difflib.SequenceMatcher(None, key, name).ratio()
        if len(name) >= 3 and (key.startswith(name) or name in key):
            ratio = max(ratio, 0.75 + 0.2 * len(name) / max(len(key), 1))
        best = max(best, ratio)
    return min(best, 0.99)


def _fits(field_name: str, cells: Cells, schema: Schema, table_kind: str) -> float:
    """The share of a column's non-missing values that a field's reader accepts (in range); an id fits a screening
    table when its values are distinct (nine in ten: a candidate entered twice is a question of its own), a visits
    table when each repeats once per visit at most. Each distinct cell is read once and counted as often as it
    occurs."""
    if not cells:
        return 0.5
    present = sum(cells.values())

    def distinct_texts() -> int:  # only for the kinds that ask (a number column may hold 20,000 distinct cells)
        return len({str(v) for _, v in cells})

    def share(accepts: Callable[[object], bool]) -> float:
        return sum(n for (_, v), n in cells.items() if accepts(v)) / present

    kind = value_kind(field_name, schema)
    if field_name == "date":
        return share(lambda v: parse_date(v) is not None)
    if kind == "number":
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

        def in_range(v: object) -> bool:
            try:
                value, _ = read(v)
            except BadValue:
                return False
            return value is not None and bounds[0] <= value <= bounds[1]

        return share(in_range)
    if kind in ("yes_no", "test", "consent"):
        # a column of unknown texts may still be this field (the value step translates them)
        read_word = word_reader(kind)
        return max(share(lambda v: _reads(read_word, v)), 0.6 if distinct_texts() <= 6 else 0.0)
    if kind == "sex":
        return max(share(lambda v: _reads(parse_sex, v, none_fails=True)), 0.6 if distinct_texts() <= 3 else 0.0)
    if kind == "visit":
        return share(lambda v: parse_visit_label(v) is not None)
    if kind == "id":  # one per candidate; in a visits table, once per visit at most (every visit of a patient)
        if table_kind == "visits":
            needed = present // (len(schema.protocol.visit_labels) + 1)
        else:
            needed = int(0.9 * present)
        return 1.0 if distinct_texts() >= max(2, needed) else 0.3
    return 1.0


def _reads(read: Callable[[Any], object], value: object, none_fails: bool = False) -> bool:
    """Whether ``read`` accepts ``value`` (raises no ``BadValue``; with ``none_fails``, returns something)."""
    try:
        return not none_fails or read(value) is not None
    except BadValue:
        return False


def _text(value: object) -> str:
    """A cell as the step shows it: 1, not 1.0; surrounding spaces dropped."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


#: A column's distinct non-missing cells, each as (its type, its value) (1, 1.0 and True stay apart), with how often
#: it occurs, in the order first met.
Cells = dict[tuple[type, object], int]


def _cells(values: Sequence[object]) -> Cells:
    """The distinct non-missing cells of a column's values (``Cells``): each is then read once, not once per row (a
    column of 20,000 visits holds a handful of labels)."""
    return {key: n for key, n in Counter(zip(map(type, values), values)).items() if not is_missing(key[1])}


def _column(table: RawTable, index: int) -> list[object]:
    return [cells[index] if index < len(cells) else None for cells in table.rows]


def _distinct(cells: Cells, n: int) -> tuple[str, ...]:
    """The first ``n`` distinct texts of a column's cells, in row order."""
    out: dict[str, None] = {}
    for _, value in cells:
        out.setdefault(_text(value))
        if len(out) == n:
            break
    return tuple(out)


def sheet_tables(
    files: Sequence[tuple[str, bytes]], schema: Schema, reads: Sequence[FileRead | ReadError] | None = None
) -> list[RawTable]:
    """The raw tables of the files, as the mapping step sees them (unreadable files left out; hidden rows,
    columns and two-row headers handled as ``medpath.pipeline.layout.layouts`` does); ``reads``: the files as
    ``read_uploads`` read them, when the caller has them (else they are read here)."""
    if reads is None:
        reads = read_uploads(files, schema.protocol)
    tables = [t for read in reads if isinstance(read, FileRead) for t in read.tables or ()]
    return [clean(t, schema) for t in tables if not t.hidden]


def best_guess(
    files: Sequence[tuple[str, bytes]],
    protocol: Protocol,
    profile: Profile | None = None,
    reads: Sequence[FileRead | ReadError] | None = None,
) -> MappingGuess:
    """Per field of ``protocol`` the analysis needs, the column that most likely holds it (fuzzy match on the header confirmed
    by the column's values, with three sample values), every candidate above ``GUESS_CUTOFF``, and per category
    field the texts its reader does not understand. A column the ``profile`` maps counts as that field. ``reads``:
    the files as ``read_uploads`` read them for the study, so that they are not read twice (else read here)."""
    return _best_guess(sheet_tables(files, schema_of(protocol), reads), schema_of(protocol), profile)


def _best_guess(tables: Sequence[RawTable], schema: Schema, profile: Profile | None) -> MappingGuess:
    sheets = []
    every: dict[str, Candidate] = {}
    texts: dict[str, tuple[str, ...]] = {}
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
        named = {  # the columns with a name of their own: index -> their distinct cells
            index: _cells(_column(marked, index))
            for index, name in enumerate(marked.header)
            if not isinstance(name, AddedHeader) and str(name).strip()
        }
        for index, values in named.items():
            column = Candidate(
                table.file,
                None if table.sheet is None else str(table.sheet),
                str(marked.header[index]),
                0.0,
                _distinct(values, SAMPLES),
            )
            if column.key not in every:
                every[column.key] = column
                texts[column.key] = _distinct(values, MAX_TEXTS)
        if kind is None:
            continue
        for index, values in named.items():
            name = marked.header[index]
            own = normalise(name)
            known = header_field(name, schema)
            for f in schema.table_fields[kind]:
                if known == f:
                    score = 1.0
                    recognised.setdefault((kind, f), set()).add(str(name))
                elif known is not None:
                    continue
                else:
                    score = _header_score(own, f, schema) * _fits(f, values, schema, kind)
                if score >= GUESS_CUTOFF:
                    candidates.setdefault((kind, f), []).append(
                        Candidate(
                            table.file,
                            None if table.sheet is None else str(table.sheet),
                            str(name),
                            score,
                            _distinct(values, SAMPLES),
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
    unguessed = MappingGuess(tuple(sheets), tuple(final), {}, every, texts, schema=schema)
    unknown = unknown_values(unguessed, {(g.table, g.field): g.best for g in final}, profile)
    return replace(unguessed, unknown_values=unknown)


def unknown_values(
    guess: MappingGuess, chosen: dict[tuple[str, str], Candidate | None], profile: Profile | None
) -> dict[str, tuple[str, ...]]:
    """Per category field, the distinct texts of the column chosen for it (``chosen``: (table, field) -> column)
    that its reader does not understand and ``profile`` does not translate: every text of every chosen column at
    once, also of a column the guess did not propose (before this, those texts were asked only after an Apply had
    put the column in the profile)."""
    out: dict[str, list[str]] = {}
    for (_, field_name), column in chosen.items():
        kind = value_kind(field_name, guess.schema)
        if column is None or kind not in CATEGORY_KINDS:
            continue
        for text in guess.texts.get(column.key, ()):
            if (profile and profile.value_rule(field_name, text)[0]) or _understood(kind, text):
                continue
            known = out.setdefault(field_name, [])
            if text not in known:
                known.append(text)
    return {f: tuple(texts) for f, texts in out.items()}


@dataclass(frozen=True)
class ValueQuestion:
    """One text not understood, asked once for every field of its kind whose column holds it ("T" in seven yes/no
    columns)."""

    kind: str  # yes_no / test / consent / sex / visit
    text: str
    fields: tuple[str, ...]
    choices: tuple[str, ...]  # the answers offered (``value_choices``; ``missing`` last)


def value_questions(unknown: dict[str, tuple[str, ...]], schema: Schema) -> tuple[ValueQuestion, ...]:
    """The texts of ``unknown`` (field -> texts) as one question per (kind of field, text), in the order met."""
    fields: dict[tuple[str, str], list[str]] = {}
    choices: dict[str, tuple[str, ...]] = {}
    for field_name, texts in unknown.items():
        kind = value_kind(field_name, schema) or "id"
        choices.setdefault(kind, value_choices(field_name, schema))
        for text in texts:
            fields.setdefault((kind, text), []).append(field_name)
    return tuple(ValueQuestion(k, t, tuple(f), choices[k]) for (k, t), f in fields.items())


def answered_values(
    questions: Sequence[ValueQuestion], answers: dict[tuple[str, str], str | None]
) -> dict[str, dict[str, str]]:
    """The profile's ``values`` the answers make: each (kind, text) answer given to every field of its question."""
    out: dict[str, dict[str, str]] = {}
    for q in questions:
        answer = answers.get((q.kind, q.text))
        if answer:
            for field_name in q.fields:
                out.setdefault(field_name, {})[q.text] = answer
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


def other_fields(schema: Schema) -> tuple[str, ...]:
    """Every field a profile can name that has no select box of its own in the step: the screening number and the
    visit offsets, an outcome at one visit (a wide sheet: "vas month 6"), the adverse-event and disposition fields
    (``medpath.pipeline.map.profile.EXTRA_FIELDS``) -- offered for the columns no box chose, so that no field must
    be typed into a profile."""
    boxed = {f for fields in schema.table_fields.values() for f in fields}
    protocol = schema.protocol
    wide = [f"{o} {v}" for o in protocol.outcomes for v in protocol.visit_labels]
    return (*(f for f in ("screening_number", "month", "day") if f not in boxed), *wide, *EXTRA_FIELDS)


def other_label(field_name: str, schema: Schema) -> str:
    """A field of ``other_fields`` as the step names it ("VAS pain at month 6", "adverse events: grade")."""
    table = EXTRA_FIELDS.get(field_name)
    if table is None:
        return label(field_name, schema)
    name = field_name.removeprefix("ae_" if table == "adverse_events" else "disposition_")
    return f"{table.replace('_', ' ')}: {name.replace('_', ' ')}"


def unassigned_columns(guess: MappingGuess, chosen: dict[tuple[str, str], Candidate | None]) -> tuple[Candidate, ...]:
    """The columns no box chose and MedPath does not read by itself (their header is no name it knows): the ones
    the step asks about with ``other_fields``."""
    taken = {c.key for c in chosen.values() if c is not None}
    return tuple(
        c for key, c in guess.columns.items() if key not in taken and header_field(c.header, guess.schema) is None
    )


def profile_from_choices(
    choices: dict[tuple[str, str], Candidate | None],
    guess: MappingGuess,
    values: dict[str, dict[str, str]],
    sheets: dict[str, str],
    base: Profile | None = None,
    others: dict[str, str | None] | None = None,
) -> Profile:
    """The profile the mapping step's choices make: a column entry for every chosen column MedPath would not read
    as that field by itself (``Sheet!Header`` where the header is in several sheets), the value translations, and
    the sheet rules; every other section of ``base`` is kept. ``choices``: (table, field) -> the chosen column (None: not in the file); ``others``: column
    key -> a field of ``other_fields`` for a column no box chose (None: not used)."""
    headers_in: dict[str, set[str]] = {}
    for s in guess.sheets:
        for h in s.headers:
            headers_in.setdefault(h, set()).add(str(s.sheet))
    columns: dict[str, str] = dict(base.columns) if base else {}
    for (kind, f), chosen in choices.items():
        g = guess.guess(kind, f)
        if chosen is None:
            if g is not None and g.best is not None:  # a column MedPath reads or guesses: "not this field"
                key = _column_key(g.best, headers_in)
                columns[key] = IGNORE
            continue
        if header_field(chosen.header, guess.schema) == f and chosen.header not in columns:
            continue  # MedPath reads it as this field by itself
        columns[_column_key(chosen, headers_in)] = f
    for key, other in (others or {}).items():
        written = _column_key(guess.columns[key], headers_in)
        if other is None:
            columns.pop(written, None)
        else:
            columns[written] = other
    merged_values = {f: dict(texts) for f, texts in (base.values.items() if base else ())}
    for f, texts in values.items():
        for text, word in texts.items():
            ok, value = translate(value_kind(f, guess.schema) or "id", word, guess.schema.protocol.clock)
            if ok:
                merged_values.setdefault(f, {})[text] = value
    merged_sheets = dict(base.sheets) if base else {}
    merged_sheets.update(sheets)
    made = Profile(columns, {f: t for f, t in merged_values.items() if t}, merged_sheets, "mapping profile")
    if base is None:
        return made
    # what the boxes do not show stays as the base says: the answers about rows, scoped columns, column letters,
    # fixed values, header rows, layouts (its line numbers are of a file this profile no longer is)
    return replace(base, columns=made.columns, values=made.values, sheets=made.sheets, name=made.name, lines={})


def _column_key(candidate: Candidate, headers_in: dict[str, set[str]]) -> str:
    if candidate.sheet and len(headers_in.get(candidate.header, ())) > 1:
        return f"{candidate.sheet}!{candidate.header}"
    return candidate.header


def row_answers(question: Finding) -> tuple[str, tuple[object, ...]] | None:
    """For one of MedPath's questions about rows: its ``rows:`` key and the answers the step offers, MedPath's
    proposed answer first (``medpath.pipeline.validate.row_questions.proposed_answer``); None for another finding."""
    proposed = proposed_answer(question)
    if proposed is None:
        return None
    key, answer = proposed
    others = () if isinstance(answer, dict) else tuple(a for a in ROW_ANSWERS.get(key, ()) if a != answer)
    return key, (answer, *others)


def answer_text(answer: object) -> str:
    """An answer as the step and the profile write it: "read", or "Site = RSCM Jakarta" for ``keep``."""
    return ", ".join(f"{c} = {v}" for c, v in answer.items()) if isinstance(answer, dict) else str(answer)


#: Applied profiles the step can go back to (the oldest are dropped beyond this).
HISTORY_DEPTH = 20


def with_applied(history: tuple[Profile | None, ...], previous: Profile | None) -> tuple[Profile | None, ...]:
    """The step's history after an Apply (or a reset) replaced ``previous``: it is the one Undo goes back to."""
    return (*history, previous)[-HISTORY_DEPTH:]


def undone(history: tuple[Profile | None, ...]) -> tuple[Profile | None, tuple[Profile | None, ...]]:
    """(the profile before the last Apply, the history without it); ``history`` must not be empty."""
    return history[-1], history[:-1]


#: Refusals of a table the mapping step can fix when it can read the file: a required column not found, a table
#: not recognised or given twice (choose the columns, or what each sheet holds).
MAPPING_FIXES = frozenset(
    {
        Code.COLUMN_REQUIRED_MISSING,
        Code.TABLE_NOT_READ,
        Code.NO_VISITS_TABLE,
        Code.NO_VISIT_ROWS,
        Code.TABLE_TWICE,
        Code.PRIMARY_OUTCOME_NOT_READ,
    }
)


def fixed_in_mapping(finding: Finding, guess: MappingGuess | None) -> bool:
    """Whether the next step for this refusal is the mapping step: its code is one the step fixes and the step read
    a column of its file (a damaged or unreadable file is not: it must be saved again)."""
    if finding.code not in MAPPING_FIXES or guess is None:
        return False
    return any(c.file == finding.file for c in guess.columns.values()) or (
        finding.code is Code.NO_VISITS_TABLE and bool(guess.columns)
    )


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
    "MAPPING_FIXES",
    "Candidate",
    "Guess",
    "MappingGuess",
    "Profile",
    "ProfileError",
    "SheetGuess",
    "ValueQuestion",
    "answer_text",
    "answered_values",
    "best_guess",
    "fixed_in_mapping",
    "other_fields",
    "other_label",
    "label",
    "parse_profile",
    "profile_filename",
    "profile_from_choices",
    "row_answers",
    "sheet_tables",
    "unassigned_columns",
    "undone",
    "unknown_values",
    "value_choices",
    "value_kind",
    "value_questions",
    "with_applied",
]
