"""A trial's protocol as data: everything that is specific to one trial, read from one YAML file.

Generic code (reading, validation, eligibility, analyses, figures, report) holds no trial literal: it reads the
``Protocol`` it is given as an argument, the study's (``Study.protocol``), or, while files are read, the protocol's
schema (``medpath.pipeline.map.schema.schema_of``: the reading tables compiled from it once). There is no active or global
protocol. The bundled protocols live in ``medpath/protocols/*.yaml`` (``bundled``); one of them says
``default: true`` (``default_protocol``).

A protocol file names:

* ``id``, ``title``, ``short_title``, ``site``, ``phase``, ``design``, ``target_n``, ``text`` (the protocol's
  public record, a file beside it), ``sample`` (its synthetic sample workbook, relative to the package);
* ``schedule``: its ``unit`` (months, the default; weeks or days: ``medpath.schedule.Clock``), the visit labels with
  their time in that unit, and the ``primary`` visit's time (``primary_month`` in a months schedule); visits are
  kept in nominal months whatever the unit, and named in it (``Protocol.visit_label``);
* ``screening``: the trial's own screening fields (``number``, ``yes_no`` or ``test``), with their bounds and
  the names the study team writes; the generic fields (patient id, sex, age, consent, enrolled) are built in;
* ``outcomes``: label, unit, the direction expected (``better: higher / lower``), the plausible range,
  ``primary`` or not, and where they apply: classes (``bands``, e.g. the WHO T-score classes), a responder rule,
  a least significant change, units written in the cells (``decorations``: ``{after: "%"}``, ``{after: mm, factor:
  0.1}``, ``{after: mmol/mol, factor: 0.09148, offset: 2.152}``), and the column names; ``kind: binary`` for a yes/no
  outcome, ``kind: ordinal`` with ``levels`` (lowest first) for an ordered categorical one;
* ``criteria``: the eligibility criteria in funnel order, each one of a few declarative kinds (``flags_absent``,
  ``at_most``, ``at_least``, ``older_than_by_sex``, ``equals``) with the protocol text it quotes (``equals`` on a
  test field is ``positive`` or ``negative``, on a yes/no field ``yes`` or ``no``: "the antibody test must be
  positive" is ``kind: equals, field: antibody, value: positive``); a criterion that cannot apply to its field's
  kind (``at_most`` on a test) is refused with its line before any data is read;
* ``conventions``: how the protocol's words were read, shown to the user beside the funnel.

A file with an error is refused with ``ProtocolError``, naming the line of every problem (the file is read as
located YAML, ``medpath.located_yaml``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from medpath.located_yaml import FileError, Node, YamlFile, did_you_mean, read_text
from medpath.schedule import MONTHS, SCHEDULE_UNITS, Clock

#: Screening fields every protocol has (their kinds are fixed: identity, sex, number, consent, yes/no).
GENERIC_SCREENING = ("patient_id", "sex", "age", "consent", "enrolled")
FIELD_KINDS = ("number", "yes_no", "test", "date")
CRITERION_KINDS = ("flags_absent", "at_most", "at_least", "older_than_by_sex", "equals", "days_before")


@dataclass(frozen=True)
class Band:
    """One class of an outcome's value (e.g. WHO "osteoporosis": at most −2.5). ``at_least`` / ``at_most`` are
    inclusive; a band with neither is the one between the others (WHO "osteopenia")."""

    label: str
    at_least: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class Bands:
    """Classes of an outcome, in the order they are shown (best first); ``name`` ("WHO class"), ``source``: who
    defined them; ``caution``: a sentence shown where the classes are applied to patients younger than
    ``caution_age`` (for whom the source does not define them), "" when none."""

    classes: tuple[Band, ...]
    source: str
    name: str = "class"
    caution: str = ""
    caution_age: float | None = None
    symbol: str = "value"  # how the value is named in a class's bounds ("T ≤ −2.5")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.classes)

    @property
    def thresholds(self) -> tuple[float, ...]:
        """The boundary values between classes, lowest first (e.g. −2.5, −1.0)."""
        return tuple(sorted({v for b in self.classes for v in (b.at_least, b.at_most) if v is not None}))

    def classify(self, value: float) -> str:
        """The class of one value (rounded by the caller): the bounded band that holds it, else the band between."""
        for band in self.classes:
            if (band.at_least is not None or band.at_most is not None) and (
                (band.at_least is None or value >= band.at_least) and (band.at_most is None or value <= band.at_most)
            ):
                return band.label
        return next(b.label for b in self.classes if b.at_least is None and b.at_most is None)


@dataclass(frozen=True)
class Responder:
    """A responder: the outcome improved (in its ``better`` direction) by at least ``points`` or at least
    ``percent`` % of baseline. ``convention`` says where the thresholds come from."""

    points: float
    percent: float
    convention: str


@dataclass(frozen=True)
class LeastSignificantChange:
    """LSC = ``factor`` × the site's precision error (``precision``, in the outcome's unit; ``precision_name`` says
    whose, e.g. "your densitometer's precision error")."""

    factor: float
    precision: float
    note: str
    precision_name: str

    @property
    def value(self) -> float:
        return self.factor * self.precision


@dataclass(frozen=True)
class Decoration:
    """Text written around a number in a cell of this field ("3.5 SD", "65 mm", "8.1 %"); the number is converted
    to the field's unit as ``number × factor + offset`` (an offset for scales that do not start at the same zero:
    HbA1c in mmol/mol to % is × 0.09148 + 2.152, the IFCC–NGSP master equation). ``text`` is kept as cells are
    compared: lower case, without spaces."""

    where: Literal["before", "after"]
    text: str
    factor: float = 1.0
    meaning: str = ""
    offset: float = 0.0


@dataclass(frozen=True)
class ColumnUnit:
    """A whole column written in another unit, recognised from all its values together (``medpath.pipeline.cells.values``)."""

    unit: str
    all_at_most: float
    above: float
    majority_above: float
    min_above: int
    factor: float
    scale: str


@dataclass(frozen=True)
class Outcome:
    """One outcome column of ``Study.visits``."""

    key: str
    label: str
    unit: str
    better: Literal["higher", "lower"]
    primary: bool
    valid_range: tuple[float, float]
    axis_range: tuple[float, float] | None = None
    spoken: str = ""  # the name in a spoken sentence ("Spine T-score")
    field_label: str = ""  # the name on the Data page ("spine BMD T-score")
    #: percent change is meaningless for a score centred on 0 (a T-score)
    percent_change: bool = True
    #: a densitometry value: DXA reports give it per region; ``dxa`` names the measure there ("T-score") and
    #: ``dxa_site`` the region the protocol analyses ("L1-L4", "total hip", "femoral neck", "L2-L4", ...)
    dxa: str = ""
    dxa_site: str = ""
    bands: Bands | None = None
    responder: Responder | None = None
    lsc: LeastSignificantChange | None = None
    decorations: tuple[Decoration, ...] = ()
    column_unit: ColumnUnit | None = None
    #: a parenthesised word after the number ("8 (berat)") is a comment
    comments: bool = False
    aliases: tuple[str, ...] = ()
    #: words that only suggest this outcome in the mapping step ("nyeri"), never read as it unasked
    hints: tuple[str, ...] = ()
    #: "number" (a measurement or a score), or "binary": yes/no in the cells (remission), read as 1 / 0 and compared
    #: with the exact McNemar test and exact (Clopper–Pearson) intervals; ``better: higher`` says yes is better; or
    #: "ordinal": one of ``levels`` in the cells (lowest first), read as its place 0, 1, … and compared by the patients
    #: who moved up or down (the exact sign test); ``better: higher`` says a higher level is better
    kind: Literal["number", "binary", "ordinal"] = "number"
    #: an ordinal outcome's levels, lowest first ("none", "partial", "complete")
    levels: tuple[str, ...] = ()

    @property
    def axis_title(self) -> str:
        return f"{self.label} ({self.unit})"

    @property
    def level_names(self) -> tuple[str, ...]:
        """The words of a yes/no ("no", "yes") or ordinal outcome's values 0, 1, …; () for a number."""
        return ("no", "yes") if self.kind == "binary" else self.levels

    @property
    def name(self) -> str:
        """The name in a sentence."""
        return self.spoken or self.label


