"""One trial's reading schema: its protocol and every table built from it, compiled once and passed explicitly.

Everything the reading pipeline needs to know about a trial (which names a column of each field may have, how a
cell of each field is read, which values are impossible, which fields a table needs) depends on the protocol
(``medpath.protocol``). ``schema_of(protocol)`` compiles it once per protocol into a ``Schema``, an immutable value
that every reading stage takes as an argument: ``medpath.pipeline.read.reading`` (finding the header), ``medpath.pipeline.map.profile`` and
``medpath.pipeline.map.mapping`` (the fields a profile may name, the mapping step's guesses), ``medpath.pipeline.layout.layouts``,
``medpath.pipeline.validate.validation``, ``medpath.pipeline.layout.extra_tables`` and ``medpath.study``. No stage reads a global or a context
variable: two sessions reading different trials at once each pass their own schema.

A ``Schema`` compares and hashes as its protocol does (by identity: each protocol file is read once), so it can be a
cache key. The mapping profile is not part of it: a profile is the user's, changes with every answer in the mapping
step and is passed beside the schema (``profile``), while the schema is the trial's and is compiled once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import cast

from medpath.pipeline.cells.values import (
    Reading,
    level_reader,
    number_reader,
    parse_sex,
    plain_reader,
    read_as_is,
    read_date,
    read_patient_id,
    word_reader,
    yes_no_number_reader,
)
from medpath.pipeline.map.columns import (
    VISIT_DATE,
    field_labels,
    normalise,
    outcome_aliases,
    screening_aliases,
    visit_aliases,
)
from medpath.protocol import ColumnUnit, Decoration, Outcome, Protocol


def _fmt(x: float) -> str:
    return f"{x:g}"


def _show_value(value: object) -> str:
    if value is None:
        return "unknown (missing)"
    if isinstance(value, float):
        return _fmt(value)
    return str(value)


def _show_yes_no(value: object) -> str:
    return "unknown (missing)" if value is None else ("yes" if value else "no")


def _show_test(value: object) -> str:
    return "unknown (missing)" if value is None else ("positive" if value else "negative")


@dataclass(frozen=True)
class Rule:
    """How one canonical column is read and which values are impossible (``medpath.pipeline.validate.validation``).

    An error on a cell leaves out that value only (it becomes missing, with an error finding and a row in
    ``Study.left_out_values``); only an error on an ``identity`` column (the patient id) leaves out the row."""

    read: Callable[[object], Reading]
    bounds: tuple[float, float] | None = None
    bounds_severity: str = "error"
    what: str = ""
    identity: bool = False
    show: Callable[[object], str] = _show_value


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Schema:
    """The reading tables of one protocol (see the module docstring); made by ``schema_of``, never changed."""

    protocol: Protocol
    #: normalised column name -> field, of a screening table, of a visits table, of an outcome alone, and of either
    #: table (screening first, visits over it)
    screening_aliases: Mapping[str, str]
    visit_aliases: Mapping[str, str]
    outcome_aliases: Mapping[str, str]
    all_aliases: Mapping[str, str]
    #: how the Data page names each field ("T-score L1-L4 → spine BMD T-score")
    field_labels: Mapping[str, str]
    #: the names that mark a header row (``medpath.pipeline.read.reading``: the best-matching of a sheet's first rows)
    known_names: frozenset[str]
    #: the outcome aliases of over 2 letters, in order (a name that starts with one and goes on: a wide column)
    wide_prefixes: tuple[str, ...]
    #: the same, longest first (``medpath.pipeline.layout.layouts``: "<outcome><visit>" column names)
    outcome_prefixes: tuple[str, ...]
    #: fields only a screening table has: the built-in ones and the protocol's own that are not an outcome's
    #: baseline reading (a sheet with two of them and visit data holds both tables)
    screening_only: frozenset[str]
    #: screening fields that are an outcome read at screening (a baseline T-score)
    screening_outcomes: frozenset[str]
    #: densitometry fields (``Outcome.dxa``: "T-score", "BMD"): a DXA report gives them per region
    dxa_fields: Mapping[str, str]
    #: the region each densitometry field is analysed at (``Outcome.dxa_site``: "L1-L4")
    dxa_sites: Mapping[str, str]
    #: the fields a mapping profile (and the mapping step) can name, per table and in all, in order
    screening_fields: tuple[str, ...]
    visit_fields: tuple[str, ...]
    fields: tuple[str, ...]
    #: the fields without which a table cannot be read, and the fields the mapping step guesses, per table
    required: Mapping[str, tuple[str, ...]]
    table_fields: Mapping[str, tuple[str, ...]]
    #: every name that suggests a field to the mapping step: its aliases and an outcome's ``hints``
    guess_names: Mapping[str, tuple[str, ...]]
    #: how each canonical column of the screening and visits tables is read (``medpath.pipeline.validate.validation``)
    screening_rules: Mapping[str, Rule]
    visit_rules: Mapping[str, Rule]
    #: text accepted around a number, per field; fields whose parenthesised words are comments; fields whose whole
    #: column may be written in another unit (``medpath.pipeline.cells.values``)
    number_decorations: Mapping[str, tuple[Decoration, ...]]
    commented_fields: frozenset[str]
    column_units: Mapping[str, ColumnUnit]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and other.protocol is self.protocol

    def __hash__(self) -> int:
        return hash(self.protocol)

    def number_reader(self, field: str | None) -> Callable[[object], Reading]:
        """The reader of numbers in the column of ``field`` (its decorations and comments; ``None``: bare numbers)."""
        return _reader(self.number_decorations, self.commented_fields, field)


def _reader(
    decorations: Mapping[str, tuple[Decoration, ...]], commented: frozenset[str], field: str | None
) -> Callable[[object], Reading]:
    if field is None:
        return number_reader()
    return number_reader(decorations.get(field, ()), field in commented)


def _number_decorations(protocol: Protocol) -> dict[str, tuple[Decoration, ...]]:
    """Text accepted around a number, per field: "years" after an age, and each outcome's own units (the
    protocol's ``decorations``; a screening field that reads an outcome takes the outcome's). Anything else
    around a number is an error."""
    age = tuple(
        Decoration("after", t, 1.0, "years")
        for t in ("th", "thn", "tahun", "thn.", "th.", "y", "yr", "yrs", "year", "years", "yo", "y.o.")
    )
    own = {key: o.decorations for key, o in protocol.outcomes.items()}
    read_as = {f.key: own[f.outcome] for f in protocol.screening if f.outcome in own}
    return {"age": age, **own, **read_as}


def _screening_rules(protocol: Protocol, number: Callable[[str | None], Callable]) -> dict[str, Rule]:
    """The built-in screening fields, then the protocol's own (numbers with bounds, yes/no items, tests, dates)."""
    rules = {
        "patient_id": Rule(read_patient_id, identity=True),
        "sex": Rule(plain_reader(parse_sex)),
        "age": Rule(number("age"), (0, 120), what="age in years"),
        "consent": Rule(word_reader("consent")),
        "enrolled": Rule(word_reader("yes_no"), show=_show_yes_no),
    }
    for f in protocol.screening:
        if f.kind == "number":
            rules[f.key] = Rule(number(f.key), f.bounds, what=f.what or f.label)
        elif f.kind == "yes_no":
            rules[f.key] = Rule(word_reader("yes_no"), show=_show_yes_no)
        elif f.kind == "date":
            rules[f.key] = Rule(plain_reader(read_date), what=f.what or f.label)
        else:
            rules[f.key] = Rule(word_reader("test"), show=_show_test)
    return rules


