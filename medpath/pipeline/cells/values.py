"""Reading one spreadsheet cell as a typed value, the way the study team writes it.

Every parser takes the raw cell (str, int, float, bool, date/datetime or None as the readers return
it) and returns the typed value, ``None`` for missing, or raises ``BadValue`` with a plain-language
reason. Missing spellings: blank, "NA", "N/A", "n/a", "-", ".", "none", "null", "missing".
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np

from medpath.protocol import ColumnUnit, Decoration
from medpath.schedule import DAYS_PER_MONTH, MONTHS, UNIT_DAYS, Clock

MISSING = frozenset({"", "na", "n/a", "#n/a", "nan", "-", "--", ".", "none", "null", "missing", "nd"})

#: Dashes a team types for "nothing here". In a number column they mean missing, as "-" always did; in a yes/no,
#: test or consent column they are ambiguous ("no"? "not tested"?) and read as unknown with a warning.
DASHES = frozenset({"-", "--", "\u2013", "\u2014", "\u2012", "\u2015"})


class BadValue(ValueError):
    """A cell whose content cannot be read as the column's type; the message says why."""


#: What a reader returns: (typed value or None, note). The note is None for a plain value and otherwise a short
#: explanation of how an unusual spelling was read (a warning); it never holds the cell's own number, so the same
#: spelling in many cells gives the same note and one grouped finding.
Reading = tuple[Any, "str | None"]
_NOTHING: Reading = (None, None)

#: How many distinct texts each reader remembers (a sheet repeats the same few spellings).
_CACHE_SIZE = 50_000


def is_missing(raw: object) -> bool:
    if raw is None:
        return True
    kind = type(raw)  # fast paths for the types the readers return most (same results as below)
    if kind is float:
        return raw != raw
    if kind is int:
        return False
    if kind is str:
        return cast(str, raw).strip().lower() in MISSING
    if isinstance(raw, float):
        return math.isnan(raw)
    return isinstance(raw, str) and raw.strip().lower() in MISSING


class _TextCache:
    """A text parser returning (value, note, error), with a cache: each distinct text is parsed once."""

    def __init__(self, parse: Callable[[str], tuple[Any, str | None, str | None]]) -> None:
        self.parse = parse
        self.cache: dict[str, tuple[Any, str | None, str | None]] = {}

    def __call__(self, text: str) -> Reading:
        hit = self.cache.get(text)
        if hit is None:
            if len(self.cache) >= _CACHE_SIZE:
                self.cache.clear()
            hit = self.cache[text] = self.parse(text)
        if hit[2] is not None:
            raise BadValue(hit[2])
        return hit[0], hit[1]


_cached = _TextCache


# --- numbers ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


#: Marks a reading whose unit was converted (a decoration with a factor, e.g. "65 mm"; ``converts_unit``).
_CONVERTED = "converted:"


_DECORATED = re.compile(
    r"^(?P<before>[^\d.,+\-\u2212\u2013]*?)\s*(?P<number>[+\-\u2212\u2013]?\s*(\d+([.,]\d*)?|[.,]\d+))"
    r"\s*(?P<after>.*?)$"
)
_DECORATION_SIGN = re.compile(r"[^\W\d_]|[/()%\u00b0\u2013]")  # a letter, '/', '(', '%', '°' or an en dash
_COMMENT = re.compile(r"^(?P<rest>.*?)\s*\((?P<comment>[^()\d]*[^\W\d_][^()\d]*)\)$")


def _plain_number(text: str) -> float:
    """A bare number in text: comma decimals, the Unicode minus sign; raises BadValue otherwise."""
    text = text.replace("\u2212", "-").replace(" ", "")
    if not _NUMBER.match(text):
        raise BadValue("expected a number")
    if "," in text and "." in text:
        raise BadValue("expected a number; it has both ',' and '.'")
    value = float(text.replace(",", "."))
    if math.isinf(value):  # e.g. "1e999"
        raise BadValue("expected a finite number")
    return value


