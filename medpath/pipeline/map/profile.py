"""A mapping profile: the study team's own column names, values and sheets, told to MedPath once and kept as
a small YAML (or JSON) file for next month's export.

Format (docs/your-data.md, "Mapping profile")::

    columns:                         # header as written -> field, or ignore
      Usia (tahun): age
      No. Responden: patient_id
      Catatan: ignore
      Kunjungan!Nyeri: vas           # Sheet!Header: this header in that sheet only
    values:                          # field -> {text as written -> value}
      hiv: {Tidak Reaktif: negative}
      consent: {Lengkap: signed}
    sheets:                          # sheet -> screening, visits, ignore, or a visit label
      Data Awal: screening
      Bulan 3: month 3
    rows:                            # the answers to MedPath's questions about which rows count
      hidden: read                   # rows hidden in Excel (a filter, or by hand): read | leave out
      keep: {Site: RSCM Jakarta}     # only the rows whose column holds this value (a site, centre or arm)
      not enrolled visits: leave out # visit rows of candidates not enrolled: leave out | analyse
      duplicates: first              # two rows of one patient and visit that disagree: first | leave out
      id spelling: same              # one id written two ways in two tables ("MSC 01", "MSC-01"): same | different
      remarks: leave out             # rows whose remark says they were not measured (LOCF, drop out): leave out | read
      leave out:                     # rows the team leaves out, each listed by a finding (file, sheet, Excel row)
        - {sheet: Skrining, row: 23} # by its Excel row: a screening number re-entered by mistake
        - {Catatan: salah input}     # by a column's value (in every sheet; add sheet: for one)
    fixed:                           # a field the file lacks, one value for every row: the team's statement
      hbsag: negative                # Sheet!field for that sheet's tables only
    header:                          # where the header is: its Excel row, or a group row over a name row
      Data Awal: 3
      Kunjungan: [3, 4]              # "Bulan 6" over "VAS": the column "Bulan 6 VAS" (VAS at month 6)

A column line may give a field per table: ``Skor: {screening: age, visits: qol}`` (one key: that table only), and name a column by its letter: ``Data Awal!column C: age``. A ``values`` text is matched as a person
sees the cell (``cell_texts``: a date cell as 15/03/2021); ``patient_id: {"1": "001"}`` rewrites ids.

``parse_profile`` reads one and refuses a broken one with ``ProfileError`` listing every problem with its
line. ``medpath.pipeline.layout.layouts.arrange`` applies it to the raw tables (``apply_sheet``, ``apply_columns``,
``apply_values``; the header, rows left out, fields per table and fixed values by
``medpath.pipeline.map.profile_tables``) before validation: a mapped header keeps its own text (``columns.FieldHeader``), so every
finding still names the user's file, sheet, Excel row and column. ``Profile.to_yaml`` writes the file the user
downloads. The fields a profile may name are those of the trial's ``medpath.pipeline.map.schema.Schema``, passed as an
argument. The mapping step's best guess, which proposes a profile, is ``medpath.pipeline.map.mapping``. Nothing here touches
disk.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import yaml

from medpath.adverse_events import AE_FIELDS
from medpath.disposition import DISPOSITION_FIELDS, STATUSES
from medpath.findings import Code
from medpath.located_yaml import (
    MAX_BYTES,
    MAX_DEPTH,
    FileError,
    FileProblem,
    YamlFile,
    decode,
    did_you_mean,
    line_of,
    nested_too_deep,
)
from medpath.model import Finding
from medpath.pipeline.cells.values import BadValue, parse_sex, parse_visit_label
from medpath.pipeline.map.columns import (
    SCREENING_NUMBER,
    VISIT_DATE,
    AddedHeader,
    FieldHeader,
    SheetLabel,
    normalise,
)
from medpath.pipeline.map.extra_fields import AE_OUTCOMES, RELATEDNESS, Field, columns_of
from medpath.pipeline.map.profile_layout import Layout, parse_layout
from medpath.pipeline.map.schema import Schema, schema_of
from medpath.pipeline.read.reading import RawTable
from medpath.protocol import Protocol
from medpath.schedule import Clock

IGNORE = "ignore"
#: the adverse-event and disposition fields a profile can name ("ae_serious", "disposition_status") -> their table
EXTRA_FIELDS: dict[str, str] = {f"ae_{f.name}": "adverse_events" for f in AE_FIELDS} | {
    f"disposition_{f.name}": "disposition" for f in DISPOSITION_FIELDS
}
SHEET_KINDS = ("screening", "visits", IGNORE)
SECTIONS = ("columns", "values", "sheets", "rows", "fixed", "header", "layout")
#: the two tables a column line can be scoped to (``columns: {Skor: {screening: age, visits: qol}}``)
TABLES = ("screening", "visits")
#: ``Sheet!column C`` (or ``kolom C``): a column by its letter. Not a bare ``Sheet!C``: teams' headers are often
#: letters themselves (TS, JK, IC, BB)
COLUMN_LETTER = re.compile(r"^(?P<sheet>.+)!\s*(?:column|kolom)\s+(?P<letter>[A-Za-z]{1,3})$", re.I)
#: the ``rows`` answers: key -> the answers it allows (``keep`` takes one column -> value instead)
ROW_ANSWERS = {
    "hidden": ("read", "leave out"),
    "not enrolled visits": ("leave out", "analyse"),
    "duplicates": ("first", "leave out"),
    "id spelling": ("same", "different"),
    "remarks": ("leave out", "read"),
}
KEEP = "keep"
LEAVE_OUT = "leave out"
MAX_PROFILE_BYTES = MAX_BYTES  # the limit of every file read as located YAML

#: What a ``values`` entry may translate a text to, per kind of field.
_WORDS = {
    "yes_no": ("yes", "no"),
    "test": ("positive", "negative"),
    "consent": ("signed", "declined", "pending"),
    "sex": ("M", "F"),
}
MISSING_WORD = "missing"
T = TypeVar("T")


#: the adverse-event and disposition fields a profile can name -> how their cells are read (``Field.read``): a text
#: the profile translates must be one of these readers' values
EXTRA_READERS: dict[str, Callable[[object], object]] = {f"ae_{f.name}": f.read for f in AE_FIELDS} | {
    f"disposition_{f.name}": f.read for f in DISPOSITION_FIELDS
}
#: the values the mapping step offers for a text of such a field (the others take any text)
EXTRA_CHOICES: dict[str, tuple[str, ...]] = {
    "ae_grade": ("1", "2", "3", "4", "5"),
    "ae_serious": ("yes", "no"),
    "ae_relatedness": RELATEDNESS,
    "ae_outcome": AE_OUTCOMES,
    "disposition_status": STATUSES,
    "disposition_received_intervention": ("yes", "no"),
}


def value_kind(field_name: str, schema: Schema) -> str | None:
    """yes_no / test / consent / sex / visit / number / id, an adverse-event or disposition field itself (its reader
    checks the value, ``EXTRA_READERS``), or None for a field whose values cannot be mapped."""
    protocol = schema.protocol
    if field_name in EXTRA_READERS:
        return field_name
    if field_name in (*protocol.fields_of_kind("yes_no"), "enrolled"):
        return "yes_no"
    if field_name in protocol.fields_of_kind("test"):
        return "test"
    if field_name in ("consent", "sex", "visit"):
        return field_name
    if field_name in ("age", "month", "day", *protocol.fields_of_kind("number")) or field_name in protocol.outcomes:
        return "number"
    if field_name in ("patient_id", "screening_number"):
        return "id"
    return None


def value_choices(field_name: str, schema: Schema) -> tuple[str, ...]:
    """The values the mapping step offers for a text of this field (``missing`` last)."""
    kind = value_kind(field_name, schema)
    if kind in _WORDS:
        return (*_WORDS[kind], MISSING_WORD)
    if kind == "visit":
        return (*schema.protocol.visit_labels, MISSING_WORD)
    return (*EXTRA_CHOICES.get(kind or "", ()), MISSING_WORD)


def label(field_name: str, schema: Schema) -> str:
    """The field as the Data page names it ("spine BMD T-score"), also for a wide column ("VAS pain at month 6")."""
    if field_name in schema.field_labels:
        return schema.field_labels[field_name]
    wide = _wide_field(field_name, schema)
    if wide:
        return f"{schema.protocol.outcomes[wide[0]].label} at {wide[1]}"
    return field_name


def _wide_field(name: str, schema: Schema) -> tuple[str, str] | None:
    """("vas", "month 6") for "vas month 6": an outcome of one visit, as a wide sheet holds it."""
    for key in sorted(schema.protocol.outcomes, key=len, reverse=True):
        if name.startswith(key + " ") or name.startswith(key + "_"):
            visit = parse_visit_label(name[len(key) + 1 :], schema.protocol.clock)
            if visit is not None:
                return key, visit[0]
    return None


# --- the profile --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """A parsed mapping profile. ``values`` holds the translated cell per text: "yes"/"no", "positive"/...,
    "M"/"F", a canonical visit label, a float, a text id, or None (missing). ``lines``: key -> profile line."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    name: str = "mapping profile"
    lines: dict[tuple[str, str], int] = field(default_factory=dict, compare=False)
    #: answers to MedPath's questions about rows (``ROW_ANSWERS``; ``keep``: {column: value}; ``leave out``: a list
    #: of {sheet, row} or {column: value} records, ``LEAVE_OUT``)
    rows: dict[str, object] = field(default_factory=dict)
    #: a column line scoped to one table, or giving one column a field in each: header -> {table: field}
    scoped: dict[str, dict[str, str]] = field(default_factory=dict)
    #: a column by its letter: "Sheet!column C" -> field (or ``ignore``)
    letters: dict[str, str] = field(default_factory=dict)
    #: a fixed value for a field the file lacks, the team's statement: field or "Sheet!field" -> translated value
    fixed: dict[str, object] = field(default_factory=dict)
    #: where the header is: sheet -> its Excel row, or (group row, name row) for a two-row header
    header: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: how sheets are laid out (``medpath.pipeline.map.profile_layout``): long, one per patient, several tables
    layout: Layout = field(default_factory=Layout)

    def __bool__(self) -> bool:
        return any(
            (
                self.columns,
                self.values,
                self.sheets,
                self.rows,
                self.scoped,
                self.letters,
                self.fixed,
                self.header,
                self.layout,
            )
        )

    def answer(self, question: str) -> object:
        """The answer this profile gives to a question about rows (``ROW_ANSWERS``, ``KEEP``), or None."""
        return self.rows.get(question)

    def as_dict(self) -> dict:
        """The profile in its own format (``missing`` for None), as written by ``to_yaml``."""

        def shown(value: object) -> object:
            if value is None:
                return MISSING_WORD
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return value

        out: dict = {}
        if self.columns or self.letters or self.scoped:
            out["columns"] = {**self.columns, **self.letters, **{h: dict(t) for h, t in self.scoped.items()}}
        if self.values:
            out["values"] = {f: {t: shown(v) for t, v in texts.items()} for f, texts in self.values.items()}
        if self.sheets:
            out["sheets"] = dict(self.sheets)
        if self.rows:
            out["rows"] = {
                k: dict(v) if isinstance(v, dict) else [dict(e) for e in v] if isinstance(v, list) else v
                for k, v in self.rows.items()
            }
        if self.fixed:
            out["fixed"] = {f: shown(v) for f, v in self.fixed.items()}
        if self.header:
            out["header"] = {s: rows[0] if len(rows) == 1 else list(rows) for s, rows in self.header.items()}
        if self.layout:
            out["layout"] = self.layout.as_dict()
        return out

    def to_yaml(self) -> str:
        """The profile as the small, human-readable YAML file the Data page offers for download."""
        head = (
            "# MedPath mapping profile: upload it with next month's export (Data page), or\n"
            "# python -m medpath summary FILE --mapping THIS_FILE. Format: docs/your-data.md, 'Mapping profile'.\n"
        )
        body = (
            yaml.safe_dump(self.as_dict(), allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
            if self
            else "{}\n"
        )
        return head + body

    def column_rule(self, sheet: str | None, header: str) -> str | None:
        """The field (or ``ignore``) this profile gives a header of a sheet: ``Sheet!Header`` first, then the
        header alone; the header as written, else compared as MedPath compares names (case, spaces)."""
        return _placed(self.columns, sheet, header)

    def scoped_rule(self, sheet: str | None, header: str) -> dict[str, str] | None:
        """The field per table (``{screening: ..., visits: ...}``) this profile gives a header, matched as
        ``column_rule`` matches."""
        return _placed(self.scoped, sheet, header)

    def letter_rules(self, sheet: str | None) -> dict[str, str]:
        """Column letter -> field for the columns of this sheet the profile names by letter (``Sheet!column C``)."""
        out = {}
        for written, rule in self.letters.items():
            match = COLUMN_LETTER.match(written)
            if match and sheet is not None and normalise(match["sheet"]) == normalise(sheet):
                out[match["letter"].upper()] = rule
        return out

    def fixed_rules(self, sheet: str | None) -> dict[str, object]:
        """Field -> the team's fixed value, for a table of this sheet (``Sheet!field`` first, then ``field``)."""
        out = {k: v for k, v in self.fixed.items() if "!" not in k}
        for written, value in self.fixed.items():
            place, _, name = written.rpartition("!")
            if place and sheet is not None and normalise(place) == normalise(sheet):
                out[name] = value
        return out

    def sheet_rule(self, sheet: str | None) -> str | None:
        return _sheet_entry(self.sheets, sheet)

    def header_rule(self, sheet: str | None, file: str) -> tuple[int, ...] | None:
        """The Excel row(s) of the header of a sheet (or of a CSV file, by its name), or None."""
        return _sheet_entry(self.header, sheet if sheet is not None else file)

    def value_rule(self, field_name: str, raw: object) -> tuple[bool, object]:
        """(True, translated cell) when this profile translates the cell of this field, else (False, raw). A cell
        is matched by its text as a person sees it (``cell_texts``: a date cell as 15/03/2021)."""
        texts = self.values.get(field_name)
        if not texts or raw is None:
            return False, raw
        shown = cell_texts(raw)
        for text in shown:
            if text in texts:
                return True, texts[text]
        folded = {_fold(text) for text in shown}
        for written, value in texts.items():
            if _fold(written) in folded:
                return True, value
        return False, raw


def _placed(rules: Mapping[str, T], sheet: str | None, header: object) -> T | None:
    """The rule of a header of a sheet: ``Sheet!Header`` first, then the header alone; as written, else compared
    as MedPath compares names (case, spaces)."""
    text = str(header).strip()
    if sheet is not None and f"{sheet}!{text}" in rules:
        return rules[f"{sheet}!{text}"]
    if text in rules:
        return rules[text]
    key = normalise(text)
    if not key:
        return None
    for written, rule in rules.items():
        place, _, name = written.rpartition("!")
        if place and sheet is not None and normalise(place) == normalise(sheet) and normalise(name) == key:
            return rule
        if normalise(written) == key:
            return rule
    return None


def _sheet_entry(rules: Mapping[str, T], sheet: str | None) -> T | None:
    if sheet is None:
        return None
    if str(sheet) in rules:
        return rules[str(sheet)]
    key = normalise(sheet)
    return next((rule for name, rule in rules.items() if normalise(name) == key), None)


def cell_texts(raw: object) -> tuple[str, ...]:
    """The texts a cell reads as to a person: a whole number without ".0"; a date as Excel shows it in a
    day-first locale (15/03/2021, also 15/3/2021, 15-03-2021) and as 2021-03-15; a date and time also with its
    time (15/03/2021 08:30)."""
    if isinstance(raw, float) and raw.is_integer():
        return (str(int(raw)),)
    if isinstance(raw, dt.date):
        day = raw.date() if isinstance(raw, dt.datetime) else raw
        texts = (f"{day:%d/%m/%Y}", f"{day.day}/{day.month}/{day.year}", f"{day:%d-%m-%Y}", day.isoformat())
        if isinstance(raw, dt.datetime) and raw.time() != dt.time():
            return (*texts, f"{raw:%d/%m/%Y %H:%M}", str(raw))
        return texts
    return (str(raw).strip(),)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class ProfileError(FileError):
    """A profile that cannot be used; ``problems`` lists each with the profile's line."""

    def findings(self) -> list[Finding]:
        """One error finding per problem (the file is the profile, the row its line)."""
        return [
            Finding(
                "error", self.name, None, p.line, None, None, f"mapping profile: {p.message}", code=Code.PROFILE_INVALID
            )
            for p in self.problems
        ]


def parse_profile(data: bytes | str, name: str, protocol: Protocol) -> Profile:
    """The profile in ``data`` (YAML, or JSON), for ``protocol`` (whose fields it may name: every bundled protocol's
    own outcomes work); ``ProfileError`` names the line of every problem (at most
    ``located_yaml.MAX_PROBLEMS`` of them, then how many more). A file larger than 1 MiB, not UTF-8 text, nested more
    than 20 levels, of more than 10,000 values or with a YAML alias (``*name``: no profile needs one) is refused
    before anything is built from it (``medpath.located_yaml``)."""
    return _parse_profile(data, name, schema_of(protocol))


def _parse_profile(data: bytes | str, name: str, schema: Schema) -> Profile:
    # PyYAML's own parser, not libyaml: its messages name what it found ("found character '\t' that cannot start
    # any token"), which helps whoever wrote the profile by hand; a profile is read once, so its speed does not matter
    # (the limits are checked first with libyaml's, so a crafted file is refused at once)
    file = YamlFile(name, ProfileError, loader=yaml.SafeLoader, kind="mapping profile", aliases=False)
    text = decode(data, name, ProfileError, file.kind, "YAML or JSON") if isinstance(data, bytes) else data
    if text.lstrip().startswith(("{", "[")):
        if (line := _json_too_deep(text)) is not None:  # before ``json.loads``, which recurses into every level
            raise ProfileError(name, [nested_too_deep(line, file.kind)])
        as_yaml = text.replace("\t", " ")  # JSON allows tabs only between tokens, YAML nowhere
        file.check(as_yaml)
        try:  # numbers are kept as text: only the syntax is checked here (a 5,000-digit number is not an int)
            json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
        except json.JSONDecodeError as exc:
            raise ProfileError(name, [FileProblem(exc.lineno, f"not valid JSON: {exc.msg}")]) from None
        except RecursionError:  # the check refuses such a text first; kept as a problem all the same
            raise ProfileError(name, [nested_too_deep(None, file.kind)]) from None
        text = as_yaml
    return _Builder(file, schema).build(
        file.compose(text, "the profile is empty (expected the keys columns, values and/or sheets)")
    )


#: A JSON string (its escapes included) or a bracket: the brackets outside strings are the nesting of a JSON text.
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[][{}]')


def _json_too_deep(text: str) -> int | None:
    """The line where a JSON text's lists and mappings nest deeper than ``MAX_DEPTH``, or None: one pass over its
    brackets (libyaml's parser, which reads ahead through a run of brackets, gives up on 1,000 of them unchecked)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, match.start()) + 1
        elif token in ("]", "}"):
            depth -= 1
    return None


class _Builder:
    """Reads the sections of a profile's root node, noting the line of each entry."""

    def __init__(self, file: YamlFile, schema: Schema):
        self.file = file
        self.schema = schema
        self.lines: dict[tuple[str, str], int] = {}
        self.scoped: dict[str, dict[str, str]] = {}

    def build(self, root: yaml.Node) -> Profile:
        columns: dict[str, str] = {}
        values: dict[str, dict[str, object]] = {}
        sheets: dict[str, str] = {}
        rows: dict[str, object] = {}
        fixed: dict[str, object] = {}
        header: dict[str, tuple[int, ...]] = {}
        layout = Layout()
        for key, key_node, node in self.file.pairs(root, "the profile"):
            if key == "columns":
                columns = self.columns(node)
            elif key == "values":
                values = self.values(node)
            elif key == "sheets":
                sheets = self.sheets(node)
            elif key == "rows":
                rows = self.rows(node)
            elif key == "fixed":
                fixed = self.fixed(node)
            elif key == "header":
                header = self.header(node)
            elif key == "layout":
                layout = parse_layout(self.file, node, self.schema, self.hint)
            else:
                self.file.problem(
                    key_node,
                    f"unknown key '{key}'{self.hint(key, SECTIONS)}; a profile has the keys "
                    f"{', '.join(SECTIONS[:-1])} and {SECTIONS[-1]}",
                )
        if self.file.problems:
            raise ProfileError(self.file.name, self.file.problems)
        letters = {h: f for h, f in columns.items() if COLUMN_LETTER.match(h)}
        return Profile(
            {h: f for h, f in columns.items() if h not in letters},
            values,
            sheets,
            self.file.name,
            self.lines,
            rows,
            scoped=self.scoped,
            letters=letters,
            fixed=fixed,
            header=header,
            layout=layout,
        )

    def rows(self, node: yaml.Node) -> dict[str, object]:
        out: dict[str, object] = {}
        for question, key_node, value in self.file.pairs(node, "rows"):
            if question == LEAVE_OUT:
                records = self.leave_out(value)
                if records:
                    out[LEAVE_OUT] = records
                continue
            if question == KEEP:
                kept = {}
                for column, column_node, wanted in self.file.pairs(value, "rows: keep"):
                    written = self.file.written(wanted, f"the value of column '{column}' to keep")
                    if written is not None:
                        kept[column] = written
                        self.lines[("rows", f"keep:{column}")] = line_of(column_node)
                if len(kept) == 1:
                    out[KEEP] = kept
                elif kept:
                    self.file.problem(key_node, "rows: keep names one column and its value, e.g. {Site: RSCM Jakarta}")
                continue
            allowed = ROW_ANSWERS.get(question)
            if allowed is None:
                self.file.problem(
                    key_node,
                    f"unknown question '{question}'{self.hint(question, [*ROW_ANSWERS, KEEP, LEAVE_OUT])}; rows "
                    f"answers {', '.join([*ROW_ANSWERS, KEEP, LEAVE_OUT])}",
                )
                continue
            written = self.file.written(value, f"the answer to '{question}'")
            if written is None:
                continue
            if written.lower() not in allowed:
                self.file.problem(
                    value, f"'{written}' is not an answer to '{question}': expected {' or '.join(allowed)}"
                )
                continue
            out[question] = written.lower()
            self.lines[("rows", question)] = line_of(key_node)
        return out

    def leave_out(self, node: yaml.Node) -> list[dict[str, object]]:
        """``leave out: [{sheet: Skrining, row: 23}, {No. Skrining: SKR-007}]``: each record a row of a sheet (or
        file) by its Excel number, or the rows whose columns hold these values (in one sheet, or in every one)."""
        if not isinstance(node, yaml.SequenceNode):
            self.file.problem(
                node, "rows: leave out is a list of records, e.g. [{sheet: Skrining, row: 23}, {No. Skrining: SKR-007}]"
            )
            return []
        out: list[dict[str, object]] = []
        for item in node.value:
            record: dict[str, object] = {}
            problems = len(self.file.problems)
            for key, _, value in self.file.pairs(item, "a record of rows: leave out"):
                written = self.file.written(value, f"'{key}' of a record to leave out")
                if written is None:
                    continue
                if key.lower() == "row":
                    if not written.isdigit() or int(written) < 1:
                        self.file.problem(value, f"'{written}' is not a row number: expected the row as Excel shows it")
                        continue
                    record["row"] = int(written)
                elif key.lower() in ("sheet", "file"):
                    record[key.lower()] = written
                else:
                    record[key] = written
            if not record or len(self.file.problems) > problems:
                continue
            if "row" in record and not ("sheet" in record or "file" in record):
                self.file.problem(item, "a row to leave out needs its sheet (or file), e.g. {sheet: Skrining, row: 23}")
                continue
            if set(record) <= {"sheet", "file"}:
                self.file.problem(
                    item, "a record to leave out names a row ({sheet: Skrining, row: 23}) or a column's value"
                )
                continue
            self.lines[("rows", f"{LEAVE_OUT}:{len(out)}")] = line_of(item)
            out.append(record)
        return out

    def fixed(self, node: yaml.Node) -> dict[str, object]:
        """``fixed: {hbsag: negative, Data Awal!hiv: negative}``: a field the file lacks, one value for every row (of
        that sheet only with ``Sheet!``), as the team states it."""
        out: dict[str, object] = {}
        for written_key, key_node, value in self.file.pairs(node, "fixed"):
            place, _, name = written_key.rpartition("!")
            checked = _field_name(name, self.schema)
            kind = value_kind(checked, self.schema) if checked and checked != IGNORE else None
            if checked is None or checked == IGNORE or (place and not place.strip()):
                self.file.problem(
                    key_node, f"unknown field '{name}' in fixed{self.hint(name, list(self.schema.fields))}"
                )
                continue
            if kind in (None, "id"):
                self.file.problem(
                    key_node,
                    f"'{name}' cannot have a fixed value (only yes/no, test, consent, sex, visit and number fields can)",
                )
                continue
            text = self.file.written(value, f"the fixed value of '{name}'")
            if text is None:
                continue
            ok, result = translate(kind, text, self.schema.protocol.clock)
            if not ok or result is None:
                expected = str(result).replace(f" / {MISSING_WORD}", "").replace(", or missing", "")
                self.file.problem(value, f"'{text}' is not a value for {name}: expected {expected}")
                continue
            key = f"{place}!{checked}" if place else checked
            out[key] = result
            self.lines[("fixed", key)] = line_of(key_node)
        return out

    def header(self, node: yaml.Node) -> dict[str, tuple[int, ...]]:
        """``header: {Data Awal: 3, Kunjungan: [3, 4]}``: the Excel row of a sheet's header, or its group row and
        name row."""
        out: dict[str, tuple[int, ...]] = {}
        for sheet, key_node, value in self.file.pairs(node, "header"):
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            rows = []
            for item in items:
                written = self.file.written(item, f"the header row of sheet '{sheet}'")
                if written is None:
                    break
                if not written.isdigit() or int(written) < 1:
                    self.file.problem(item, f"'{written}' is not a row number (the header row of sheet '{sheet}')")
                    break
                rows.append(int(written))
            else:
                if len(rows) == 2 and rows[0] < rows[1] or len(rows) == 1:
                    out[sheet] = tuple(rows)
                    self.lines[("header", sheet)] = line_of(key_node)
                else:
                    self.file.problem(
                        value,
                        f"the header of sheet '{sheet}' is one row (3) or a group row above a name row ([3, 4])",
                    )
        return out

    def hint(self, text: str, choices: Sequence[str]) -> str:
        """`` (did you mean 'age'?)`` for a problem's message; nothing once the file has as many problems as are
        listed (the message is then only counted, and the comparison is the slow part of reading a long profile)."""
        return "" if self.file.full else did_you_mean(text, choices)

    def columns(self, node: yaml.Node) -> dict[str, str]:
        out = {}
        for header, key_node, value in self.file.pairs(node, "columns"):
            if not header or header.endswith("!"):
                self.file.problem(key_node, "a column name is empty")
                continue
            if isinstance(value, yaml.MappingNode):  # {screening: field, visits: field}: a field per table
                scoped = self.scoped_column(header, value)
                if scoped:
                    self.scoped[header] = scoped
                    self.lines[("columns", header)] = line_of(key_node)
                continue
            target = self.file.written(value, f"the field of column '{header}'")
            if target is None:
                continue
            checked = self.column_field(header, target, value)
            if checked is None:
                continue
            out[header] = checked
            self.lines[("columns", header)] = line_of(key_node)
        return out

    def column_field(self, header: str, target: str, node: yaml.Node) -> str | None:
        """The field (or ``ignore``) a column line names, or None with a problem at ``node``."""
        checked = _field_name(target, self.schema)
        if checked is None:
            fields = self.schema.fields
            outcome, visit = (
                next(iter(self.schema.protocol.outcomes), "outcome"),
                self.schema.protocol.visits[-1][0],
            )
            self.file.problem(
                node,
                f"unknown field '{target}' for column '{header}'"
                f"{self.hint(target, (*fields, IGNORE))}; a field is one of "
                f"{', '.join(fields)}, an outcome at a visit (e.g. '{outcome} {visit}'), or ignore",
            )
        return checked

    def scoped_column(self, header: str, node: yaml.Node) -> dict[str, str]:
        """``{screening: field, visits: field}``: the field of the column in each table (one of them: that table
        only); a field must belong to its table."""
        out: dict[str, str] = {}
        for table, table_node, value in self.file.pairs(node, f"the tables of column '{header}'"):
            if table not in TABLES:
                self.file.problem(
                    table_node,
                    f"unknown table '{table}' for column '{header}'{self.hint(table, TABLES)}; a column line "
                    "scoped to a table reads {screening: field} and/or {visits: field}",
                )
                continue
            target = self.file.written(value, f"the field of column '{header}' in the {table} table")
            checked = None if target is None else self.column_field(header, target, value)
            if checked is None:
                continue
            allowed = self.schema.screening_fields if table == "screening" else self.schema.visit_fields
            wide = table == "visits" and _wide_field(checked, self.schema) is not None
            if checked != IGNORE and checked not in allowed and not wide:
                self.file.problem(value, f"'{checked}' is not a field of the {table} table (column '{header}')")
                continue
            out[table] = checked
        return out

    def values(self, node: yaml.Node) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for field_name, key_node, texts in self.file.pairs(node, "values"):
            checked = _field_name(field_name, self.schema)
            kind = value_kind(checked, self.schema) if checked and checked != IGNORE else None
            if checked is None or checked == IGNORE:
                self.file.problem(
                    key_node, f"unknown field '{field_name}' in values{self.hint(field_name, list(self.schema.fields))}"
                )
                continue
            if kind is None:
                self.file.problem(
                    key_node,
                    f"the values of '{field_name}' cannot be translated (only yes/no, test, "
                    "consent, sex, visit, number and id fields can)",
                )
                continue
            translated: dict[str, object] = {}
            for text, text_node, value in self.file.pairs(texts, f"the values of '{field_name}'"):
                written = self.file.written(value, f"the value of '{text}'")
                if written is None:
                    continue
                ok, result = translate(kind, written, self.schema.protocol.clock)
                if not ok:
                    self.file.problem(
                        value, f"'{written}' is not a valid value for {field_name} ('{text}'): expected {result}"
                    )
                    continue
                translated[text] = result
                self.lines[("values", f"{field_name}:{text}")] = line_of(text_node)
            if translated:
                out[checked] = translated
        return out

    def sheets(self, node: yaml.Node) -> dict[str, str]:
        out = {}
        for sheet, key_node, value in self.file.pairs(node, "sheets"):
            written = self.file.written(value, f"the use of sheet '{sheet}'")
            if written is None:
                continue
            if written.lower() in SHEET_KINDS:
                out[sheet] = written.lower()
            elif (visit := parse_visit_label(written, self.schema.protocol.clock)) is not None:
                out[sheet] = visit[0]
            else:
                self.file.problem(
                    value,
                    f"'{written}' is not a use of sheet '{sheet}': expected screening, visits, "
                    "ignore, or a visit label such as baseline or month 3",
                )
                continue
            self.lines[("sheets", sheet)] = line_of(key_node)
        return out


def _field_name(text: str, schema: Schema) -> str | None:
    """The canonical field (or ``ignore``) a profile names, or None: the field's own name ("patient_id"), compared
    case- and punctuation-insensitively, or an outcome at a visit ("vas month 6")."""
    if text.lower() == IGNORE:
        return IGNORE
    key = normalise(text)
    for name in (*schema.fields, *EXTRA_FIELDS):
        if normalise(name) == key:
            return name
    for name in schema.protocol.outcomes:
        if key.startswith(normalise(name)):
            rest = text.strip()[len(name) :].strip(" _-") if text.lower().startswith(name) else None
            visit = parse_visit_label(rest, schema.protocol.clock) if rest else None
            if visit is not None:
                return f"{name} {visit[0]}"
    return None


def translate(kind: str, written: str, clock: Clock) -> tuple[bool, object]:
    """(True, the cell value) for a valid value of this kind of field, else (False, what is expected); ``clock``: the
    unit of the protocol's schedule, which names a visit (``Protocol.clock``)."""
    if written.lower() == MISSING_WORD:
        return True, None
    if kind in ("yes_no", "test", "consent"):
        words = _WORDS[kind]
        return (True, written.lower()) if written.lower() in words else (False, " / ".join((*words, MISSING_WORD)))
    if kind == "sex":
        try:
            sex = parse_sex(written)
        except BadValue:
            sex = None
        return (True, sex) if sex else (False, "M / F / missing")
    if kind in EXTRA_READERS:
        try:
            value = EXTRA_READERS[kind](written)
        except BadValue as exc:
            choices = EXTRA_CHOICES.get(kind)
            return False, " / ".join((*choices, MISSING_WORD)) if choices else str(exc).removeprefix("expected ")
        if value is None:
            return False, "a value, or missing"
        return True, ("yes" if value else "no") if isinstance(value, bool) else value if isinstance(
            value, int | str
        ) else written
    if kind == "visit":
        visit = parse_visit_label(written, clock)
        return (True, visit[0]) if visit else (False, "a visit label such as baseline, month 3, month 6, or missing")
    if kind == "number":
        try:
            return True, float(written.replace(",", "."))
        except ValueError:
            return False, "a number or missing"
    return (True, written) if written else (False, "a text")


# --- applying a profile to raw tables (called by medpath.pipeline.layout.layouts.arrange) ---------------------------------


def column_record(
    table: RawTable, header: str, field_name: str | None, status: str, note: str, kind: str | None = None
) -> dict:
    """One row of ``Study.columns`` (``model.COLUMN_FIELDS``)."""
    return {
        "file": table.file,
        "sheet": None if table.sheet is None else str(table.sheet) or None,
        "header": str(header),
        "field": field_name,
        "table": kind,
        "status": status,
        "note": note,
    }


def apply_extra_columns(profile: Profile | None, table: RawTable) -> RawTable:
    """The table with the headers the profile assigns to an adverse-event or disposition field (``EXTRA_FIELDS``)
    marked as such (``FieldHeader``, their own text kept), so that the table is read as that kind and the column as
    that field (``medpath.pipeline.map.extra_fields.header_keys``), by the same engine as the other columns."""
    if not profile or not profile.columns:
        return table
    header = [
        FieldHeader(str(name), rule) if (rule := profile.column_rule(table.sheet, name)) in EXTRA_FIELDS else name
        for name in table.header
    ]
    changed = any(a is not b for a, b in zip(header, table.header))
    return replace(table, header=header) if changed else table


def apply_sheet(profile: Profile | None, table: RawTable) -> str | None:
    """What the profile says this sheet is: screening / visits / ignore / a canonical visit label, or None."""
    return profile.sheet_rule(table.sheet) if profile else None


def mark_sheet(table: RawTable, rule: str, schema: Schema) -> RawTable:
    """The table marked as the profile's sheet rule says (screening / visits / one visit: a Visit column)."""
    if rule in ("screening", "visits"):
        return replace(table, sheet=SheetLabel(str(table.sheet or ""), rule))
    has_time = any(schema.visit_aliases.get(normalise(h)) in ("visit", "month", "day") for h in table.header)
    if has_time:
        return replace(table, sheet=SheetLabel(str(table.sheet or ""), "visits"))
    width = len(table.header)
    rows = [[*(cells[:width] + [None] * (width - len(cells))), rule] for cells in table.rows]
    return replace(
        table,
        header=[*table.header, AddedHeader("Visit")],
        rows=rows,
        sheet=SheetLabel(str(table.sheet or ""), "visits"),
    )


def apply_columns(profile: Profile | None, table: RawTable, schema: Schema) -> tuple[RawTable, list[dict]]:
    """The table with the profile's column rules applied: a mapped header becomes a ``FieldHeader`` (its own text
    kept), an ``ignore``d column is left out, and a column MedPath would read as a field the profile assigns to
    another column is left out too (the profile decides). Returns the records of the columns left out."""
    if not profile or not (profile.columns or profile.letters):
        return table, []
    header = list(table.header)
    drop: set[int] = set()
    records: list[dict] = []
    assigned: dict[str, int] = {}
    for i, name in enumerate(table.header):
        if isinstance(name, AddedHeader):
            continue
        # a column named by its letter is a FieldHeader already (``profile_tables.apply_header``)
        rule = name.field if isinstance(name, FieldHeader) else profile.column_rule(table.sheet, name)
        if rule is None:
            continue
        if rule == IGNORE:
            drop.add(i)
            records.append(column_record(table, name, None, "ignored", "the mapping profile says: ignore"))
        else:
            header[i] = FieldHeader(str(name), rule)
            assigned.setdefault(rule, i)
    for i, name in enumerate(table.header):
        if i in drop or isinstance(header[i], FieldHeader):
            continue
        key = normalise(name)
        known = (
            schema.screening_aliases.get(key)
            or schema.visit_aliases.get(key)
            or ("date" if key in VISIT_DATE else None)
            or ("screening_number" if key in SCREENING_NUMBER else None)
        )
        if known in assigned:
            drop.add(i)
            records.append(
                column_record(
                    table,
                    name,
                    None,
                    "superseded",
                    f"the mapping profile reads {label(known, schema)} from '{table.header[assigned[known]]}'",
                )
            )
    table = replace(table, header=header)
    if drop:
        keep = [i for i in range(len(header)) if i not in drop]
        rows = [[cells[i] if i < len(cells) else None for i in keep] for cells in table.rows]
        above = tuple(table.above[i] if i < len(table.above) else None for i in keep) if table.above else ()
        table = replace(table, header=[header[i] for i in keep], rows=rows, above=above, hidden_columns=frozenset())
    return table, records


def header_field(name: str, schema: Schema) -> str | None:
    """The field MedPath reads from a header (after a profile's ``FieldHeader``), or None."""
    key = normalise(name)
    found = schema.screening_aliases.get(key) or schema.visit_aliases.get(key)
    if found:
        return found
    if key in VISIT_DATE:
        return "date"
    if key in SCREENING_NUMBER:
        return "screening_number"
    for prefix in sorted(schema.outcome_aliases, key=len, reverse=True):
        rest = key[len(prefix) :]
        if key.startswith(prefix) and rest and parse_visit_label(rest) is not None:
            return schema.outcome_aliases[prefix]
    return None


def apply_values(profile: Profile | None, table: RawTable, schema: Schema) -> tuple[RawTable, dict[str, str]]:
    """The table with the profile's ``values`` translated in the columns of their field; returns per header a note
    saying what was translated ("'Tidak Reaktif' → negative (4 cells)")."""
    if not profile or not profile.values:
        return table, {}
    targets = {i: f for i, h in enumerate(table.header) if (f := header_field(h, schema)) in profile.values}
    return _translated(profile, table, targets)


def apply_extra_values(
    profile: Profile | None, table: RawTable, fields: Sequence[Field], prefix: str
) -> tuple[RawTable, list[Finding]]:
    """An adverse-event or disposition table (``fields``, named in a profile with ``prefix``: "ae_",
    "disposition_") with the profile's ``values`` of its fields translated ("Berat" → 3, "Ya" → yes); a warning per
    column saying what was translated."""
    if not profile or not profile.values:
        return table, []
    columns = columns_of(table.header, fields)
    targets = {i: prefix + name for name, i in columns.items() if prefix + name in profile.values}
    translated, notes = _translated(profile, table, targets)
    said = [
        translated.finding("warning", table.header_row, header, None, note, code=Code.VALUE_READ_AS)
        for header, note in notes.items()
    ]
    return translated, said


def _translated(profile: Profile, table: RawTable, targets: Mapping[int, str]) -> tuple[RawTable, dict[str, str]]:
    """``table`` with the cells of ``targets`` (column -> field) the profile translates replaced, and per header the
    note of what was translated."""
    if not targets:
        return table, {}
    counts: dict[int, dict[tuple[str, object], int]] = {}
    rows = []
    for cells in table.rows:
        cells = list(cells)
        for i, field_name in targets.items():
            if i < len(cells):
                hit, value = profile.value_rule(field_name, cells[i])
                if hit:
                    cell = cells[i]
                    shown = int(cell) if isinstance(cell, float) and cell.is_integer() else cell
                    counter = counts.setdefault(i, {})
                    counter[(str(shown), value)] = counter.get((str(shown), value), 0) + 1
                    cells[i] = value
        rows.append(cells)
    notes = {
        str(table.header[i]): "values translated by the mapping profile: "
        + ", ".join(
            f"'{text}' → {MISSING_WORD if value is None else value} ({n} cell{'s' if n > 1 else ''})"
            for (text, value), n in counter.items()
        )
        for i, counter in counts.items()
    }
    return replace(table, rows=rows), notes