@dataclass(frozen=True)
class ScreeningField:
    """A trial-specific screening column: a number (bounds), a yes/no history item, or an infection test."""

    key: str
    kind: Literal["number", "yes_no", "test", "date"]
    label: str  # on the Data page
    reason: str = ""  # how a true value is named in an exclusion reason ("HIV positive")
    bounds: tuple[float, float] | None = None
    what: str = ""  # "a spine T-score", in a finding
    #: the outcome this screening value is a baseline reading of (its units and aliases apply)
    outcome: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CriterionSpec:
    """One eligibility criterion, declared: ``kind`` with its ``fields`` and parameters, the protocol text it
    quotes, its label in the funnel and the reason shown when a candidate fails it."""

    id: str
    kind: str
    label: str
    text: str
    fields: tuple[str, ...]
    value: Any = None  # at_most / at_least / equals
    older_than: tuple[tuple[str, float], ...] = ()  # older_than_by_sex: (("M", 50), ("F", 40))
    minimum_age: float | None = None
    reason: str = ""
    #: at_most / at_least with a limit by sex (``value: {M: 13.0, F: 12.0}``): (("M", 13.0), ("F", 12.0))
    by_sex: tuple[tuple[str, float], ...] = ()
    #: the subgroup the criterion applies to (``applies_to: {sex: F}``): (field, value); everyone else meets it
    #: (not applicable, which is not unknown: a man's empty "pregnant" cell does not make him unknown)
    applies_to: tuple[str, Any] | None = None
    #: days_before: the date field it is counted back from (``reference: screening_date``), whether the days must be
    #: ``at_least`` or ``at_most`` ``value``, and whether an empty date meets it (``blank: met``: "no immunosuppressant
    #: in the 90 days before screening" when the team leaves the last-dose date empty for none) or is unknown
    reference: str = ""
    days: Literal["at_least", "at_most", ""] = ""
    blank_meets: bool = False