def _number_text(allowed: tuple[Decoration, ...], comments: bool, text: str) -> tuple[object, str | None, str | None]:
    """(value, note, error) of a number written as text, with the decorations ``allowed`` (a field's, from its
    ``medpath.pipeline.map.schema.Schema``); ``comments``: a parenthesised word after the number is a comment."""
    stripped = text.strip()
    if stripped.lower() in MISSING or stripped in DASHES:
        return None, None, None
    try:
        return _plain_number(stripped), None, None
    except BadValue as exc:
        plain_error = str(exc)
    match = _DECORATED.match(stripped) if _DECORATION_SIGN.search(stripped) else None
    if match is None or (not allowed and not comments and "\u2013" not in stripped):
        return None, None, plain_error
    before, number, after = match.group("before").strip(), match.group("number"), match.group("after").strip()
    notes, factor, offset = [], 1.0, 0.0
    if after and comments and (comment := _COMMENT.match(after)):
        notes.append(f"the comment '({comment.group('comment').strip()})' is ignored")
        after = comment.group("rest").strip()
    for where, written in (("before", before), ("after", after)):
        if not written:
            continue
        key = written.lower().replace(" ", "")
        decoration = next((d for d in allowed if d.where == where and d.text == key), None)
        if decoration is None:
            return (
                None,
                None,
                plain_error
                + (f" (the text '{written}' {where} it is not a unit MedPath knows here)" if allowed else ""),
            )
        factor *= decoration.factor
        offset += decoration.offset
        notes.append(
            f"'{written}' {where} the number is "
            + (f"read as {decoration.meaning}" if decoration.meaning else "ignored")
        )
    if number.lstrip().startswith("\u2013"):
        notes.append("the dash '\u2013' is read as a minus sign")
        number = "-" + number.lstrip()[1:]
    try:
        value = _plain_number(number.replace(" ", "")) * factor + offset
    except BadValue as exc:
        return None, None, str(exc)
    return (round(value, 10) if (factor, offset) != (1.0, 0.0) else value), "; ".join(notes) or None, None


#: Every reader made by ``number_reader`` (``is_number_reader``: validation's column-wise fast path for cells that
#: are all floats, ints or empty).
_NUMBER_READERS: set[Callable[[object], Reading]] = set()


def is_number_reader(read: Callable[[object], Reading]) -> bool:
    """Whether ``read`` is a reader of numbers (``number_reader``): a float cell reads as itself (``None`` for NaN,
    an error for an infinity), an int as ``float(cell)``, an empty cell as ``None``, each without a note."""
    return read in _NUMBER_READERS


@functools.cache
def number_reader(decorations: tuple[Decoration, ...] = (), comments: bool = False) -> Callable[[object], Reading]:
    """A reader of numbers with the ``decorations`` of a field (none: bare numbers only; a field's own come from
    ``medpath.pipeline.map.schema.Schema.number_reader``); ``comments``: a parenthesised word after the number is a comment.

    Accepts comma decimals ("-2,7") and the Unicode minus sign ("−2.7") silently; decorated numbers ("-3,1 SD",
    "62 th", "VAS 6", "7/10", "8 (berat)", "65 mm") are read with a note. A date or time is an error that says what
    Excel probably did to the cell."""
    read_text = _cached(functools.partial(_number_text, decorations, comments))
    cache = read_text.cache

    def read(raw: Any) -> Reading:
        kind = type(raw)  # fast paths for plain floats and ints
        if kind is float:
            if raw != raw:
                return _NOTHING
            if raw in (math.inf, -math.inf):
                raise BadValue("expected a finite number")
            return raw, None
        if kind is int:
            return float(raw), None
        if raw is None:
            return _NOTHING
        if kind is str:
            hit = cache.get(raw)
            if hit is not None and hit[2] is None:
                return hit[0], hit[1]
            return read_text(raw)
        if isinstance(raw, bool):
            raise BadValue("expected a number, found TRUE/FALSE")
        if isinstance(raw, (int, float)):
            if math.isnan(raw):
                return _NOTHING
            if math.isinf(raw):
                raise BadValue("expected a finite number")
            return float(raw), None
        if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
            raise BadValue(date_message(raw))
        return read_text(str(raw))

    _NUMBER_READERS.add(read)
    return read


