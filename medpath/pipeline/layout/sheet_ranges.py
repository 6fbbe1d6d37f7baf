"""Several tables on one sheet (issue 24, item 7): a mapping profile's ``layout: {Sheet: {tables: ...}}``
(``medpath.pipeline.map.profile_layout``) cuts one sheet into its tables, each by a cell range (``A1:K14``) or by
the title it starts under (``{under: Data Kunjungan}``), before ``medpath.pipeline.layout.layouts.arrange`` reads
them as it reads any sheet.

Each table keeps its Excel row numbers and the sheet's name, so that every finding still names the user's file,
sheet, row and column; a table's own header is the best-matching row of its first rows (title rows above it are
left out), as ``medpath.pipeline.read.reading`` finds a sheet's header. A table given ``enrolled: yes / no`` (two
screening lists, "Masuk penelitian" and "Tidak masuk") gets an enrolled column saying so for every row. Nothing is
dropped quietly: one warning says how the sheet was read and lists the rows in no table (titles, notes); a range
outside the sheet, a title found nowhere, or a range reaching cells the reader did not keep is an error naming the
profile's line, and that table is not read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from medpath.findings import Code, Finding
from medpath.pipeline.layout.listing import blank, rows_text
from medpath.pipeline.map.columns import AddedHeader, SheetLabel, column_index, column_letters, normalise
from medpath.pipeline.map.profile import Profile, column_record, header_field
from medpath.pipeline.map.profile_layout import CellRange, SheetLayout, TablePart
from medpath.pipeline.map.schema import Schema
from medpath.pipeline.read.reading import RawTable

#: a table's header is looked for in its first rows with a value, as the reader looks for a sheet's
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class _Grid:
    """The cells of a sheet as the reader kept them: Excel row -> cells from column A (rows with a value only)."""

    rows: dict[int, list[object]]
    width: int
    #: columns whose cells the reader did not keep (right of what it read; from its "no header" note)
    lost: frozenset[int]

    @property
    def last_row(self) -> int:
        return max(self.rows, default=0)


def _grid(table: RawTable) -> _Grid:
    """The sheet's cells again: the rows above the header (``RawTable.top``, or the one row of ``above``), the
    header and the rows under it."""
    rows: dict[int, list[object]] = {}
    top = getattr(table, "top", ())
    if top:
        rows.update((n, list(cells)) for n, cells in top)
    elif table.above:
        rows[table.header_row - 1] = list(table.above)
    rows[table.header_row] = list(table.header)
    rows.update((n, list(cells)) for n, cells in zip(table.row_numbers, table.rows))
    width = max(map(len, rows.values()), default=0)
    lost = set()
    for note in table.notes:
        if note.code is Code.COLUMNS_UNNAMED and isinstance(note.value, str):
            lost |= {column_index(c.strip()) for c in note.value.split(",") if c.strip().isalpha()}
    return _Grid(rows, width, frozenset(c for c in lost if c >= width))


def _has_value(cells: list[object], left: int, right: int) -> bool:
    return any(not blank(c) for c in cells[left : right + 1])


def layout_of(profile: Profile, table: RawTable) -> SheetLayout | None:
    """The layout the profile gives a table's sheet (``Layout.entry``; a pattern does not apply to a sheet the
    profile's ``sheets`` section names)."""
    return profile.layout.entry(table.sheet, table.file, profile.sheet_rule(table.sheet) is not None)


def split_tables(
    tables: list[RawTable], schema: Schema, profile: Profile | None, records: list[dict]
) -> tuple[list[RawTable], list[Finding]]:
    """The tables of one file, each sheet the profile cuts into tables replaced by them (in the profile's order),
    and the findings saying how (``records``: the ``Study.columns`` rows of columns decided here)."""
    if not profile or not profile.layout:
        return list(tables), []
    out: list[RawTable] = []
    findings: list[Finding] = []
    for table in tables:
        entry = layout_of(profile, table)
        if entry is None or not entry.tables:
            out.append(table)
            continue
        parts, said = _split(table, entry, schema, profile, records)
        out.extend(parts)
        findings.extend(said)
    return out, findings


