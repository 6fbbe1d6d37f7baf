"""One sheet per patient (issue 24, item 6): each sheet a mapping profile's ``layout: {"Pasien *": patient}`` names
(``medpath.pipeline.map.profile_layout``) holds one patient's visit rows, and its name is the patient's id (translated
by the profile's ``values: {patient_id: {...}}`` when the screening log writes it otherwise). The id is added as a
column MedPath made (``AddedHeader``, not one of the user's columns) after the sheet's rows are cleaned, so that a note
or a summary row in a patient's sheet is still recognised by its own first cell; the sheets are then one visits table
(``medpath.study`` combines tables that hold different patients).
"""

from __future__ import annotations

from dataclasses import replace

from medpath.findings import Code, Finding
from medpath.pipeline.map.columns import AddedHeader, SheetLabel
from medpath.pipeline.read.reading import RawTable

PATIENT_ID = "Patient ID"


def patient_id(table: RawTable) -> str:
    """The id a patient's sheet gives: its name, without the spaces around it."""
    return str(table.sheet or "").strip()


def patient_table(table: RawTable) -> RawTable:
    """The sheet's visit rows with the patient id column added (the sheet's name in every row)."""
    width = len(table.header)
    pid = patient_id(table)
    rows = [[*(cells[:width] + [None] * (width - len(cells))), pid] for cells in table.rows]
    above = (*table.above, None) if table.above else ()
    return replace(
        table,
        header=[*table.header, AddedHeader(PATIENT_ID)],
        rows=rows,
        above=above,
        sheet=SheetLabel(str(table.sheet or ""), "visits"),
    )


def said(tables: list[RawTable]) -> Finding:
    """The warning saying which sheets were read as one patient each (one per file)."""
    names = [f"'{t.sheet}' → {patient_id(t)}" for t in tables[:20]]
    more = f" and {len(tables) - 20} more" if len(tables) > 20 else ""
    first = tables[0]
    return Finding(
        "warning",
        first.file,
        None,
        None,
        None,
        None,
        f"read as: one sheet per patient, as the mapping profile says (the sheet name is the patient id; its rows are "
        f"the patient's visits): {', '.join(names)}{more}",
        code=Code.LAYOUT_READ_AS,
    )