def date_message(raw: object) -> str:
    """Why a date in a number column is refused, naming the fraction Excel probably turned into it."""
    if isinstance(raw, dt.date):
        typed = f"'{raw.day}/{raw.month}' or '{raw.month}/{raw.day}'"
        return (
            f"expected a number, found a date ({raw:%d %b %Y}): Excel turns a typed {typed} into a date. "
            "Type the plain number (e.g. 6 for '6/10') or format the cell as Text"
        )
    return "expected a number, found a date or time (Excel may have re-formatted the cell); type the plain number"


def parse_number(raw: object) -> float | None:
    """A bare number; accepts comma decimals ("-2,7") and the Unicode minus sign ("−2.7")."""
    return number_reader()(raw)[0]


# --- words: yes/no, test results, consent -------------------------------------------------------


def word_key(text: str) -> str:
    """The comparison key of a word cell: lower case without spaces, hyphens, underscores or dots
    ("Non-Reaktif", "non reaktif" -> "nonreaktif"); punctuation-only text stays itself ("+", "(-)")."""
    key = re.sub(r"[\s\-_.]+", "", text.strip().lower())
    return key or text.strip()


def _words(table: dict[object, tuple[str, ...]], note: str | None = None) -> dict[str, tuple[object, str | None]]:
    return {word_key(w): (value, note) for value, words in table.items() for w in words}


_DASH_NOTE = (
    "'-' is not an answer and is read as unknown. If it means 'no' or 'negative', write that; "
    "if it was not asked or not tested, leave the cell empty"
)

#: Yes/no cells (history, enrolled): spelling (``word_key``) -> (value, note). The documented spellings need no note.
YES_NO_WORDS: dict[str, tuple[object, str | None]] = {
    **_words(
        {
            True: ("yes", "y", "true", "1", "ya", "iya", "positive", "pos", "positif", "+", "x"),
            False: ("no", "n", "false", "0", "tidak", "tdk", "negative", "neg", "negatif"),
        }
    ),
    **_words(
        {True: ("ada",), False: ("tidak ada", "tdk ada", "nihil")}, "Indonesian 'ada' / 'tidak ada' (present / absent)"
    ),
    **_words(
        {True: ("reaktif", "reactive"), False: ("non reaktif", "non reactive", "nonreaktif")},
        "a laboratory word (reactive = positive)",
    ),
}
#: Infection-test cells: the yes/no spellings plus laboratory words (True = positive).
TEST_WORDS: dict[str, tuple[object, str | None]] = {
    **YES_NO_WORDS,
    **_words(
        {
            True: ("reaktif", "reactive", "(+)", "terdeteksi", "detected"),
            False: (
                "non reaktif",
                "non reactive",
                "nonreaktif",
                "(-)",
                "tidak terdeteksi",
                "not detected",
                "undetected",
            ),
        },
        "a laboratory word (reactive / detected = positive)",
    ),
    "nr": (False, "NR is read as non-reactive; if it means 'not recorded' here, clear these cells"),
}
#: Consent cells: spelling -> ("signed" / "declined" / "pending", note).
CONSENT_WORDS: dict[str, tuple[object, str | None]] = {
    **_words(
        {
            "signed": ("signed", "agreed"),
            "declined": ("declined", "refused"),
            "pending": ("pending", "not yet", "waiting"),
        }
    ),
    **_words(
        {"signed": ("yes", "y", "ya", "true", "1"), "declined": ("no", "n", "tidak", "false", "0")},
        "a yes/no answer in the consent column (yes = signed, no = declined)",
    ),
    **_words(
        {
            "signed": ("sudah ttd", "ttd", "sudah", "setuju", "bersedia", "sudah tanda tangan", "tanda tangan"),
            "declined": ("menolak", "tolak", "ditolak", "tidak setuju", "tidak bersedia"),
            "pending": ("belum", "belum ttd", "belum tanda tangan"),
        },
        "Indonesian consent wording (TTD = tanda tangan, signed; setuju = agreed; menolak = declined; belum = not yet)",
    ),
}