def _visit_rules(protocol: Protocol, number: Callable[[str | None], Callable]) -> dict[str, Rule]:
    """The built-in visit fields, then the outcomes (a value outside the range: an error for a primary outcome,
    a warning for a secondary one)."""
    return {
        "patient_id": Rule(read_patient_id, identity=True),
        "visit": Rule(read_as_is),
        "month": Rule(number(None), (0, 240), what="months since baseline"),
        "day": Rule(number(None), (0, 7300), what="days since baseline"),
        **{
            k: Rule(
                _outcome_reader(o, number),
                o.valid_range,
                "error" if o.primary else "warning",
                o.label,
                show=_show_yes_no if o.kind == "binary" else _level_shower(o.levels) if o.levels else _show_value,
            )
            for k, o in protocol.outcomes.items()
        },
    }


def _outcome_reader(o: Outcome, number: Callable[[str | None], Callable]) -> Callable:
    """How an outcome's cells are read: yes/no words as 1 / 0, an ordinal outcome's levels as their places, else a
    number (with the outcome's units and comments)."""
    if o.kind == "binary":
        return yes_no_number_reader()
    if o.kind == "ordinal":
        return level_reader(o.levels)
    return number(o.key)


def _level_shower(levels: tuple[str, ...]) -> Callable[[object], str]:
    """An ordinal value (its place) shown as its level."""
    return lambda value: "unknown (missing)" if value is None else levels[int(cast(float, value))]


