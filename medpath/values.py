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

MISSING = frozenset({"", "na", "n/a", "#n/a", "nan", "-", "--", ".", "none", "null", "missing", "nd"})


class BadValue(ValueError):
    """A cell whose content cannot be read as the column's type; the message says why."""


def is_missing(raw: object) -> bool:
    if raw is None:
        return True
    kind = type(raw)  # fast paths for the types the readers return most (same results as below)
    if kind is float:
        return raw != raw
    if kind is int:
        return False
    if kind is str:
        return raw.strip().lower() in MISSING
    if isinstance(raw, float):
        return math.isnan(raw)
    return isinstance(raw, str) and raw.strip().lower() in MISSING


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def parse_number(raw: object) -> float | None:
    """A number; accepts comma decimals ("-2,7") and the Unicode minus sign ("−2.7")."""
    kind = type(raw)  # fast paths for plain floats and ints (same results as the general path)
    if kind is float:
        if raw != raw:
            return None
        if raw in (math.inf, -math.inf):
            raise BadValue("expected a finite number")
        return raw
    if kind is int:
        return float(raw)
    if is_missing(raw):
        return None
    if isinstance(raw, bool):
        raise BadValue("expected a number, found TRUE/FALSE")
    if isinstance(raw, (int, float)):
        if math.isinf(raw):
            raise BadValue("expected a finite number")
        return float(raw)
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        raise BadValue("expected a number, found a date or time (Excel may have re-formatted the cell)")
    text = str(raw).strip().replace("\u2212", "-").replace(" ", "")
    if not _NUMBER.match(text):
        raise BadValue("expected a number")
    if "," in text and "." in text:
        raise BadValue("expected a number; it has both ',' and '.'")
    value = float(text.replace(",", "."))
    if math.isinf(value):  # e.g. "1e999"
        raise BadValue("expected a finite number")
    return value


_YES = frozenset({"yes", "y", "true", "1", "ya", "iya", "positive", "pos", "+", "reactive", "reaktif", "x"})
_NO = frozenset({"no", "n", "false", "0", "tidak", "tdk", "negative", "neg", "nonreactive", "non-reactive",
                 "non reactive", "negatif", "nonreaktif", "non-reaktif"})


def parse_yes_no(raw: object) -> bool | None:
    """yes/no, y/n, true/false, 1/0, ya/tidak, positive/negative (and Indonesian positif/negatif)."""
    if is_missing(raw):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in _YES or text == "positif":
        return True
    if text in _NO:
        return False
    raise BadValue("expected yes/no (yes, no, y, n, true, false, 1, 0, ya, tidak, positive, negative)")


_SEX = {"m": "M", "male": "M", "man": "M", "l": "M", "laki-laki": "M", "laki laki": "M", "lakilaki": "M",
        "pria": "M", "f": "F", "female": "F", "woman": "F", "p": "F", "perempuan": "F", "wanita": "F",
        "w": "F"}


def parse_sex(raw: object) -> str | None:
    """"M" or "F" from M/F, male/female, or L/P (laki-laki/perempuan) as in Indonesian records."""
    if is_missing(raw):
        return None
    try:
        return _SEX[str(raw).strip().lower()]
    except KeyError:
        raise BadValue("expected sex M/F (male/female, or L/P: laki-laki/perempuan)") from None


_CONSENT = {"signed": "signed", "yes": "signed", "y": "signed", "ya": "signed", "agreed": "signed",
            "true": "signed", "1": "signed", "declined": "declined", "refused": "declined", "no": "declined",
            "n": "declined", "tidak": "declined", "menolak": "declined", "false": "declined", "0": "declined",
            "pending": "pending", "not yet": "pending", "waiting": "pending", "belum": "pending"}


def parse_consent(raw: object) -> str | None:
    """"signed", "declined" or "pending" (yes/no spellings map to signed/declined)."""
    if is_missing(raw):
        return None
    key = str(int(raw)) if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw in (0, 1) else str(raw)
    try:
        return _CONSENT[key.strip().lower()]
    except KeyError:
        raise BadValue("expected consent signed, declined or pending") from None


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


