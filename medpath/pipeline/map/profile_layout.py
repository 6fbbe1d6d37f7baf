"""The ``layout:`` section of a mapping profile (``medpath.pipeline.map.profile``): how a sheet is laid out when it is
none of the layouts MedPath recognises by itself (issue 24). Format (docs/your-data.md, "Layouts")::

    layout:                              # sheet (or CSV file name; * and ? match any text) -> its layout
      Hasil Lab:                         # a long parameter / value sheet: one row per patient x visit x measure
        long:
          parameter: Parameter           # the column naming the measure
          value: Nilai                   # the column holding its value
          parameters:                    # the measure as written -> a field (an outcome key), or ignore
            Skor A: outcome_a
            Skor B: outcome_b
            Kalsium: ignore
      Pasien *: patient                  # one sheet per patient: the sheet name is the patient id, its rows visits
      Data:                              # several tables on one sheet
        tables:
          screening: A1:K14              # a cell range (Data!A1:K14 too); the name screening / visits says the table
          visits: {under: Data Kunjungan}   # the table starting under the cell holding this title
      Skrining:
        tables:                          # two screening tables: enrolment given by the table a row is in
          Masuk penelitian: {under: Masuk penelitian, table: screening, enrolled: yes}
          Tidak masuk: {range: A20:P31, table: screening, enrolled: no}

``parse_layout`` reads the section from the profile's YAML nodes (``medpath.located_yaml``), recording every problem
with its line; ``Layout`` is the parsed section, which ``Profile.to_yaml`` writes back (``as_dict``) and
``medpath.pipeline.layout`` applies (``Layout.entry``: the layout of one sheet). No import of ``profile`` (which imports
this module): the profile's parser passes what it shares (the schema, its did-you-mean hint).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from medpath.located_yaml import YamlFile, line_of
from medpath.pipeline.map.columns import column_index, column_letters, normalise
from medpath.pipeline.map.schema import Schema

PATIENT = "patient"
IGNORE = "ignore"
ENTRY_KEYS = ("long", "tables")
LONG_KEYS = ("parameter", "value", "parameters")
TABLE_KEYS = ("range", "under", "table", "enrolled")
TABLE_KINDS = ("screening", "visits")
YES_NO = ("yes", "no")
#: the largest row and column of an Excel sheet (a range beyond them is outside any sheet)
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384

_RANGE = re.compile(
    r"^(?:(?P<sheet>'(?:[^']|'')+'|[^!]+)!)?\$?(?P<c0>[A-Za-z]{1,3})\$?(?P<r0>\d{1,7}):"
    r"\$?(?P<c1>[A-Za-z]{1,3})\$?(?P<r1>\d{1,7})$"
)


@dataclass(frozen=True)
class CellRange:
    """A block of cells as Excel writes it ("A1:K14"): rows from 1, columns from 0 (A), both ends included."""

    top: int
    left: int
    bottom: int
    right: int

    def __str__(self) -> str:
        return f"{column_letters(self.left)}{self.top}:{column_letters(self.right)}{self.bottom}"


@dataclass(frozen=True)
class TablePart:
    """One table of a sheet holding several: its cells (``range``) or the title it starts under (``under``), which
    table it is (``kind``: screening / visits, None: recognised by its columns) and the enrolment of its rows."""

    name: str
    range: CellRange | None = None
    under: str | None = None
    kind: str | None = None
    enrolled: str | None = None  # "yes" / "no": every row of the table
    line: int | None = field(default=None, compare=False)

    def as_written(self) -> object:
        if self.range is not None and self.kind in (None, self.name) and self.enrolled is None:
            return str(self.range)
        out: dict[str, object] = {"range": str(self.range)} if self.range is not None else {"under": self.under}
        if self.kind is not None and self.kind != self.name:
            out["table"] = self.kind
        if self.enrolled is not None:
            out["enrolled"] = self.enrolled
        return out


@dataclass(frozen=True)
class LongLayout:
    """A long parameter / value sheet: the header of the column naming the measure, of the one holding its value,
    and each measure as written -> its field (an outcome) or ``ignore``."""

    parameter: str
    value: str
    parameters: dict[str, str]
    line: int | None = field(default=None, compare=False)
    #: the line of each entry of ``parameters``
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def parameter_of(self, written: object) -> str | None:
        """The entry of ``parameters`` that names a measure as written in a cell (as written, else as MedPath
        compares names), or None."""
        text = str(written).strip()
        if text in self.parameters:
            return text
        key = normalise(text)
        return next((p for p in self.parameters if normalise(p) == key), None) if key else None


@dataclass(frozen=True)
class SheetLayout:
    """The layout of the sheets a ``layout`` key names: one patient's visits, a long sheet, or several tables."""

    key: str
    patient: bool = False
    long: LongLayout | None = None
    tables: tuple[TablePart, ...] = ()
    line: int | None = field(default=None, compare=False)

    def as_written(self) -> object:
        if self.patient:
            return PATIENT
        if self.long is not None:
            return {
                "long": {
                    "parameter": self.long.parameter,
                    "value": self.long.value,
                    "parameters": dict(self.long.parameters),
                }
            }
        return {"tables": {t.name: t.as_written() for t in self.tables}}


