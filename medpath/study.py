"""Assemble one validated ``Study`` from the uploaded files (the single entry point of the core).

``load_study([(name, bytes), ...])`` reads every table, validates it, checks the tables against each
other (duplicate patients and visits, visits of unscreened patients) and returns the canonical model.
It never raises for a bad file: every problem becomes a ``Finding``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources

import pandas as pd

from medpath.model import PROVENANCE, SCREENING_COLUMNS, VISIT_COLUMNS, Finding, SourceFile, Study
from medpath.reading import ReadError, read_tables
from medpath.validation import Parsed, parse_table

#: The bundled synthetic study and template.xlsx: package data (medpath/sample; data/sample links to it).
SAMPLE_DIR = resources.files("medpath") / "sample"
SAMPLE_WORKBOOK = SAMPLE_DIR / "medpath_sample_study.xlsx"
SAMPLE_LABEL = "Synthetic sample study (not real patients)"


def source_file(name: str, data: bytes) -> SourceFile:
    return SourceFile(name, len(data), hashlib.sha256(data).hexdigest())


@cache
def _sample_hashes() -> frozenset[str]:
    """SHA-256 of the bundled synthetic files, so that they are labelled synthetic however they arrive."""
    return frozenset(hashlib.sha256(p.read_bytes()).hexdigest()
                     for p in SAMPLE_DIR.iterdir() if p.name.startswith("medpath_sample_"))


def load_study(files: Sequence[tuple[str, bytes]], *, label: str | None = None, synthetic: bool = False) -> Study:
    """Validate the uploaded files into one ``Study``; problems become findings, never exceptions."""
    findings: list[Finding] = []
    parsed: list[Parsed] = []
    for name, data in files:
        try:
            tables = read_tables(name, data)
        except ReadError as exc:
            findings.append(exc.finding)
            continue
        for table in tables:
            result = parse_table(table)
            findings.extend(result.findings)
            parsed.append(result)
    screening = _single(parsed, "screening", findings)
    visits = _single(parsed, "visits", findings)
    excluded = {kind: sum(p.excluded for p in parsed if p.kind == kind) for kind in ("screening", "visits")}
    if visits is not None and visits.empty and not excluded["visits"]:
        findings.append(Finding("error", ", ".join(n for n, _ in files), None, None, None, None,
                                "no usable visit rows: the visits table has no data rows; nothing can be analysed"))
    if visits is None:
        if not any(f.severity == "error" and f.row is None for f in findings):
            findings.append(Finding("error", ", ".join(n for n, _ in files) or "(no file)", None, None, None, None,
                                    "no visits table found: MedPath needs a sheet or CSV file of visits with a patient "
                                    "id, a visit label and the outcomes (see the template)"))
        visits = pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("patient_id", "visit") else "object")
                               for c in (*VISIT_COLUMNS, *PROVENANCE)})
    if screening is not None:
        screening, dropped = _drop_duplicates(screening, ["patient_id"], "patient_id", findings,
                                              "patient {key} already appears in row {first}")
        excluded["screening"] += dropped
    # one row per patient and time point: two labels for the same month ("week 2", "day 14") are a duplicate too
    visits, dropped = _drop_duplicates(visits, ["patient_id", "month"], "visit", findings,
                                       "a second '{visit}' visit for patient {key} (first in row {first}); it was not used")
    excluded["visits"] += dropped
    if screening is not None:
        findings.extend(_unscreened(visits, screening))
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
        label=label or ", ".join(names),
        synthetic=synthetic,
    )


def load_sample_study() -> Study:
    """The bundled synthetic study (``medpath/sample``, also seen as ``data/sample``), labelled as such."""
    return load_study([(SAMPLE_WORKBOOK.name, SAMPLE_WORKBOOK.read_bytes())], label=SAMPLE_LABEL, synthetic=True)


def _single(parsed: list[Parsed], kind: str, findings: list[Finding]) -> pd.DataFrame | None:
    frames = [p.frame for p in parsed if p.kind == kind and p.frame is not None]
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frames) > 1:
        places = sorted({f"{f['source_file'].iat[0]}:{f['source_sheet'].iat[0] or ''}" for f in frames if len(f)})
        findings.append(Finding("warning", frame["source_file"].iat[0] if len(frame) else "", None, None, None,
                                "; ".join(places), f"{len(frames)} {kind} tables were found and combined"))
    wanted = SCREENING_COLUMNS if kind == "screening" else VISIT_COLUMNS
    return frame[[*wanted, *PROVENANCE]]


def _drop_duplicates(frame: pd.DataFrame, keys: list[str], column: str, findings: list[Finding], message: str):
    """Keep the first row of each key; every later one becomes an error finding on ``column`` (and is counted)."""
    dup = frame.duplicated(keys, keep="first")
    if not dup.any():
        return frame, 0
    first_rows = frame.loc[~dup].set_index(keys)["source_row"]
    for _, row in frame.loc[dup].iterrows():
        key = tuple(row[k] for k in keys)
        first = first_rows.loc[key if len(keys) > 1 else key[0]]
        findings.append(Finding("error", row["source_file"], row["source_sheet"], int(row["source_row"]), column,
                                row[column], message.format(key=row["patient_id"], first=int(first),
                                                            visit=row.get("visit", ""))))
    return frame.loc[~dup], int(dup.sum())


def _unscreened(visits: pd.DataFrame, screening: pd.DataFrame) -> list[Finding]:
    """One warning per patient with visits but no screening row (still analysed)."""
    known = set(screening["patient_id"])
    first = visits.loc[~visits["patient_id"].isin(known)].drop_duplicates("patient_id")
    return [Finding("warning", r.source_file, r.source_sheet, int(r.source_row), "patient_id", r.patient_id,
                    f"patient {r.patient_id} has visits but is not in the screening table; analysed, "
                    "but not part of the eligibility funnel")
            for r in first.itertuples()]