@dataclass(frozen=True, eq=False)
class Protocol:
    """One trial's protocol (see the module docstring). Compared and hashed by identity: each file is read once."""

    id: str
    title: str
    short_title: str
    site: str
    phase: str
    design: str
    target_n: int
    #: the scheduled visits in order: (label, nominal months since baseline), whatever the schedule's unit
    visits: tuple[tuple[str, float], ...]
    #: the primary visit, in nominal months (week 24 of a weeks schedule: 24 * 7 / (365.25 / 12))
    primary_month: float
    screening: tuple[ScreeningField, ...]
    outcomes: dict[str, Outcome]
    criteria: tuple[CriterionSpec, ...]
    conventions: tuple[str, ...]
    enrolment_text: str
    primary_text: str
    text_file: str = ""
    sample_file: str = ""
    default: bool = False
    path: Path | None = None
    #: the rows of Table 1 in order (``table1:``): age, sex, screening fields and outcomes (at baseline); empty: age,
    #: sex and every outcome
    table1: tuple[str, ...] = ()
    #: what the patients receive (``intervention: {name, event}``); None: "the intervention"
    intervention: Intervention | None = None
    #: the unit the schedule is written in (``schedule: {unit: weeks}``); months by default
    clock: Clock = MONTHS

    def visit_label(self, months: float) -> str:
        """The name of the visit at ``months``: the schedule's own label where a visit of the schedule is there
        ("week 24"), else the clock's ("week 26", "month 7.5")."""
        return next((label for label, at in self.visits if math.isclose(at, months)), None) or self.clock.label(months)

    def visit_adjective(self, months: float) -> str:
        """The visit at ``months`` before a noun: "month-6" (a month-6 value), "week-24"."""
        return self.visit_label(months).replace(" ", "-")

    def time_span(self, months: float) -> str:
        """``months`` since baseline in the schedule's unit: "6 months", "24 weeks"."""
        return self.clock.named(self.clock.count(months))

    @property
    def primary_visit(self) -> str:
        """The primary visit's name ("month 6", "week 24")."""
        return self.visit_label(self.primary_month)

    @property
    def intervention_event(self) -> str:
        """What month 0 is named after ("infusion"), "" when the protocol does not say."""
        return self.intervention.event if self.intervention else ""

    @property
    def intervention_name(self) -> str:
        """What adverse events are attributed to ("umbilical-cord MSC infusion"), "intervention" when not said."""
        return self.intervention.name if self.intervention else "intervention"

    @property
    def primary_outcomes(self) -> tuple[str, ...]:
        return tuple(k for k, o in self.outcomes.items() if o.primary)

    @property
    def secondary_outcomes(self) -> tuple[str, ...]:
        return tuple(k for k, o in self.outcomes.items() if not o.primary)

    @property
    def screening_fields(self) -> dict[str, ScreeningField]:
        return {f.key: f for f in self.screening}

    @property
    def screening_columns(self) -> tuple[str, ...]:
        """The canonical columns of ``Study.screening``, in order."""
        return ("patient_id", "sex", "age", *(f.key for f in self.screening), "consent", "enrolled")

    @property
    def visit_columns(self) -> tuple[str, ...]:
        """The canonical columns of ``Study.visits``, in order."""
        return ("patient_id", "visit", "month", "day", *self.outcomes)

    def fields_of_kind(self, kind: str) -> tuple[str, ...]:
        return tuple(f.key for f in self.screening if f.kind == kind)

    @property
    def visit_labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.visits)

    @property
    def text(self) -> str:
        """The protocol's public record, as committed beside the file ("" when it names none)."""
        if not self.text_file or self.path is None:
            return ""
        return (self.path.parent / self.text_file).read_text(encoding="utf-8")

    @property
    def sample(self) -> Path | None:
        """The bundled synthetic sample workbook of this protocol."""
        if not self.sample_file or self.path is None:
            return None
        return (self.path.parent / self.sample_file).resolve()

    @property
    def headline(self) -> str:
        """ "NCT… · Phase 2 · single group · site · target n = 5"."""
        return f"{self.id} · {self.phase} · {self.design} · {self.site} · target n = {self.target_n}"

    def as_json(self) -> dict:
        """The ``protocols --json`` entry."""
        return {
            "id": self.id,
            "title": self.title,
            "criteria": [c.id for c in self.criteria],
            "outcomes": list(self.outcomes),
            "primary_outcomes": list(self.primary_outcomes),
            "primary_month": self.primary_month,
            "primary_visit": self.primary_visit,
            "schedule_unit": self.clock.unit,
            "sample": None if self.sample is None else str(self.sample),
            "default": self.default,
            "file": None if self.path is None else str(self.path),
        }