def _split(
    table: RawTable, entry: SheetLayout, schema: Schema, profile: Profile, records: list[dict]
) -> tuple[list[RawTable], list[Finding]]:
    grid = _grid(table)
    findings: list[Finding] = []
    titles = {normalise(p.under) for p in entry.tables if p.under}
    parts: list[tuple[TablePart, RawTable, CellRange]] = []
    used: set[int] = set()  # the rows of the tables and their titles
    for part in entry.tables:
        block = part.range
        if block is None:
            found = _under(grid, part.under or "", titles)
            block = found[0] if found else None
            used |= {found[1]} if found else set()
        problem = _refused(grid, part, block, table)
        if problem is not None or block is None:
            findings.append(_profile_error(profile, part, table, problem or ""))
            continue
        cut = _table(table, grid, part, block, schema, profile, records)
        if cut is None:
            findings.append(_profile_error(profile, part, table, f"the cells {block} hold no table"))
            continue
        parts.append((part, cut, block))
    for _, _, block in parts:
        used |= set(range(block.top, block.bottom + 1))
    outside = [n for n, cells in sorted(grid.rows.items()) if n not in used and any(not blank(c) for c in cells)]
    said = "; ".join(
        f"'{p.name}' ({_where(p, b)}, header in row {t.header_row}, {len(t.rows)} row(s)) → "
        + (p.kind or "recognised by its columns")
        + (f", every row enrolled: {p.enrolled}" if p.enrolled else "")
        for p, t, b in parts
    )
    message = f"read as: {len(parts)} table(s) on one sheet, as the mapping profile says: {said}"
    if outside:
        message += f"; row(s) {rows_text(outside)} are in no table (titles, notes?) and were not read"
    findings.insert(0, table.finding("warning", table.header_row, None, None, message, code=Code.LAYOUT_READ_AS))
    # the sheet's own notes (merged cells, formulas) once, with its first table; the reader's note of values under
    # no header was about the sheet as one table: each table says its own
    notes = tuple(n for n in table.notes if n.code is not Code.COLUMNS_UNNAMED)
    tables = [t for _, t, _ in parts]
    if tables:
        tables[0] = replace(tables[0], notes=(*notes, *tables[0].notes))
    return tables, findings


def _where(part: TablePart, block: CellRange) -> str:
    return f"under '{part.under}': {block}" if part.under else str(block)


def _under(grid: _Grid, title: str, titles: set[str]) -> tuple[CellRange, int] | None:
    """The block of the table under the first cell reading ``title`` and the title's row: from the next row with a
    value to the row before the first blank row (or another table's title, or the sheet's end); from the title's
    column to the last named cell of its header."""
    key = normalise(title)
    found = next(
        ((n, c) for n, cells in sorted(grid.rows.items()) for c, cell in enumerate(cells) if normalise(cell) == key),
        None,
    )
    if found is None:
        return None
    row, left = found
    below = [n for n in sorted(grid.rows) if n > row and _has_value(grid.rows[n], left, grid.width)]
    if not below:
        return CellRange(row + 1, left, row + 1, left), row
    first = below[0]
    header = grid.rows[first]
    right = max((c for c in range(left, len(header)) if not blank(header[c])), default=left)
    bottom = first
    for n in below[1:]:
        cells = grid.rows[n]
        if n != bottom + 1 or any(normalise(c) in titles for c in cells if not blank(c)):
            break
        bottom = n
    return CellRange(first, left, bottom, right), row


def _refused(grid: _Grid, part: TablePart, block: CellRange | None, table: RawTable) -> str | None:
    """Why the table cannot be read from these cells, or None."""
    if block is None:
        return f"no cell of the sheet reads '{part.under}', the title table '{part.name}' starts under"
    if block.top > grid.last_row or block.left >= grid.width:
        return (
            f"the range {block} is outside the sheet, whose cells with values end at row {grid.last_row}, "
            f"column {column_letters(max(grid.width - 1, 0))}"
        )
    lost = sorted(c for c in grid.lost if block.left <= c <= block.right)
    if lost:
        return (
            f"column(s) {', '.join(column_letters(c) for c in lost)} of the range {block} were not kept by the reader "
            "(they are right of every header it looked at); move the table left, or save it on a sheet of its own"
        )
    return None


def _profile_error(profile: Profile, part: TablePart, table: RawTable, problem: str) -> Finding:
    where = table.file + (f", sheet '{table.sheet}'" if table.sheet else "")
    return Finding(
        "error",
        profile.name,
        None,
        part.line,
        None,
        str(part.range) if part.range else part.under,
        f"mapping profile: table '{part.name}' of {where}: {problem}; that table was not read",
        code=Code.PROFILE_INVALID,
    )


def _header_score(cells: list[object], table: RawTable, schema: Schema, profile: Profile) -> int:
    """How well a row reads as a header: its names MedPath or the profile knows; the columns a long layout names
    count most (they are the header's for certain)."""
    names = [c for c in cells if isinstance(c, str) and c.strip()]
    entry = layout_of(profile, table)
    named = {normalise(entry.long.parameter), normalise(entry.long.value)} if entry and entry.long else set()
    known = sum(
        1 for c in names if normalise(c) in schema.known_names or profile.column_rule(table.sheet, c) is not None
    )
    return known + 10 * sum(1 for c in names if normalise(c) in named)