_WORD_HINTS = {
    "yes_no": "yes/no (yes, no, y, n, true, false, 1, 0, ya, tidak, positive, negative)",
    "test": "a test result (positive, negative, reaktif, non-reaktif, NR, +, -)",
    "consent": "consent signed, declined or pending (or TTD, setuju, menolak, belum)",
}


def _word_text(
    words: Mapping[str, tuple[object, str | None]], hint: str, text: str
) -> tuple[object, str | None, str | None]:
    stripped = text.strip()
    if stripped in DASHES:
        return None, _DASH_NOTE, None
    if stripped.lower() in MISSING:
        return None, None, None
    hit = words.get(word_key(stripped))
    if hit is None:
        return None, None, "expected " + hint
    return hit[0], hit[1], None


@functools.cache
def word_reader(kind: Literal["yes_no", "test", "consent"]) -> Callable[[object], Reading]:
    """A reader of yes/no, infection-test or consent cells, with the word lists above (each text parsed once)."""
    words = {"yes_no": YES_NO_WORDS, "test": TEST_WORDS, "consent": CONSENT_WORDS}[kind]
    read_text = _cached(functools.partial(_word_text, words, _WORD_HINTS[kind]))
    as_bool = kind != "consent"

    cache = read_text.cache

    def read(raw: Any) -> Reading:
        if raw is None:
            return _NOTHING
        kind_ = type(raw)
        if kind_ is str:
            hit = cache.get(raw)  # inlined cache hit (the common case), same result as read_text(raw)
            if hit is not None and hit[2] is None:
                return hit[0], hit[1]
            return read_text(raw)
        if kind_ is bool:
            return (raw, None) if as_bool else read_text("true" if raw else "false")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            if raw != raw:
                return _NOTHING
            if raw in (0, 1):
                return read_text(str(int(raw)))
        return read_text(str(raw))

    return read


@functools.cache
def yes_no_number_reader() -> Callable[[object], Reading]:
    """A reader of a yes/no outcome (remission): the yes/no words of ``word_reader``, as 1.0 (yes) and 0.0 (no), so
    that the outcome is a column of numbers like any other (its pairs, its changes of −1, 0 and +1)."""
    read = word_reader("yes_no")

    def read_number(raw: Any) -> Reading:
        value, note = read(raw)
        return (None if value is None else float(bool(value))), note

    return read_number


@functools.cache
def level_reader(levels: tuple[str, ...]) -> Callable[[object], Reading]:
    """A reader of an ordinal outcome (``Outcome.levels``, lowest first): a level as written (case, spaces, hyphens
    and dots ignored, ``word_key``) read as its place 0.0, 1.0, …, so that the outcome is a column of numbers like any
    other (its pairs, its changes in levels); any other text is an error naming the levels. A level is read before the
    words for a missing value, so that a level named "none" is a level."""
    words = {word_key(level): (float(place), None) for place, level in enumerate(levels)}
    read_text = _cached(functools.partial(_word_text, words, "one of " + ", ".join(levels)))

    def read(raw: Any) -> Reading:
        if isinstance(raw, str) and (hit := words.get(word_key(raw))) is not None:
            return hit
        return _NOTHING if is_missing(raw) else read_text(str(raw))

    return read


def parse_yes_no(raw: object) -> bool | None:
    """yes/no, y/n, true/false, 1/0, ya/tidak, positive/negative (and Indonesian positif/negatif)."""
    return word_reader("yes_no")(raw)[0]


def parse_test(raw: object) -> bool | None:
    """An infection test: True = positive; the yes/no spellings and laboratory words ("Reaktif", "NR")."""
    return word_reader("test")(raw)[0]


_SEX = {
    "m": "M",
    "male": "M",
    "man": "M",
    "l": "M",
    "laki-laki": "M",
    "laki laki": "M",
    "lakilaki": "M",
    "pria": "M",
    "f": "F",
    "female": "F",
    "woman": "F",
    "p": "F",
    "perempuan": "F",
    "wanita": "F",
    "w": "F",
}