# --- visit labels -------------------------------------------------------------------------------

DAYS_PER_MONTH = 365.25 / 12
_UNITS = {"month": 1.0, "bulan": 1.0, "m": 1.0, "mo": 1.0, "week": 7 / DAYS_PER_MONTH, "minggu": 7 / DAYS_PER_MONTH,
          "w": 7 / DAYS_PER_MONTH, "wk": 7 / DAYS_PER_MONTH, "day": 1 / DAYS_PER_MONTH, "hari": 1 / DAYS_PER_MONTH,
          "d": 1 / DAYS_PER_MONTH}
_UNIT_NAMES = {1.0: "month", 7 / DAYS_PER_MONTH: "week", 1 / DAYS_PER_MONTH: "day"}
_BASELINE = frozenset({"baseline", "bl", "base", "pre", "pretreatment", "preimplantation", "m0", "month0",
                       "week0", "day0", "visit0", "awal", "0"})
_LABEL = re.compile(r"^(?P<unit>[a-z]+?)s?(?P<n>\d+(\.\d+)?)$|^(?P<n2>\d+(\.\d+)?)(?P<unit2>[a-z]+?)s?$")


def parse_visit_label(raw: object) -> tuple[str, float] | None:
    """A visit label as (canonical label, nominal months since baseline), or ``None`` if unrecognised
    (see ``_parse_visit_label``; results are cached, as a sheet repeats the same few labels)."""
    try:
        return _parse_visit_label(raw)
    except TypeError:  # an unhashable cell value
        return _parse_visit_label.__wrapped__(raw)


@functools.lru_cache(maxsize=4096, typed=True)
def _parse_visit_label(raw: object) -> tuple[str, float] | None:
    """A visit label as (canonical label, nominal months since baseline), or ``None`` if unrecognised.

    Understands "baseline", "Month 6", "M6", "6 months", "week 2", "day 14", "bulan 6" and REDCap
    event names such as "month_6_arm_1" or "6_month_followup_arm_1". Days and weeks are placed as
    ``month_from_day`` places a day offset: from day 15 on at the nearest whole month ("day 180" and
    "week 26" are "month 6"), before that at the exact fraction ("week 2"). A bare number is not a
    label (is it a visit number or a month?), except 0, read as baseline like the text "0".
    """
    if is_missing(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return ("baseline", 0.0) if raw == 0 else None
    text = str(raw).strip().lower()
    text = re.sub(r"[_\s]*arm[_\s]*\d+$", "", text)
    key = re.sub(r"[^0-9a-z.]", "", re.sub(r"follow[\s_-]*up|visit|kunjungan|\bke\b", "", text))
    if key in _BASELINE or "baseline" in key:
        return "baseline", 0.0
    match = _LABEL.match(key)
    if not match:
        return None
    unit = match.group("unit") or match.group("unit2")
    number = float(match.group("n") or match.group("n2"))
    if unit not in _UNITS:
        return None
    name = _UNIT_NAMES[_UNITS[unit]]
    if number == 0:
        return "baseline", 0.0
    if name == "month":
        return month_label(number), number
    days = number * _UNITS[unit] * DAYS_PER_MONTH
    months = month_from_day(days)
    shown = int(number) if number.is_integer() else number
    return (f"{name} {shown}" if days < 15 else month_label(months)), months


def month_label(month: float) -> str:
    """The canonical label of a visit known only by its month offset."""
    if month == 0:
        return "baseline"
    return f"month {int(month) if float(month).is_integer() else round(month, 2)}"


def month_from_day(day: float) -> float:
    """Nominal month of a visit known by its day offset: the nearest whole month from day 15 on
    (visit windows around a scheduled month), otherwise the exact fraction (two decimals)."""
    months = day / DAYS_PER_MONTH
    return float(max(1, math.floor(months + 0.5))) if day >= 15 else round(months, 2)