def long_header(table: RawTable, entry: SheetLayout, schema: Schema, profile: Profile) -> RawTable:
    """A long sheet whose header, as the reader found it (by the names MedPath knows, which a row of values such as
    a measure's long name may hold more of than an ADaM header), lacks the columns its layout names: read again from
    the row that names them, with a warning; unchanged when no row does (``long_values`` then says so)."""
    assert entry.long is not None
    named = {normalise(entry.long.parameter), normalise(entry.long.value)}
    if named <= {normalise(h) for h in table.header}:
        return table
    grid = _grid(table)
    block = CellRange(min(grid.rows), 0, grid.last_row, max(grid.width - 1, 0))
    cut = _table(table, grid, TablePart(str(table.sheet or table.file)), block, schema, profile, [])
    if cut is None or not named <= {normalise(h) for h in cut.header}:
        return table
    message = (
        f"read as: the header is row {cut.header_row}, the row naming the long layout's columns "
        f"'{entry.long.parameter}' and '{entry.long.value}' (not row {table.header_row})"
    )
    notes = tuple(n for n in table.notes if n.code is not Code.COLUMNS_UNNAMED)
    said = table.finding("warning", cut.header_row, None, None, message, code=Code.LAYOUT_READ_AS)
    return replace(cut, notes=(*notes, *cut.notes, said))


def _table(
    table: RawTable,
    grid: _Grid,
    part: TablePart,
    block: CellRange,
    schema: Schema,
    profile: Profile,
    records: list[dict],
) -> RawTable | None:
    """The table in ``block``, as the reader would give it were it a sheet of its own."""
    left, right = block.left, block.right
    numbers = [n for n in sorted(grid.rows) if block.top <= n <= block.bottom and _has_value(grid.rows[n], left, right)]
    if not numbers:
        return None

    def cut(n: int) -> list[object]:
        cells = grid.rows[n][left : right + 1]
        return cells + [None] * (right - left + 1 - len(cells))

    candidates = numbers[:HEADER_SEARCH_ROWS]
    scores = [_header_score(cut(n), table, schema, profile) for n in candidates]
    best = max(range(len(candidates)), key=lambda k: (scores[k], -k))
    header_row = candidates[best]
    header = [str(c).strip() if not blank(c) else "" for c in cut(header_row)]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [n for n in numbers if n > header_row]
    rows = [cut(n)[:width] for n in body]
    notes = []
    unnamed = sorted(
        {c for n in body for c, cell in enumerate(cut(n)) if not blank(cell) and (c >= width or not header[c])}
    )
    if unnamed:
        letters = ", ".join(column_letters(left + c) for c in unnamed[:20])
        notes.append(
            table.finding(
                "warning",
                header_row,
                None,
                letters,
                f"column(s) {letters} of table '{part.name}' hold values but have no header; they were not read",
                code=Code.COLUMNS_UNNAMED,
            )
        )
    above = tuple(cut(header_row - 1)[:width]) if header_row - 1 in numbers else ()
    sheet = SheetLabel(str(table.sheet or ""), part.kind) if part.kind else table.sheet
    cut_table = RawTable(
        table.file,
        sheet,
        header,
        rows,
        body,
        header_row,
        tuple(notes),
        above,
        hidden=table.hidden,
        hidden_rows=frozenset(n for n in table.hidden_rows if n in body),
        hidden_columns=frozenset(c - left for c in table.hidden_columns if left <= c < left + width),
        struck_rows=frozenset(n for n in table.struck_rows if n in body),
    )
    return _enrolled(cut_table, part, schema, records) if part.enrolled else cut_table


def _enrolled(table: RawTable, part: TablePart, schema: Schema, records: list[dict]) -> RawTable:
    """The table with an enrolled column holding the profile's answer in every row; a column of its own read as
    enrolled is superseded (the profile decides)."""
    own = [i for i, h in enumerate(table.header) if header_field(h, schema) == "enrolled"]
    for i in own:
        records.append(
            column_record(
                table,
                table.header[i],
                None,
                "superseded",
                f"the mapping profile gives the enrolment of table '{part.name}': {part.enrolled}",
            )
        )
    keep = [i for i in range(len(table.header)) if i not in own]
    header = [table.header[i] for i in keep] + [AddedHeader("Enrolled")]
    rows = [[cells[i] if i < len(cells) else None for i in keep] + [part.enrolled] for cells in table.rows]
    above = tuple(table.above[i] if i < len(table.above) else None for i in keep) if table.above else ()
    hidden = frozenset(keep.index(c) for c in table.hidden_columns if c in keep)
    return replace(table, header=header, rows=rows, above=above, hidden_columns=hidden)