def _guess_names(
    protocol: Protocol, screening: Mapping[str, str], visits: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Every name that suggests a field to the mapping step: its aliases, and a few words that only hint at it
    (an outcome's ``hints``)."""
    names: dict[str, list[str]] = {}
    for aliases in (screening, visits):
        for alias, field_name in aliases.items():
            names.setdefault(field_name, []).append(alias)
    names["date"] = sorted(VISIT_DATE)
    names.setdefault("visit", []).extend(["bulanke", "waktu", "jadwal"])
    names.setdefault("sex", []).extend(["lp", "sexlp", "jeniskelaminlp"])
    for key, outcome in protocol.outcomes.items():
        names.setdefault(key, []).extend(normalise(h) for h in outcome.hints)
    return {k: tuple(v) for k, v in names.items()}


@functools.cache
def schema_of(protocol: Protocol) -> Schema:
    """The schema of ``protocol``, compiled once per protocol (a ``Protocol`` hashes by identity)."""
    screening = screening_aliases(protocol)
    visits = visit_aliases(protocol)
    outcomes = outcome_aliases(protocol)
    decorations = _number_decorations(protocol)
    commented = frozenset(k for k, o in protocol.outcomes.items() if o.comments)
    number = functools.partial(_reader, decorations, commented)

    screening_fields = tuple(dict.fromkeys((*protocol.screening_columns, "screening_number")))
    visit_fields = tuple(dict.fromkeys(("patient_id", "visit", "date", "month", "day", *protocol.outcomes)))
    return Schema(
        protocol=protocol,
        screening_aliases=_frozen(screening),
        visit_aliases=_frozen(visits),
        outcome_aliases=_frozen(outcomes),
        all_aliases=_frozen({**screening, **visits}),
        field_labels=_frozen(field_labels(protocol)),
        known_names=frozenset([*screening, *visits]),
        wide_prefixes=tuple(a for a in outcomes if len(a) > 2),
        outcome_prefixes=tuple(sorted((a for a in outcomes if len(a) > 2), key=len, reverse=True)),
        screening_only=frozenset(
            ("sex", "age", "consent", "enrolled", *(f.key for f in protocol.screening if not f.outcome))
        ),
        screening_outcomes=frozenset(f.key for f in protocol.screening if f.outcome),
        dxa_fields=_frozen({k: o.dxa for k, o in protocol.outcomes.items() if o.dxa}),
        dxa_sites=_frozen({k: o.dxa_site for k, o in protocol.outcomes.items() if o.dxa}),
        screening_fields=screening_fields,
        visit_fields=visit_fields,
        fields=tuple(dict.fromkeys((*screening_fields, *visit_fields))),
        required=_frozen({"screening": ("patient_id",), "visits": ("patient_id", "visit", *protocol.primary_outcomes)}),
        table_fields=_frozen(
            {"screening": protocol.screening_columns, "visits": ("patient_id", "visit", "date", *protocol.outcomes)}
        ),
        guess_names=_frozen(_guess_names(protocol, screening, visits)),
        screening_rules=_frozen(_screening_rules(protocol, number)),
        visit_rules=_frozen(_visit_rules(protocol, number)),
        number_decorations=_frozen(decorations),
        commented_fields=commented,
        column_units=_frozen({k: o.column_unit for k, o in protocol.outcomes.items() if o.column_unit is not None}),
    )


__all__ = ["Rule", "Schema", "schema_of"]