def _pattern(key: str) -> bool:
    return "*" in key or "?" in key


@dataclass(frozen=True)
class Layout:
    """A profile's ``layout`` section: sheet (or pattern) -> ``SheetLayout``, in the profile's order."""

    sheets: tuple[SheetLayout, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sheets)

    def as_dict(self) -> dict[str, object]:
        return {s.key: s.as_written() for s in self.sheets}

    def entry(self, sheet: str | None, file: str, named: bool = False) -> SheetLayout | None:
        """The layout of a sheet (of a CSV file: its file name, with or without extension): a key naming it (as
        MedPath compares names), else the first pattern matching it (case ignored), unless the profile's ``sheets``
        section names the sheet (``named``: "Skrining: screening" beside "*: patient")."""
        names = (
            [str(sheet)] if sheet is not None else [file.rsplit("/", 1)[-1], file.rsplit("/", 1)[-1].rsplit(".", 1)[0]]
        )
        keys = {normalise(n) for n in names}
        exact = next((s for s in self.sheets if not _pattern(s.key) and normalise(s.key) in keys), None)
        if exact is not None or named:
            return exact
        return next(
            (
                s
                for s in self.sheets
                if _pattern(s.key) and any(fnmatch.fnmatchcase(n.strip().casefold(), s.key.casefold()) for n in names)
            ),
            None,
        )


Hint = Callable[[str, tuple[str, ...]], str]


def parse_layout(file: YamlFile, node: yaml.Node, schema: Schema, hint: Hint) -> Layout:
    """The ``layout`` section at ``node``; each problem is recorded in ``file`` with its line (``hint``: the
    profile's did-you-mean, `` (did you mean 'long'?)``)."""
    return Layout(
        tuple(s for s in (_sheet(file, k, kn, v, schema, hint) for k, kn, v in file.pairs(node, "layout")) if s)
    )


def _sheet(
    file: YamlFile, key: str, key_node: yaml.Node, node: yaml.Node, schema: Schema, hint: Hint
) -> SheetLayout | None:
    line = line_of(key_node)
    if not key:
        file.problem(key_node, "a sheet name in layout is empty")
        return None
    if isinstance(node, yaml.ScalarNode):
        written = node.value.strip()
        if written.lower() == PATIENT:
            return SheetLayout(key, patient=True, line=line)
        file.problem(
            node,
            f"'{written}' is not a layout of sheet '{key}'{hint(written, (PATIENT, *ENTRY_KEYS))}: expected patient "
            "(the sheet is one patient's visits), long: {...} or tables: {...}",
        )
        return None
    entries = file.pairs(node, f"the layout of sheet '{key}'")
    found = {}
    for name, name_node, value in entries:
        if name not in ENTRY_KEYS:
            file.problem(
                name_node,
                f"unknown key '{name}' in the layout of sheet '{key}'{hint(name, ENTRY_KEYS)}; a sheet's layout is "
                "patient, long: {parameter, value, parameters} or tables: {name: range or {under: title}}",
            )
            continue
        found[name] = (name_node, value)
    if len(found) > 1:
        file.problem(key_node, f"sheet '{key}' is given two layouts (long and tables): choose one")
        return None
    if "long" in found:
        long = _long(file, key, *found["long"], schema, hint)
        return SheetLayout(key, long=long, line=line) if long else None
    if "tables" in found:
        tables = _tables(file, key, *found["tables"], hint)
        return SheetLayout(key, tables=tables, line=line) if tables else None
    if not entries:
        file.problem(key_node, f"the layout of sheet '{key}' is empty: patient, long: {{...}} or tables: {{...}}")
    return None