@dataclass(frozen=True)
class Intervention:
    """What the patients receive, as the pages word it: ``name`` ("umbilical-cord MSC infusion": adverse events are
    attributed to it), ``event`` ("infusion": month 0 is named after it) and ``aliases``, the team's names for a
    disposition column saying a patient received it ("infused", "received MSC")."""

    name: str
    event: str
    aliases: tuple[str, ...] = ()


# --- reading a protocol file ------------------------------------------------------------------------------------


def _intervention(node: Node) -> Intervention:
    n = node.mapping(("name", "event"), ("aliases",))
    return Intervention(
        _get(n, "name", Node.text, ""), _get(n, "event", Node.text, ""), _get(n, "aliases", Node.texts, ())
    )


class ProtocolError(FileError):
    """A protocol file that cannot be used; each problem names its line."""


def _get(nodes: dict[str, Node], key: str, read, default=None):
    return read(nodes[key]) if key in nodes else default


def _section(nodes: dict[str, Node], key: str, build, *fields: tuple[str, Callable[[Node], object], object]):
    """``build(...)`` of the mapping at ``key``, each of its keys required and read in ``fields`` order (name,
    reader, stand-in after a problem); None when the key is absent."""
    if key not in nodes:
        return None
    values = nodes[key].mapping(tuple(name for name, _, _ in fields))
    return build(*(_get(values, name, read, default) for name, read, default in fields))


def _whole(node: Node) -> int:
    """A whole number (0 after a problem)."""
    value = node.number()
    if not math.isfinite(value):
        return 0
    if value != int(value):
        node.problem(f"must be a whole number (got {value:g})")
    return int(value)


def _bands(node: Node) -> Bands:
    n = node.mapping(("source", "classes"), ("name", "caution", "caution_age", "symbol"))
    classes = []
    for item in n["classes"].items() if "classes" in n else []:
        b = item.mapping(("label",), ("at_least", "at_most"))
        classes.append(
            Band(
                _get(b, "label", Node.text, ""),
                _get(b, "at_least", Node.number),
                _get(b, "at_most", Node.number),
            )
        )
    if "classes" in n and len(classes) < 2:
        n["classes"].problem("needs at least two classes, best first")
    elif "classes" in n and sum(b.at_least is None and b.at_most is None for b in classes) != 1:
        n["classes"].problem("exactly one class (the one between the others) has neither at_least nor at_most")
    return Bands(
        tuple(classes),
        _get(n, "source", Node.text, ""),
        _get(n, "name", Node.text, "class"),
        _get(n, "caution", Node.text, ""),
        _get(n, "caution_age", Node.number),
        _get(n, "symbol", Node.text, "value"),
    )


def _decorations(node: Node) -> tuple[Decoration, ...]:
    out = []
    for item in node.items():
        d = item.mapping((), ("before", "after", "factor", "meaning", "offset"))
        where: Literal["before", "after"] = "before" if "before" in d else "after"
        if ("before" in d) == ("after" in d):
            item.problem("give exactly one of 'before' or 'after'")
            continue
        out.append(
            Decoration(
                where,
                d[where].text().lower().replace(" ", ""),
                _get(d, "factor", Node.number, 1.0),
                _get(d, "meaning", Node.text, ""),
                _get(d, "offset", Node.number, 0.0),
            )
        )
    return tuple(out)


#: The regions of a DXA report a protocol can analyse: named sites, or a vertebra or range of vertebrae ("L1-L4").
DXA_SITES = ("total hip", "femoral neck", "trochanter", "forearm")
_VERTEBRAE = re.compile(r"L[1-5](-L[1-5])?")


