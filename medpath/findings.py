"""One finding of the reading and validation: what is wrong and where (file, sheet, Excel row, column, value).

In a module of its own, free of pandas, so that the disposable reader (``medpath.pipeline.guard.disposable_reader``), whose fork
server imports it, starts without importing pandas; ``medpath.model`` re-exports it with the canonical model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Code(StrEnum):
    """What a finding is about: a stable machine code beside the message, so that pages, tests and the JSON
    (``summary --json``: ``"code"``) decide by the code, never by the wording (which may change). One code per kind
    of problem; the message says the particulars (file, sheet, row, column, value)."""

    # files and the upload
    FILE_NOT_OPENED = "file_not_opened"  # the CLI cannot open a path
    FILE_NOT_READ = "file_not_read"  # empty, damaged, not a spreadsheet, too large, too many rows / sheets
    FILE_UNSAFE = "file_unsafe"  # the disposable reader broke a limit (medpath.pipeline.guard.disposable_reader)
    UPLOAD_TOO_LARGE = "upload_too_large"  # the upload's cells or tables together exceed the budget
    PROFILE_INVALID = "profile_invalid"  # the mapping profile cannot be opened or is malformed
    PROFILE_COLUMN_ABSENT = "profile_column_absent"
    PROFILE_SHEET_ABSENT = "profile_sheet_absent"
    PROFILE_HEADER_ROW_ABSENT = "profile_header_row_absent"  # the header row the profile names is blank or absent
    PROFILE_ROWS_UNMATCHED = "profile_rows_unmatched"  # a record of rows: leave out that matches no row
    FIXED_BY_PROFILE = "fixed_by_profile"  # a field the file lacks, one value for every row: the team's statement
    FIXED_NOT_USED = "fixed_not_used"  # the profile fixes a field the file has a column for: the file is read
    # sheets and their layout
    SHEET_HIDDEN = "sheet_hidden"  # a hidden sheet left out
    SHEET_HIDDEN_READ = "sheet_hidden_read"  # a hidden sheet read because the profile says so
    SHEET_NOT_USED = "sheet_not_used"  # neither screening nor visits
    SHEET_SKIPPED_MARKS = "sheet_skipped_marks"  # hidden / struck marks of a sheet could not be taken
    LAYOUT_READ_AS = "layout_read_as"  # how an unusual layout was read (two-row header, a sheet per visit, ...)
    CELLS_READ_EMPTY = "cells_read_empty"  # formulas without a saved result, Excel errors
    CELLS_MERGED = "cells_merged"
    COLUMNS_UNNAMED = "columns_unnamed"  # values under no header
    COLUMNS_HIDDEN = "columns_hidden"
    ROW_HIDDEN = "row_hidden"
    ROW_STRUCK = "row_struck"
    ROW_SUMMARY = "row_summary"  # a total / note / summary row left out
    SIGNATURE_BLOCK = "signature_block"
    ROW_NO_OUTCOME = "row_no_outcome"
    # questions: a rule that could be wrong, asked with a proposed answer (medpath.pipeline.validate.row_questions); errors that block
    ROWS_HIDDEN = "rows_hidden"  # rows hidden in Excel (a filter or by hand): read them?
    ROWS_SEVERAL_SITES = "rows_several_sites"  # a site / centre / arm column with several values: which to keep?
    VISITS_NOT_ENROLLED = "visits_not_enrolled"  # visit rows of candidates not enrolled: leave out?
    DUPLICATE_CONFLICT = "duplicate_conflict"  # two rows of one patient and visit that disagree: which?
    ID_SPELLING = "id_spelling"  # one patient's id written two ways in two tables ("MSC 01", "MSC-01"): the same?
    REMARK_NOT_MEASURED = "remark_not_measured"  # a remark says a row's values were not measured (LOCF, drop out)
    ROWS_KEPT_BY_PROFILE = "rows_kept_by_profile"  # rows left out because the profile answered so
    # REDCap exports
    REDCAP_CHECKBOX_UNUSED = "redcap_checkbox_unused"
    REDCAP_INSTRUMENT_APART = "redcap_instrument_apart"
    REDCAP_RECORD_ID = "redcap_record_id"
    # columns
    COLUMN_IDENTIFIER = "column_identifier"  # looks like a direct identifier (name, record number, ...)
    COLUMN_SECOND = "column_second"  # a second column for a field: only the first is read
    COLUMN_SIMILAR = "column_similar"  # not recognised; a similar accepted name is proposed
    COLUMNS_UNKNOWN = "columns_unknown"  # not recognised and not used
    COLUMN_CORRECTION = "column_correction"  # a correction column supersedes the original
    COLUMN_CHOSEN = "column_chosen"  # one of several candidate columns read, by a certain rule
    COLUMN_SAME_VALUES = "column_same_values"
    COLUMN_AMBIGUOUS = "column_ambiguous"  # several columns could be the field: none read
    COLUMN_REGION_NOT_ANALYSED = "column_region_not_analysed"  # a region report without the analysed region
    COLUMN_REQUIRED_MISSING = "column_required_missing"  # the table cannot be used
    COLUMN_EXPECTED_MISSING = "column_expected_missing"  # what depends on it is not determinable
    PRIMARY_OUTCOME_NOT_READ = "primary_outcome_not_read"  # no visit row holds a value of a primary outcome
    # tables
    TABLE_EMPTY = "table_empty"
    TABLE_TWICE = "table_twice"
    TABLES_COMBINED = "tables_combined"
    TABLE_NOT_READ = "table_not_read"  # an adverse-event or disposition table without a required column
    NO_VISITS_TABLE = "no_visits_table"
    NO_VISIT_ROWS = "no_visit_rows"
    # rows and values
    PATIENT_ID_MISSING = "patient_id_missing"
    PATIENT_ID_FORMULA = "patient_id_formula"
    PATIENT_NOT_SCREENED = "patient_not_screened"
    ENROLLED_ABOVE_TARGET = "enrolled_above_target"  # more patients than the protocol's target: another site's?
    DUPLICATE_ROW = "duplicate_row"
    VALUE_INVALID = "value_invalid"  # cannot be read: left out
    VALUE_OUT_OF_RANGE = "value_out_of_range"
    VALUE_READ_AS = "value_read_as"  # an unusual spelling, read as a value
    VALUES_SCALED = "values_scaled"  # a column read in another unit and converted
    VISIT_UNPLACED = "visit_unplaced"  # no usable label and no offset: the row is left out
    VISIT_PLACED_BY_OFFSET = "visit_placed_by_offset"
    VISIT_LABEL_OFFSET_DISAGREE = "visit_label_offset_disagree"
    VISIT_DATE_INVALID = "visit_date_invalid"
    VISIT_DATES_READ = "visit_dates_read"
    # adverse events and disposition
    EXTRA_COLUMN_MISSING = "extra_column_missing"  # an optional adverse-event column is absent
    EXTRA_INCOMPLETE = "extra_incomplete"  # a value an adverse event or disposition row should have is missing
    EXTRA_INCONSISTENT = "extra_inconsistent"  # e.g. a grade 5 event not serious; a death without a grade 5 event
    EXTRA_UNKNOWN_PATIENT = "extra_unknown_patient"
    DISPOSITION_MISSING = "disposition_missing"


@dataclass(frozen=True)
class Finding:
    """One validation finding, pointing at the exact place the user can open in Excel."""

    severity: Literal["error", "warning"]
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: object
    message: str
    code: Code

    def as_dict(self) -> dict:
        value = self.value
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        return {
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": value,
            "message": self.message,
            "code": self.code.value,
        }

    def __str__(self) -> str:
        place = self.file
        if self.sheet:
            place += f", sheet '{self.sheet}'"
        if self.row is not None:
            place += f", row {self.row}"
        if self.column:
            place += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value: {self.value!r})"
        return f"{self.severity.upper()}: {place}: {self.message}{shown}"