def _long(
    file: YamlFile, sheet: str, key_node: yaml.Node, node: yaml.Node, schema: Schema, hint: Hint
) -> LongLayout | None:
    columns: dict[str, str] = {}
    parameters: dict[str, str] = {}
    lines: dict[str, int] = {}
    measures = tuple(schema.protocol.outcomes)
    listed = False  # whether a parameters mapping was written (its entries may all have problems)
    for name, name_node, value in file.pairs(node, f"the long layout of sheet '{sheet}'"):
        if name not in LONG_KEYS:
            file.problem(
                name_node,
                f"unknown key '{name}' in the long layout of sheet '{sheet}'{hint(name, LONG_KEYS)}; a long layout "
                "has parameter (the column naming the measure), value (the column of its value) and parameters",
            )
        elif name == "parameters":
            listed = True
            for text, text_node, target in file.pairs(value, f"the parameters of sheet '{sheet}'"):
                written = file.written(target, f"the field of parameter '{text}'")
                if written is None:
                    continue
                found = (
                    IGNORE
                    if written.lower() == IGNORE
                    else next((m for m in measures if normalise(m) == normalise(written)), None)
                )
                if found is None:
                    file.problem(
                        target,
                        f"unknown field '{written}' for parameter '{text}'{hint(written, (*measures, IGNORE))}; a "
                        f"parameter is one of the measures of a visit ({', '.join(measures)}) or ignore",
                    )
                    continue
                parameters[text] = found
                lines[text] = line_of(text_node)
        else:
            written = file.written(value, f"the {name} column of sheet '{sheet}'")
            if written:
                columns[name] = written
            elif written is not None:
                file.problem(value, f"the {name} column of sheet '{sheet}' is empty")
    missing = [k for k in ("parameter", "value") if k not in columns]
    if missing:
        file.problem(
            key_node,
            f"the long layout of sheet '{sheet}' needs {' and '.join(missing)}: the header of the column naming the "
            "measure (parameter) and of the column holding its value (value)",
        )
        return None
    if not parameters:
        if listed:
            return None
        file.problem(
            key_node,
            f"the long layout of sheet '{sheet}' names no parameters: which measure is which field, e.g. "
            f"parameters: {{the measure as written: {measures[0] if measures else 'an outcome'}}}",
        )
        return None
    return LongLayout(columns["parameter"], columns["value"], parameters, line_of(key_node), lines)


def _tables(file: YamlFile, sheet: str, key_node: yaml.Node, node: yaml.Node, hint: Hint) -> tuple[TablePart, ...]:
    out = []
    for name, name_node, value in file.pairs(node, f"the tables of sheet '{sheet}'"):
        part = _table(file, sheet, name, name_node, value, hint)
        if part is not None:
            out.append(part)
    if not out and not file.problems:
        file.problem(key_node, f"the tables of sheet '{sheet}' are empty: name each table and its range")
    return tuple(out)


def _table(
    file: YamlFile, sheet: str, name: str, name_node: yaml.Node, node: yaml.Node, hint: Hint
) -> TablePart | None:
    line = line_of(name_node)
    default_kind = name.lower() if name.lower() in TABLE_KINDS else None
    if isinstance(node, yaml.ScalarNode):
        cells = _range(file, sheet, node)
        return TablePart(name, cells, kind=default_kind, line=line) if cells else None
    given: dict[str, tuple[str, yaml.Node]] = {}
    for key, key_node, value in file.pairs(node, f"table '{name}' of sheet '{sheet}'"):
        if key not in TABLE_KEYS:
            file.problem(
                key_node,
                f"unknown key '{key}' in table '{name}' of sheet '{sheet}'{hint(key, TABLE_KEYS)}; a table has range "
                "or under, and optionally table (screening / visits) and enrolled (yes / no)",
            )
            continue
        written = file.written(value, f"the {key} of table '{name}'")
        if written is not None:
            given[key] = (written, value)
    ok = True
    if ("range" in given) == ("under" in given):
        file.problem(name_node, f"table '{name}' of sheet '{sheet}' needs either a range (A1:K14) or under (a title)")
        ok = False
    cells = _range(file, sheet, given["range"][1]) if "range" in given else None
    under = given["under"][0] if "under" in given else None
    if "range" in given and cells is None or under == "":
        ok = False
    kind = default_kind
    if "table" in given:
        kind = given["table"][0].lower()
        if kind not in TABLE_KINDS:
            file.problem(given["table"][1], f"'{given['table'][0]}' is not a table: expected screening or visits")
            ok = False
    enrolled = None
    if "enrolled" in given:
        enrolled = given["enrolled"][0].lower()
        if enrolled not in YES_NO:
            file.problem(given["enrolled"][1], f"'{given['enrolled'][0]}' is not an enrolment: expected yes or no")
            ok = False
        elif kind == "visits":
            file.problem(given["enrolled"][1], f"enrolled is given for the screening table; '{name}' is visits")
            ok = False
    return TablePart(name, cells, under, kind, enrolled, line) if ok else None


def _range(file: YamlFile, sheet: str, node: yaml.Node) -> CellRange | None:
    text = node.value.strip()
    match = _RANGE.match(text)
    if not match:
        file.problem(node, f"'{text}' is not a cell range: expected e.g. A1:K14 or {sheet}!A1:K14")
        return None
    named = match.group("sheet")
    if named is not None:
        named = named[1:-1].replace("''", "'") if named.startswith("'") else named
        if normalise(named) != normalise(sheet) and not _pattern(sheet):
            file.problem(node, f"the range '{text}' is on sheet '{named}', not on '{sheet}', whose tables these are")
            return None
    top, bottom = int(match.group("r0")), int(match.group("r1"))
    left, right = column_index(match.group("c0")), column_index(match.group("c1"))
    if not (1 <= top <= bottom <= MAX_ROW and 0 <= left <= right < MAX_COLUMN):
        file.problem(
            node,
            f"'{text}' is not a range of a sheet: its first cell must be above and left of its last, within "
            f"A1:XFD{MAX_ROW}",
        )
        return None
    return CellRange(top, left, bottom, right)