def parse_sex(raw: object) -> str | None:
    """ "M" or "F" from M/F, male/female, or L/P (laki-laki/perempuan) as in Indonesian records."""
    if is_missing(raw):
        return None
    try:
        return _SEX[str(raw).strip().lower()]
    except KeyError:
        raise BadValue("expected sex M/F (male/female, or L/P: laki-laki/perempuan)") from None


def parse_consent(raw: object) -> str | None:
    """ "signed", "declined" or "pending" (yes/no spellings map to signed/declined)."""
    return word_reader("consent")(raw)[0]


def plain_reader(parse: Callable[[object], object]) -> Callable[[object], Reading]:
    """A reader from a plain parser (value or BadValue), without notes."""

    def read(raw: Any) -> Reading:
        return parse(raw), None

    return read


_WHOLE_NUMBER_TEXT = re.compile(r"^\d+\.0+$")


def parse_patient_id(raw: object) -> str | None:
    """A patient id as text; whole numbers lose the ".0" that Excel or a float-written CSV adds
    (1.0 and "1.0" -> "1"), so the same patient matches across sheets and files."""
    if is_missing(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, (dt.date, dt.time)):
        raise BadValue("expected a patient id, found a date (Excel may have re-formatted the cell)")
    text = str(raw).strip()
    return text.split(".", 1)[0] if _WHOLE_NUMBER_TEXT.match(text) else text


def _id_text(text: str) -> tuple[object, str | None, str | None]:
    try:
        return parse_patient_id(text), None, None
    except BadValue as exc:
        return None, None, str(exc)


def _id_reader() -> Callable[[object], Reading]:
    read_text = _cached(_id_text)
    cache = read_text.cache

    def read(raw: Any) -> Reading:
        if type(raw) is str:
            hit = cache.get(raw)
            if hit is not None and hit[2] is None:
                return hit[0], hit[1]
            return read_text(raw)
        return parse_patient_id(raw), None

    return read


#: A reader of patient ids (``parse_patient_id``; each distinct text parsed once).
read_patient_id = _id_reader()


def read_as_is(raw: object) -> Reading:
    """The cell itself (visit labels are placed later, by ``parse_visit_label``)."""
    return raw, None


# --- visit labels -------------------------------------------------------------------------------

#: the words of a visit label's unit -> the unit (``medpath.schedule.UNIT_DAYS``)
_UNITS = {
    "month": "month",
    "bulan": "month",
    "bln": "month",
    "m": "month",
    "mo": "month",
    "week": "week",
    "minggu": "week",
    "w": "week",
    "wk": "week",
    "day": "day",
    "hari": "day",
    "d": "day",
}
_BASELINE = frozenset(
    {
        "baseline",
        "bl",
        "base",
        "pre",
        "pretreatment",
        "preimplantation",
        "m0",
        "month0",
        "week0",
        "day0",
        "visit0",
        "awal",
        "0",
    }
)
_LABEL = re.compile(r"^(?P<unit>[a-z]+?)s?(?P<n>\d+(\.\d+)?)$|^(?P<n2>\d+(\.\d+)?)(?P<unit2>[a-z]+?)s?$")


def parse_visit_label(raw: object, clock: Clock = MONTHS) -> tuple[str, float] | None:
    """A visit label as (canonical label, nominal months since baseline), or ``None`` if unrecognised
    (see ``_parse_visit_label``; results are cached, as a sheet repeats the same few labels). ``clock``: the unit of
    the protocol's schedule (``Protocol.clock``), which names and places the visit."""
    try:
        return _parse_visit_label(raw, clock)
    except TypeError:  # an unhashable cell value
        return _parse_visit_label.__wrapped__(raw, clock)


@functools.lru_cache(maxsize=4096, typed=True)
def _parse_visit_label(raw: object, clock: Clock) -> tuple[str, float] | None:
    """A visit label as (canonical label, nominal months since baseline), or ``None`` if unrecognised.

    A label in the unit of the schedule's ``clock`` is exact ("week 24" of a weeks schedule); one in another unit is
    placed as ``Clock.place_days`` places a day offset: under a months schedule from day 15 on at the nearest whole
    month ("day 180" and "week 26" are "month 6"), before that at the exact fraction ("week 2")."""
    parts = label_parts(raw)
    if parts is None:
        return None
    unit, number = parts
    if number == 0:
        return "baseline", 0.0
    if unit == clock.unit:
        months = clock.months(number)
        return clock.label(months), months
    days = number * UNIT_DAYS[unit]
    months = clock.place_days(days)
    shown = int(number) if number.is_integer() else number
    return (f"{unit} {shown}" if days < clock.snaps_from else clock.label(months)), months