def _dxa_site(n: dict[str, Node]) -> str:
    """The analysed region of a densitometry outcome: required with ``dxa``, one of ``DXA_SITES`` or vertebrae."""
    if "dxa" not in n:
        if "dxa_site" in n:
            n["dxa_site"].problem("needs 'dxa' (the measure's name in a DXA report) beside it")
        return ""
    if "dxa_site" not in n:
        n["dxa"].problem("needs 'dxa_site' beside it: the region the protocol analyses (e.g. L1-L4, total hip)")
        return ""
    site = n["dxa_site"].text()
    if site and site not in DXA_SITES and not _VERTEBRAE.fullmatch(site):
        n["dxa_site"].problem(f"must be one of {', '.join(DXA_SITES)} or vertebrae such as L1-L4 (got {site!r})")
    return site


#: what an outcome's cells hold (``Outcome.kind``)
OUTCOME_KINDS = ("number", "binary", "ordinal")


def _outcome(node: Node) -> Outcome:
    n = node.mapping(
        ("key", "label", "better", "primary"),
        (
            "unit",
            "valid_range",
            "kind",
            "axis_range",
            "spoken",
            "field_label",
            "percent_change",
            "dxa",
            "dxa_site",
            "bands",
            "responder",
            "lsc",
            "decorations",
            "column_unit",
            "comments",
            "aliases",
            "hints",
            "levels",
        ),
    )
    responder = _section(
        n,
        "responder",
        Responder,
        ("points", Node.number, 0.0),
        ("percent", Node.number, 0.0),
        ("convention", Node.text, ""),
    )
    lsc = _section(
        n,
        "lsc",
        LeastSignificantChange,
        ("factor", Node.number, 0.0),
        ("precision", Node.number, 0.0),
        ("note", Node.text, ""),
        ("precision_name", Node.text, ""),
    )
    unit = _section(
        n,
        "column_unit",
        ColumnUnit,
        ("unit", Node.text, ""),
        ("all_at_most", Node.number, 0.0),
        ("above", Node.number, 0.0),
        ("majority_above", Node.number, 0.0),
        ("min_above", _whole, 0),
        ("factor", Node.number, 1.0),
        ("scale", Node.text, ""),
    )
    label = _get(n, "label", Node.text, "")
    kind = _get(n, "kind", lambda x: x.choice(OUTCOME_KINDS), "number")
    for needed in ("unit", "valid_range"):  # a yes/no or ordinal outcome has neither: its cells are words
        if kind == "number" and needed not in n:
            node.problem(f"'{needed}' is missing")
    levels = _get(n, "levels", Node.texts, ())
    if kind == "ordinal" and len(levels) < 3:
        (n["levels"] if "levels" in n else node).problem(
            "an ordinal outcome needs 'levels', at least three, lowest first (two levels: kind: binary)"
        )
    elif kind != "ordinal" and levels:
        n["levels"].problem("'levels' belong to an ordinal outcome (kind: ordinal)")
    words = {}
    for level in levels:
        if (key := level.strip().lower()) in words:
            n["levels"].problem(f"the level {level!r} is given twice")
        words[key] = level
    default_unit = {"binary": "yes/no", "ordinal": "levels"}.get(kind, "")
    default_range = (0.0, 1.0) if kind == "binary" else (0.0, float(len(levels) - 1)) if kind == "ordinal" else None
    return Outcome(
        levels=levels,
        kind=kind,
        key=_get(n, "key", Node.text, ""),
        label=label,
        unit=_get(n, "unit", Node.text, default_unit),
        better=_get(n, "better", lambda x: x.choice(("higher", "lower")), "higher"),
        primary=_get(n, "primary", Node.flag, False),
        valid_range=_get(n, "valid_range", Node.pair, default_range or (math.nan, math.nan)),
        axis_range=_get(n, "axis_range", Node.pair),
        spoken=_get(n, "spoken", Node.text, ""),
        field_label=_get(n, "field_label", Node.text, ""),
        percent_change=_get(n, "percent_change", Node.flag, True),
        dxa=_get(n, "dxa", Node.text, ""),
        dxa_site=_dxa_site(n),
        bands=_get(n, "bands", _bands),
        responder=responder,
        lsc=lsc,
        decorations=_get(n, "decorations", _decorations, ()),
        column_unit=unit,
        comments=_get(n, "comments", Node.flag, False),
        aliases=_get(n, "aliases", Node.texts, ()),
        hints=_get(n, "hints", Node.texts, ()),
    )


def _screening_field(node: Node) -> ScreeningField:
    n = node.mapping(("key", "kind", "label"), ("reason", "bounds", "what", "outcome", "aliases"))
    return ScreeningField(
        key=_get(n, "key", Node.text, ""),
        kind=_get(n, "kind", lambda x: x.choice(FIELD_KINDS), "number"),
        label=_get(n, "label", Node.text, ""),
        reason=_get(n, "reason", Node.text, ""),
        bounds=_get(n, "bounds", Node.pair),
        what=_get(n, "what", Node.text, ""),
        outcome=_get(n, "outcome", Node.text, ""),
        aliases=_get(n, "aliases", Node.texts, ()),
    )


