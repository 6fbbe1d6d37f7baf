"""When the study in use changes, which of the session's choices still fit it, which go back to their defaults,
and the one sentence that says what was reset.

The dashboard keeps a few choices per browser session (``pages.session.CHOICE_DEFAULTS``: the patients drawn, the
follow-up month compared with baseline, the test's direction and conventions, the responder thresholds, the least
significant change). They are made for one study. When another study takes its place (a new upload, another
protocol, back to the sample, a mapping profile that changes what is read), ``fit_choices`` decides, from what the
choices depend on in each study (``StudyFacts``):

- the **patient selection** goes back to the new study's default (every patient): a list of another study's patients
  would show none of the new one's, or only those whose ids happen to recur;
- the **follow-up month** stays when the new study has it, else goes back to the default (the protocol's primary
  month, or the last follow-up when the study lacks it);
- every **analysis setting** (direction tested, the rules for patients with no change, responder thresholds, least
  significant change) goes back to the protocol's default: a one-sided test chosen for one study must never carry
  over silently to another.

A study counts as the same when its content is (``study_fingerprint``: the protocol and every table read), so running
the same files again -- also under another name, or with a mapping profile that changes nothing read -- keeps every
choice. Pure: no Streamlit (``pages.session`` holds the session state and shows ``FittedChoices.notice``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from medpath.model import PROVENANCE, Study
from medpath.outcomes import followup_months
from medpath.schedule import MONTHS

#: The tables whose content makes a study (with its protocol), in the order they are hashed.
TABLES = ("screening", "visits", "adverse_events", "disposition")

#: Short words for the conventions' values in the notice (the pages' own labels are longer).
_ZERO_METHOD_WORDS = {"wilcox": "Wilcoxon's rule", "pratt": "Pratt's rule"}
_HL_ZEROS_WORDS = {"keep": "counted as a change of 0", "drop": "left out"}
#: The order the notice names the reset choices in (any other choice follows, by name).
_ORDER = ("patients", "followup", "alternative", "zero_method", "hl_zeros", "min_points", "min_percent", "lsc")


def _table_digest(frame: pd.DataFrame) -> bytes:
    """The content of one table: its column names and every value, row by row (the index and the provenance
    columns ``PROVENANCE`` -- file, sheet and Excel row of each row -- left out)."""
    frame = frame.drop(columns=[c for c in PROVENANCE if c in frame.columns])
    try:
        values = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # a cell pandas cannot hash (e.g. a list): hash every cell's text instead
        values = pd.util.hash_pandas_object(frame.astype(str), index=False)
    sha = hashlib.sha256(repr([str(c) for c in frame.columns]).encode("utf-8", "surrogatepass"))
    sha.update(values.to_numpy().tobytes())
    return sha.digest()


def study_fingerprint(study: Study) -> str:
    """A digest of what makes the study: its protocol's id and the content of every table read (``TABLES``). Equal
    for the same data read again (whatever the files' and sheets' names, the rows' places in them, the label or the
    findings); different when any value, row, column or the protocol differs."""
    sha = hashlib.sha256(b"protocol\0" + study.protocol.id.encode("utf-8", "surrogatepass"))
    for name in TABLES:
        frame = getattr(study, name)
        sha.update(b"\0" + name.encode() + b"\0")
        sha.update(b"none" if frame is None else _table_digest(frame))
    return sha.hexdigest()


@dataclass(frozen=True)
class StudyFacts:
    """What the choices depend on, of one study (kept in the session after the study itself is released)."""

    fingerprint: str
    patient_ids: tuple[str, ...]
    #: the follow-up months a primary outcome was measured at (what baseline can be compared with), in order
    months: tuple[float, ...]
    #: the protocol's primary month
    primary_month: float
    #: the name of each of ``months`` in the schedule's unit ("month 6", "week 24": ``Protocol.visit_label``)
    visit_names: tuple[str, ...] = ()

    def visit_name(self, month: float) -> str:
        """The name of a follow-up ``month`` of this study; a month it does not have, in months."""
        return dict(zip(self.months, self.visit_names)).get(month) or MONTHS.label(month)

    @classmethod
    def of(cls, study: Study) -> StudyFacts:
        months = followup_months(study.visits, study.protocol) if len(study.visits) else []
        return cls(
            fingerprint=study_fingerprint(study),
            patient_ids=tuple(study.patient_ids),
            months=tuple(months),
            primary_month=study.protocol.primary_month,
            visit_names=tuple(study.protocol.visit_label(m) for m in months),
        )

    @property
    def default_month(self) -> float | None:
        """The month compared when none is chosen (as ``pages.session.settings`` picks it): the protocol's primary
        month if measured, else the last follow-up; None when there is no follow-up."""
        if not self.months:
            return None
        return self.primary_month if self.primary_month in self.months else self.months[-1]


@dataclass(frozen=True)
class FittedChoices:
    """What ``fit_choices`` decided: the choices to drop (back to their defaults) and the notice, if any."""

    #: every choice to drop, also those whose value was already the default (dropped without a word)
    reset: tuple[str, ...] = ()
    #: what was reset, in words, one phrase per choice the user had changed ("the follow-up visit (month 12 → ...)")
    said: tuple[str, ...] = ()

    @property
    def notice(self) -> str | None:
        """The one-time notice: "A new study was loaded: the patient selection (...) and ... were reset."; None when
        nothing the user chose was reset."""
        if not self.said:
            return None
        listed = self.said[0] if len(self.said) == 1 else ", ".join(self.said[:-1]) + " and " + self.said[-1]
        verb = "was" if len(self.said) == 1 else "were"
        return f"A new study was loaded: {listed} {verb} reset to fit it."


def _count(n: int) -> str:
    return f"{n} patient" + ("" if n == 1 else "s")


def _patients_phrase(value: object, before: StudyFacts, after: StudyFacts) -> str | None:
    """The reset selection in words; None when it already showed every patient of the previous study (no choice)."""
    chosen = set(value) if isinstance(value, list | tuple) else set(before.patient_ids)
    shown = [p for p in before.patient_ids if p in chosen]
    if len(shown) == len(before.patient_ids):
        return None
    now = f"all {len(after.patient_ids)}" if after.patient_ids else "none: this study has no patients"
    return f"the patient selection ({len(shown)} of {_count(len(before.patient_ids))} → {now})"


def _side(value: object) -> str:
    return "two-sided" if value == "two-sided" else "one-sided"


def _phrase(name: str, value: object, default: object) -> str:
    """A reset analysis setting in words (value: what was chosen; default: what it goes back to)."""
    if name == "alternative":
        if _side(value) == _side(default):  # e.g. "increase only" -> the protocol's direction: both one-sided
            return f"the test direction ({value} → {default})"
        return f"the test direction ({_side(value)} → {_side(default)})"
    if name in ("zero_method", "hl_zeros"):
        words = _ZERO_METHOD_WORDS if name == "zero_method" else _HL_ZEROS_WORDS
        what = (
            "the test's rule for patients with no change"
            if name == "zero_method"
            else "the median change's rule for patients with no change"
        )
        return f"{what} ({words.get(str(value), value)} → {words.get(str(default), default)})"
    if name in ("min_points", "min_percent"):
        return "the responder thresholds (back to the protocol's)"
    if name == "lsc":
        shown = f"{value:g}" if isinstance(value, int | float) else str(value)
        return f"the least significant change ({shown} → the protocol's)"
    return f"the {name.replace('_', ' ')} (back to its default)"


def fit_choices(
    kept: Mapping[str, object], defaults: Mapping[str, object], before: StudyFacts | None, after: StudyFacts
) -> FittedChoices:
    """Which of the ``kept`` choices (name -> value; a choice not in it is at its default) to reset now that the
    study ``after`` replaces ``before`` (None: no study before, as on a session's first run), and the notice's
    phrases. ``defaults``: each choice's default (``pages.session.CHOICE_DEFAULTS``; None = the protocol's).

    Nothing is reset when the study is the same (same fingerprint). Otherwise: the patient selection and every
    analysis setting go back to their defaults, the follow-up month only when the new study lacks it (module
    docstring). A choice whose value was the default anyway is reset without a word, and so is a patient selection
    that showed every patient."""
    if before is None or before.fingerprint == after.fingerprint:
        return FittedChoices()
    reset: list[str] = []
    said: dict[str, str] = {}  # one phrase per choice (the two responder thresholds share theirs)
    for name in sorted(kept, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n)):
        value, default = kept[name], defaults.get(name)
        phrase: str | None
        if name == "patients":
            phrase = _patients_phrase(value, before, after) if value is not None else None
        elif name == "followup":
            if value is None or value in after.months:
                continue  # the protocol's month follows the new protocol; a month the new study has still fits
            new = after.default_month
            old = (before.visit_name(float(value))) if isinstance(value, int | float) else str(value)
            phrase = f"the follow-up visit ({old} → " + (
                f"{after.visit_name(new)})" if new is not None else "none: this study has no follow-up visit)"
            )
        else:
            phrase = None if value == default or value is None else _phrase(name, value, default)
        reset.append(name)
        if phrase is not None and phrase not in said.values():
            said[name] = phrase
    return FittedChoices(reset=tuple(reset), said=tuple(said.values()))