@functools.lru_cache(maxsize=4096, typed=True)
def _label_parts(raw: object) -> tuple[str, float] | None:
    if is_missing(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return ("month", 0.0) if raw == 0 else None
    text = str(raw).strip().lower()
    text = re.sub(r"[_\s]*arm[_\s]*\d+$", "", text)
    key = re.sub(r"[^0-9a-z.]", "", re.sub(r"follow[\s_-]*up|visit|kunjungan|\bke\b", "", text))
    if key in _BASELINE or "baseline" in key:
        return "month", 0.0
    match = _LABEL.match(key)
    if not match:
        return None
    unit = _UNITS.get(match.group("unit") or match.group("unit2"))
    return None if unit is None else (unit, float(match.group("n") or match.group("n2")))


def label_parts(raw: object) -> tuple[str, float] | None:
    """A visit label as written: (its unit, "month", "week" or "day"; its number), baseline as (month, 0), or None.

    Understands "baseline", "Month 6", "M6", "6 months", "week 2", "day 14", "bulan 6" and REDCap event names such
    as "month_6_arm_1" or "6_month_followup_arm_1". A bare number is not a label (is it a visit number or a
    month?), except 0, read as baseline like the text "0"."""
    try:
        return _label_parts(raw)
    except TypeError:  # an unhashable cell value
        return _label_parts.__wrapped__(raw)


def label_months(raw: object) -> float | None:
    """A visit label's time in nominal months exactly as written, not placed at any schedule's visit ("week 12" is
    84 days = 2.76 months; "month 3" is 3), or None if it is no label (an adverse event's onset is a time, not a
    visit)."""
    parts = label_parts(raw)
    return None if parts is None else parts[1] * UNIT_DAYS[parts[0]] / DAYS_PER_MONTH


# --- dates ---------------------------------------------------------------------------------------

_DATE_TEXT = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO_TEXT = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


def parse_date(raw: object) -> dt.date | None:
    """A visit date: an Excel date, "DD/MM/YYYY" (or with - or .), "YYYY-MM-DD", or an Excel serial
    number; ``None`` when it is none of these."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 20000 <= raw <= 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(raw))
    if isinstance(raw, str):
        try:
            match = _DATE_TEXT.match(raw)
            if match:
                return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            match = _ISO_TEXT.match(raw)
            if match:
                return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    return None


def read_date(raw: object) -> dt.date | None:
    """A date (an Excel date, DD/MM/YYYY, YYYY-MM-DD)."""
    if is_missing(raw):
        return None
    date = parse_date(raw)
    if date is None:
        raise BadValue("expected a date such as 15/01/2026")
    return date


# --- units of a whole column --------------------------------------------------------------------


def column_unit(rule: ColumnUnit | None, values: Sequence[float] | np.ndarray) -> ColumnUnit | None:
    """The unit ``rule`` of one field (``Outcome.column_unit``) if all its values together (all its columns in one
    table) satisfy it: every value at most ``all_at_most``, more than ``majority_above`` of them above ``above``, and
    at least ``min_above`` are. A 0–100 mm VAS has most values above 10, while a typo such as 11 in a 0–10 column
    (or two values, one of them 11) does not make the column millimetres: it stays an error."""
    numbers = np.asarray(values, dtype="float64")
    if rule is None or not len(numbers):
        return None
    above = int((numbers > rule.above).sum())
    if (
        above >= rule.min_above
        and above > rule.majority_above * len(numbers)
        and bool((numbers <= rule.all_at_most).all())
    ):
        return rule
    return None


def converts_unit(note: str | None) -> bool:
    """Whether a reading's note says a cell's own unit was converted (e.g. "65 mm")."""
    return note is not None and _CONVERTED in note