#: How an ``equals`` criterion on a yes/no or test field writes the value it requires (``equals: positive``: the test
#: must be positive); the criterion's value is then True or False, as the field's cells are read.
TRUTH_WORDS: dict[str, dict[str, object]] = {
    "yes_no": {"yes": True, "no": False},
    "test": {"positive": True, "negative": False},
}
#: The kinds of the built-in screening fields (the trial's own are declared; outcomes are numbers).
GENERIC_KINDS = {"patient_id": "text", "sex": "text", "age": "number", "consent": "text", "enrolled": "yes_no"}


def _criterion(node: Node, kinds: dict[str, str]) -> CriterionSpec:
    """One criterion; ``kinds``: each field's kind (number, yes_no, test or text), which says how ``value`` is
    written and which criteria can apply to the field."""
    n = node.mapping(
        ("id", "kind", "label", "text"),
        ("fields", "field", "value", "older_than", "minimum_age", "reason", "applies_to")
        + ("reference", "at_least", "at_most", "blank"),
    )
    kind = _get(n, "kind", lambda x: x.choice(CRITERION_KINDS), "")
    fields: tuple[str, ...] = (
        _get(n, "fields", Node.texts, ()) if "fields" in n else ((n["field"].text(),) if "field" in n else ())
    )
    older: tuple[tuple[str, float], ...] = ()
    if "older_than" in n:
        o = n["older_than"].mapping((), ("M", "F"))
        older = tuple((sex, o[sex].number()) for sex in ("M", "F") if sex in o)
    field_kind = kinds.get(fields[0], "") if len(fields) == 1 else ""
    value = None
    by_sex: tuple[tuple[str, float], ...] = ()
    if "value" in n and kind in ("at_most", "at_least") and isinstance(n["value"].node, yaml.MappingNode):
        limits = n["value"].mapping(("M", "F"))
        by_sex = tuple((sex, limits[sex].number()) for sex in ("M", "F") if sex in limits)
    elif "value" in n and kind == "equals" and field_kind in TRUTH_WORDS:
        value = n["value"].word(TRUTH_WORDS[field_kind])
    elif "value" in n:
        value = n["value"].text() if kind == "equals" and field_kind != "number" else n["value"].number()
    if kind in ("at_most", "at_least") and field_kind not in ("number", ""):
        node.problem(f"an '{kind}' criterion needs a number field; '{fields[0]}' is a {field_kind} field")
    for name in (*fields[:1], *([n["reference"].text()] if kind == "days_before" and "reference" in n else [])):
        if kind == "days_before" and kinds.get(name, "date") != "date":
            node.problem(f"a 'days_before' criterion counts between dates; '{name}' is a {kinds[name]} field")
    days: Literal["at_least", "at_most", ""] = next((k for k in ("at_least", "at_most") if k in n), "")
    if kind == "days_before":
        value = n[days].number() if days else None
        if not days or ("at_least" in n and "at_most" in n):
            node.problem("a 'days_before' criterion needs one of at_least or at_most (days)")
        if "reference" not in n:
            node.problem("a 'days_before' criterion needs the reference date field it counts back from (reference)")
    elif days or "reference" in n or "blank" in n:
        node.problem("at_least, at_most, reference and blank belong to a 'days_before' criterion")
    spec = CriterionSpec(
        id=_get(n, "id", Node.text, ""),
        kind=kind,
        label=_get(n, "label", Node.text, ""),
        text=_get(n, "text", Node.text, ""),
        fields=fields,
        value=value,
        older_than=older,
        minimum_age=_get(n, "minimum_age", Node.number),
        reason=_get(n, "reason", Node.text, ""),
        by_sex=by_sex,
        applies_to=_applies_to(n["applies_to"], kinds) if "applies_to" in n else None,
        reference=_get(n, "reference", Node.text, ""),
        days=days if kind == "days_before" else "",
        blank_meets=_get(n, "blank", lambda x: x.word({"met": True, "unknown": False}), False),
    )
    needs = {
        "flags_absent": ("fields", bool(fields)),
        "at_most": ("field and value", len(fields) == 1 and "value" in n),
        "at_least": ("field and value", len(fields) == 1 and "value" in n),
        "equals": ("field and value", len(fields) == 1 and "value" in n),
        "older_than_by_sex": ("older_than", bool(older)),
        "days_before": ("field", len(fields) == 1),
    }
    if kind in needs and not needs[kind][1]:
        node.problem(f"a '{kind}' criterion needs {needs[kind][0]}")
    return spec


