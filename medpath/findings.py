"""One finding of the reading and validation: what is wrong and where (file, sheet, Excel row, column, value).

In a module of its own, free of pandas, so that the disposable reader (``medpath.disposable_reader``), whose fork
server imports it, starts without importing pandas; ``medpath.model`` re-exports it with the canonical model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


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