def _applies_to(node: Node, kinds: dict[str, str]) -> tuple[str, Any] | None:
    """``applies_to: {sex: F}``: one field and the value that puts a candidate in the subgroup (sex M or F; yes or no
    for a yes/no field, positive or negative for a test); a field or value that cannot be is a problem of the file."""
    pairs = node.mapping((), tuple(kinds))
    if len(pairs) != 1:
        node.problem("must name one field and its value, e.g. {sex: F}")
        return None
    ((name, value),) = pairs.items()
    if kinds[name] in TRUTH_WORDS:
        return name, value.word(TRUTH_WORDS[kinds[name]])
    if name == "sex":
        return name, value.word({"m": "M", "f": "F"})
    if kinds[name] == "number":
        node.problem(f"a subgroup is a value of sex or of a yes/no or test field, not of the number '{name}'")
        return None
    return name, value.text()


def _schedule(node: Node) -> tuple[tuple[tuple[str, float], ...], float, Clock]:
    """The visits (label, nominal months) in order, the primary visit's months and the schedule's clock: ``unit``
    months (the default), weeks or days, in which the visits and the ``primary`` visit are written (``primary_month``
    is the older name of ``primary`` in a months schedule)."""
    n = node.mapping(("visits",), ("unit", "primary", "primary_month"))
    unit = n["unit"].word(SCHEDULE_UNITS) if "unit" in n else None
    clock = Clock(unit) if isinstance(unit, str) else MONTHS
    visits = []
    if "visits" in n and isinstance(n["visits"].node, yaml.MappingNode):
        for key, value in n["visits"].node.value:
            count = Node(value, node.file, f"schedule.visits.{key.value}").number()
            visits.append((str(key.value), clock.months(count)))
    elif "visits" in n:
        n["visits"].problem(f"must map each visit label to its {clock.unit} ('{clock.label(clock.months(6))}: 6')")
    if "primary" in n and "primary_month" in n:
        n["primary_month"].problem("give the primary visit once, as 'primary'")
    if "primary_month" in n and clock != MONTHS:
        n["primary_month"].problem(f"a schedule in {clock.unit}s names its primary visit with 'primary'")
    key = "primary" if "primary" in n else "primary_month"
    if key not in n:
        node.problem("the schedule needs its primary visit: 'primary: <the visit's number>'")
    return tuple(visits), clock.months(_get(n, key, Node.number, math.nan)), clock


def _check_references(protocol: Protocol, root: dict[str, Node]) -> None:
    """Names that must refer to something declared elsewhere in the file."""
    known = {*GENERIC_SCREENING, *(f.key for f in protocol.screening), *protocol.outcomes}
    rows = {"age", "sex", *(f.key for f in protocol.screening), *protocol.outcomes}
    for name, item in zip(protocol.table1, root["table1"].items() if "table1" in root else []):
        if name not in rows:
            item.problem(
                f"'{name}' is not a Table 1 row: age, sex, a screening field or an outcome{did_you_mean(name, sorted(rows))}"
            )
    kinds = {f.key: f.kind for f in protocol.screening}
    items = root["criteria"].items() if "criteria" in root else []
    for spec, item in zip(protocol.criteria, items):
        for name in (*spec.fields, *([spec.reference] if spec.reference else [])):
            if name not in known:
                item.problem(f"field '{name}' is not declared under screening or outcomes")
            elif spec.kind == "flags_absent" and kinds.get(name) not in ("yes_no", "test"):
                item.problem(f"field '{name}' of a flags_absent criterion must be a yes_no or test screening field")
    if not protocol.primary_outcomes and "outcomes" in root:
        root["outcomes"].problem("at least one outcome must be primary")
    months = dict(protocol.visits)
    clock = protocol.clock
    if "schedule" in root and math.isfinite(protocol.primary_month) and protocol.primary_month not in months.values():
        root["schedule"].problem(
            f"the primary visit ({clock.count(protocol.primary_month):g}) is not the {clock.unit} of a visit"
        )
    if "schedule" in root and months and min(months.values()) != 0:
        root["schedule"].problem(f"the schedule needs a baseline visit at {clock.unit} 0")
    for item, outcome in zip(root["outcomes"].items() if "outcomes" in root else [], protocol.outcomes.values()):
        if outcome.key in GENERIC_SCREENING or outcome.key in ("visit", "month", "day"):
            item.problem(f"'{outcome.key}' is a built-in field, not an outcome")
    for f, item in zip(protocol.screening, root["screening"].items() if "screening" in root else []):
        if f.outcome and f.outcome not in protocol.outcomes:
            item.problem(f"outcome '{f.outcome}' is not declared under outcomes")
        if f.key in GENERIC_SCREENING:
            item.problem(f"'{f.key}' is a built-in screening field")


def parse_protocol(text: str, name: str = "protocol", path: Path | None = None) -> Protocol:
    """The protocol in ``text`` (YAML). Raises ``ProtocolError`` naming the line of each problem."""
    file = YamlFile(name, ProtocolError, kind="protocol")
    root = Node(file.compose(text, "the file is empty"), file).mapping(
        (
            "id",
            "title",
            "site",
            "target_n",
            "schedule",
            "screening",
            "outcomes",
            "criteria",
            "enrolment_text",
            "primary_text",
        ),
        ("short_title", "phase", "design", "conventions", "text", "sample", "default", "table1", "intervention"),
    )
    outcomes = [_outcome(item) for item in root["outcomes"].items()] if "outcomes" in root else []
    by_key: dict[str, Outcome] = {}
    for item, outcome in zip(root["outcomes"].items() if "outcomes" in root else [], outcomes):
        if outcome.key in by_key:
            item.problem(f"outcome '{outcome.key}' is declared twice")
        by_key[outcome.key] = outcome
    visits, primary_month, clock = _schedule(root["schedule"]) if "schedule" in root else ((), math.nan, MONTHS)
    screening = tuple(_screening_field(i) for i in root["screening"].items()) if "screening" in root else ()
    kinds = GENERIC_KINDS | dict.fromkeys(by_key, "number") | {f.key: f.kind for f in screening}
    target = _get(root, "target_n", Node.number, 0.0)
    protocol = Protocol(
        id=_get(root, "id", Node.text, ""),
        title=_get(root, "title", Node.text, ""),
        short_title=_get(root, "short_title", Node.text, ""),
        site=_get(root, "site", Node.text, ""),
        phase=_get(root, "phase", Node.text, ""),
        design=_get(root, "design", Node.text, "single group"),
        target_n=int(target) if math.isfinite(target) else 0,
        visits=visits,
        primary_month=primary_month,
        clock=clock,
        screening=screening,
        outcomes=by_key,
        criteria=tuple(_criterion(i, kinds) for i in root["criteria"].items()) if "criteria" in root else (),
        conventions=_get(root, "conventions", Node.texts, ()),
        table1=_get(root, "table1", Node.texts, ()),
        intervention=_intervention(root["intervention"]) if "intervention" in root else None,
        enrolment_text=_get(root, "enrolment_text", Node.text, ""),
        primary_text=_get(root, "primary_text", Node.text, ""),
        text_file=_get(root, "text", Node.text, ""),
        sample_file=_get(root, "sample", Node.text, ""),
        default=_get(root, "default", Node.flag, False),
        path=path,
    )
    _check_references(protocol, root)
    for key, beside in (("sample", protocol.sample_file), ("text", protocol.text_file)):
        if beside and path is not None and not (path.parent / beside).is_file():  # an uploaded protocol has no folder
            root[key].problem(f"there is no file '{beside}' beside the protocol file")
    if file.problems:  # the references are checked last: listed by line, they read as the file does
        raise ProtocolError(name, sorted(file.problems, key=lambda p: p.line or 0))
    return protocol


def load_protocol(path: str | Path) -> Protocol:
    """The protocol in a YAML file (``ProtocolError`` names the file and line of each problem, also for a file that is
    not UTF-8 text or is larger than 1 MiB)."""
    path = Path(path)
    return parse_protocol(read_text(path, ProtocolError, "protocol"), path.name, path.resolve())


# --- the bundled protocols -----------------------------------------------------------------------------------------


def bundled_folder() -> Path:
    """The folder of the bundled protocol files (``medpath/protocols``)."""
    return Path(str(resources.files("medpath") / "protocols"))


@functools.cache
def bundled() -> dict[str, Protocol]:
    """The bundled protocols by id, the default first. A file there that cannot be used is left out, so that it
    cannot break the others; ``medpath.protocol_library`` lists it with its problems (as it does the files of a
    team's own folder, and ids or defaults given twice)."""
    found: dict[str, Protocol] = {}
    for path in sorted(bundled_folder().glob("*.yaml")):
        try:
            protocol = load_protocol(path)
        except (ProtocolError, OSError):
            continue
        found.setdefault(protocol.id, protocol)
    return dict(sorted(found.items(), key=lambda item: not item[1].default))


def default_protocol() -> Protocol:
    """The bundled protocol marked ``default: true``."""
    return next(iter(bundled().values()))


__all__ = [
    "Band",
    "Bands",
    "ColumnUnit",
    "CriterionSpec",
    "Decoration",
    "Intervention",
    "LeastSignificantChange",
    "Outcome",
    "Protocol",
    "ProtocolError",
    "Responder",
    "ScreeningField",
    "bundled",
    "bundled_folder",
    "default_protocol",
    "load_protocol",
    "parse_protocol",
]
