"""Refresh a CLTV report inside an open workbook: the ribbon button's Python.

:func:`refresh_report` works on an xlwings ``Book`` from any runtime (classic desktop xlwings,
xlwings Server, xlwings Lite). It

1. reads the orders from the workbook's **Transactions** sheet (the layout the report writes,
   or any sheet the user names, with a header row the loader recognises);
2. reads the user's **Assumptions** (the ``ASSUME_*`` defined names) and leaves them alone;
3. recomputes the :class:`~cltv_xl.report.model.Report` with the same
   :func:`cltv_xl.report.compute_report` as the offline report;
4. rewrites, in place, the cells of the value names (:data:`~cltv_xl.report.model.VALUE_NAMES`)
   and the rows of every report table (resized to the new row count). The KPI cells hold live
   formulas over those tables and recalculate by themselves; every other sheet is untouched.

The refresh is all or nothing: :func:`find_targets` finds every value name, table and table
column before the computation, and :func:`plan_writes` computes every write before the first
one is made, so a deleted sheet, a renamed table or column, a bad Assumptions cell or a user's
note that would lose its row leaves the workbook unchanged. Columns the user added to a report
table are kept, their values following their row's key (:data:`ROW_KEYS`).

When the Transactions sheet is missing or unusable, the problem is shown to the user in an
Excel message box (``book.app.alert``) and returned, rather than failing silently.

Entry points: :func:`main` (desktop ribbon add-in, via RunPython) and
:func:`refresh_report_script` (an ``@xw.script`` for xlwings Server and Lite).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..assumptions import Assumptions
from ..errors import CltvError
from ..report.model import (
    ASSUMPTION_FIELDS,
    DATA_TEXT_COLUMNS,
    TABLE_COLUMNS,
    VALUE_NAMES,
    VARIABLE_COLUMN_TABLES,
)
from ..report.retention import RETENTION_TABLES, RETENTION_VALUE_NAMES
from ..safety import needs_quote_prefix

#: Sheet (and table) the orders are read from unless the caller names another sheet.
TRANSACTIONS = "Transactions"
#: Name of the ``@xw.script`` (the function name xlwings Server and Lite call).
SCRIPT_NAME = "refresh_report_script"
#: ``<FunctionName>`` of the ribbon button in ``templates/manifest.xml``.
RIBBON_FUNCTION_NAME = "cltv-refresh-report"
#: Tables rewritten by a refresh: every report table except the input orders.
OUTPUT_TABLES: tuple[str, ...] = tuple(t for t in TABLE_COLUMNS if t != TRANSACTIONS)
TITLE = "CLTV: Refresh report"


class RefreshError(CltvError):
    """The workbook cannot be refreshed; the message says what to fix."""


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def main(book: xw.Book | None = None) -> str:
    """Ribbon entry point of the desktop add-in ``cltv_xl.xlam``.

    The add-in's VBA runs ``RunPython "import cltv_xl; cltv_xl.main()"``; xlwings then makes
    the active workbook ``xw.Book.caller()``.
    """
    return refresh_report(book if book is not None else xw.Book.caller())


#: Sheets the Office.js client sends to :func:`refresh_report_script`: the ones whose cells it
#: reads (Transactions, Assumptions) and the ones holding the report tables it rewrites (the
#: client sends a table's position and header only with its sheet). Every other sheet (the
#: Dashboard, the user's own sheets) stays in Excel; value cells there are written through
#: their defined names, which the client always sends.
REFRESH_SHEETS: tuple[str, ...] = (
    TRANSACTIONS,
    "Assumptions",
    "Customers",
    "Segments",
    "Cohorts",
    "Cohort revenue",
    "Model",
    "Retention",
    "Data issues",
    "Chart data",
)


@xw.script(name="Refresh report", include=list(REFRESH_SHEETS))
def refresh_report_script(book: xw.Book):
    """Refresh the CLTV report in this workbook (xlwings Server and xlwings Lite button)."""
    refresh_report(book)


def refresh_report(book: xw.Book, *, sheet: str | None = None) -> str:
    """Recompute the CLTV report of ``book`` from its orders and rewrite it in place.

    The refresh is all or nothing: every target (the value names, the report tables and each
    of their columns) is checked before anything is written, so a deleted sheet, a renamed
    table or column, or notes that would be lost give a message and leave the workbook as it
    was.

    Parameters
    ----------
    book:
        An xlwings ``Book`` (classic, xlwings Server or xlwings Lite).
    sheet:
        Sheet holding the orders; default ``"Transactions"``.

    Returns
    -------
    A one-line status: what was refreshed, or what went wrong (also shown in a message box).
    """
    try:
        tx = read_book_transactions(book, sheet or TRANSACTIONS)
        assumptions = read_assumptions(book)
        targets = find_targets(book)  # before the (slow) computation: fail fast
        report = _compute(tx, assumptions)
        plan = plan_writes(targets, report)
    except (CltvError, ValueError) as exc:
        message = f"The report was not refreshed: {exc}"
        _alert(book, message)
        return message
    plan.apply()
    counts = report.counts
    status = (
        f"Refreshed the report from {counts['used']:,} orders of {len(report.customers):,} "
        f"customers ({counts['rejected']:,} rows rejected; see the Data issues sheet)."
    )
    notes = refresh_notes(report)
    if notes:  # what the user must know about this report: said, not only written
        status = " ".join([status, *notes])
        _alert(book, status, mode="info")
    return status


def refresh_notes(report) -> list[str]:
    """What a refreshed report must say out loud (a message box): the gaps (a model or the
    churn rate not estimated, and why), and the rows not used when more than
    :data:`cltv_xl.report.quality.LOUD_SHARE` of the rows or of the amount were rejected."""
    notes = [f"{what} not estimated: {why}." for what, why in report.gap_messages().items()]
    if notes:
        notes[0] = "The report has gaps: " + notes[0]
    if report.data_quality_lines():
        notes.append(report.data_quality())
    return notes


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _find_sheet(book: xw.Book, name: str):
    for candidate in book.sheets:
        if candidate.name.casefold() == name.casefold():
            return candidate
    names = ", ".join(s.name for s in book.sheets)
    raise RefreshError(
        f"this workbook has no sheet named {name!r} (sheets: {names}). Paste the orders, with "
        "a header row (customer id, date, amount), into a sheet of that name, or pass its name."
    )


def read_book_transactions(book: xw.Book, sheet_name: str = TRANSACTIONS):
    """Read and clean the orders on ``sheet_name`` (its used range, header row included).

    The raw cells go to :func:`cltv_xl.loading.read_transactions`, the one cleaning path.
    """
    from ..loading import read_transactions

    sheet = _find_sheet(book, sheet_name)
    values = sheet.used_range.options(ndim=2).value
    rows = [row for row in values if any(v not in (None, "") for v in row)]
    if len(rows) < 2:
        raise RefreshError(
            f"sheet {sheet.name!r} has no orders: it needs a header row (customer id, date, "
            "amount) and at least one order below it"
        )
    frame = pd.DataFrame(values, dtype=object)
    return read_transactions(frame, label=f"{book.name} [{sheet.name}]")


def read_assumptions(book: xw.Book) -> Assumptions:
    """The user's Assumptions (``ASSUME_*`` names), parsed by
    :meth:`Assumptions.from_cells`; a missing or blank one keeps its default.

    Error values (``#N/A``, ``#DIV/0!``) are read as their text (``err_to_str``), not as blank
    cells, so they are refused with the cell's name like any other value that is not a number
    (``TRUE``, ``"abc"``), instead of falling back to the default."""
    cells = {}
    for name in ASSUMPTION_FIELDS:
        rng = _name_range(book, name)
        cells[name] = None if rng is None else rng.options(err_to_str=True).value
    return Assumptions.from_cells(cells)


def _name_range(book: xw.Book, name: str):
    try:
        return book.names[name].refers_to_range
    except Exception:  # a missing name raises different types in each runtime
        return None


def _compute(tx, assumptions: Assumptions):
    """The Report, computed exactly as the offline ``cltv-xl report`` computes it."""
    from ..report import compute_report

    # the orders stay as the user entered them: no Transactions table is written back
    return compute_report(tx, assumptions=assumptions, include_transactions=False)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


#: Columns that identify a row of a table across refreshes: the values of columns the user
#: added to these tables follow their row's key (a customer's note stays with that customer
#: when the customers are re-sorted). Other tables are matched by position (row i is bin,
#: month or period i in every refresh).
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "Customers": ("Customer ID",),
    "Segments": ("Segment",),
    "ModelParams": ("Model", "Parameter"),
    "DataIssues": ("Row", "Column"),
}


@dataclass
class TableTarget:
    """A report table found in the workbook: where it is and its header as the user left it."""

    name: str
    table: Any
    header: list[str]


@dataclass
class Targets:
    """Everything a refresh writes, found and checked (:func:`find_targets`)."""

    names: dict[str, Any]
    tables: dict[str, TableTarget]


def find_targets(book: xw.Book) -> Targets:
    """Find every value name, report table and report column the refresh will write.

    Raises :class:`RefreshError` naming *everything* that is missing (a deleted sheet takes its
    names and tables with it; a renamed table or column is missing under its report name), so
    that nothing is written to a workbook that cannot take the whole report.
    """
    problems: list[str] = []
    names = {}
    for name in VALUE_NAMES:
        rng = _name_range(book, name)
        if rng is None:
            problems.append(f"defined name {name}")
        else:
            names[name] = rng
    for name in RETENTION_VALUE_NAMES:  # issue 14: optional (older reports lack them)
        rng = _name_range(book, name)
        if rng is not None:
            names[name] = rng
    found = _tables(book)
    tables = {}
    for name in RETENTION_TABLES:
        if name in found:
            header = [_header_text(h) for h in found[name].header_row_range.options(ndim=1).value]
            tables[name] = TableTarget(name, found[name], header)
    for name in OUTPUT_TABLES:
        if name not in found:
            problems.append(f"table {name}")
            continue
        header = [_header_text(h) for h in found[name].header_row_range.options(ndim=1).value]
        expected = TABLE_COLUMNS[name]
        if name in VARIABLE_COLUMN_TABLES:
            expected = expected[:1]  # the refresh writes the rest of this header itself
        lost = [c for c in expected if c not in header]
        if lost:
            problems.append(f"column{'s' if len(lost) > 1 else ''} "
                            f"{', '.join(repr(c) for c in lost)} of table {name}")
        tables[name] = TableTarget(name, found[name], header)
    if problems:
        raise RefreshError(
            f"the workbook lacks {'; '.join(problems)} (deleted or renamed?). Nothing was "
            "changed: restore them, or build a new report with 'cltv-xl report'."
        )
    return Targets(names, tables)


def _tables(book: xw.Book) -> dict[str, Any]:
    out = {}
    for sheet in book.sheets:
        for table in sheet.tables:
            out[table.name] = table
    return out


def _header_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


@dataclass
class WritePlan:
    """The writes of one refresh, computed in full before the first one is made."""

    steps: list[Any] = field(default_factory=list)

    def add(self, step, *args) -> None:
        self.steps.append((step, args))

    def apply(self) -> None:
        for step, args in self.steps:
            step(*args)


def plan_writes(targets: Targets, report) -> WritePlan:
    """Every write of ``report`` into the found targets, or a :class:`RefreshError` (notes of
    rows that would disappear) before any write."""
    plan = WritePlan()
    cells = {**report.cells(), **report.retention_cells}
    for name, rng in targets.names.items():
        plan.add(_set_value, rng, _cell(cells[name]))
    frames = {**report.tables(), **report.retention_tables}
    for name in (*OUTPUT_TABLES, *(t for t in RETENTION_TABLES if t in targets.tables)):
        _plan_table(plan, targets.tables[name], frames[name])
    return plan


def write_report(book: xw.Book, report) -> None:
    """Write the value names and the output tables of ``report`` into ``book`` (all targets are
    checked first: :func:`find_targets`)."""
    plan_writes(find_targets(book), report).apply()


def _set_value(rng, value) -> None:
    rng.value = value


def _set_block(sheet, top_left: tuple[int, int], rows: list[list[Any]]) -> None:
    (r, c) = top_left
    sheet.range((r, c), (r + len(rows) - 1, c + len(rows[0]) - 1)).value = rows


def _clear(sheet, first: tuple[int, int], last: tuple[int, int]) -> None:
    sheet.range(first, last).clear_contents()


def _resize(table, new_range) -> None:
    table.resize(new_range)


def _plan_table(plan: WritePlan, target: TableTarget, frame: pd.DataFrame) -> None:
    """Plan the rewrite of one table: the report's columns get ``frame``'s rows, columns the
    user added keep their values (realigned by :data:`ROW_KEYS`), and the table is resized to
    the new row count (one blank row when the frame is empty, as Excel tables need one)."""
    table, name = target.table, target.name
    sheet = table.range.sheet
    top, left = table.range.row, table.range.column
    old_rows = table.range.rows.count - 1  # body rows
    old_cols = table.range.columns.count
    text_columns = set(DATA_TEXT_COLUMNS.get(name, ()))
    if name in VARIABLE_COLUMN_TABLES:  # the whole table is the report's: header and body
        header = [str(c) for c in frame.columns]
        body = _rows(frame, header, text_columns)
        n_rows, n_cols = max(len(body), 1), len(header)
        if old_rows:
            plan.add(_clear, sheet, (top + 1, left), (top + old_rows, left + old_cols - 1))
        if (n_rows, n_cols) != (old_rows, old_cols):
            plan.add(_resize, table, sheet.range((top, left), (top + n_rows, left + n_cols - 1)))
        plan.add(_set_block, sheet, (top, left), [header])
        if body:
            plan.add(_set_block, sheet, (top + 1, left), body)
        return
    header = target.header
    owned = set(TABLE_COLUMNS.get(name) or RETENTION_TABLES[name])
    user = [j for j, h in enumerate(header) if h not in owned]
    body = _rows(frame, [h if h in owned else None for h in header], text_columns)
    write = [j for j in range(len(header)) if j not in user]
    if user:
        kept, moved = _user_values(target, frame, user, old_rows)
        for i, row in enumerate(body):
            for j in user:
                row[j] = _as_text(kept[i][j])  # a note is text, never a formula
        if moved:  # rows moved: the user's values move with them
            write = list(range(len(header)))
    n_rows = max(len(body), 1)
    if n_rows != old_rows:
        plan.add(_resize, table, sheet.range((top, left), (top + n_rows, left + old_cols - 1)))
    if body:
        for first, last in _runs(write):  # unmoved user columns are not touched at all
            plan.add(_set_block, sheet, (top + 1, left + first),
                     [row[first : last + 1] for row in body])
    if old_rows > len(body):  # rows the report no longer has (a blank one when it is empty)
        plan.add(_clear, sheet, (top + 1 + len(body), left), (top + old_rows, left + old_cols - 1))


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive column positions: [0, 1, 2, 5, 6] -> [(0, 2), (5, 6)]."""
    runs: list[tuple[int, int]] = []
    for j in columns:
        if runs and runs[-1][1] == j - 1:
            runs[-1] = (runs[-1][0], j)
        else:
            runs.append((j, j))
    return runs


def _user_values(target: TableTarget, frame: pd.DataFrame, user: list[int],
                 old_rows: int) -> tuple[list[dict[int, Any]], bool]:
    """The values of the user's columns for each new row of ``frame`` (the old row with the
    same key, :data:`ROW_KEYS`, or the same position) and whether any non-empty one moved to
    another row; RefreshError when a non-empty one would have no row left."""
    table, name, header = target.table, target.name, target.header
    if old_rows == 0:
        return [dict.fromkeys(user) for _ in range(len(frame))], False
    sheet = table.range.sheet
    top, left = table.range.row, table.range.column
    old = sheet.range((top + 1, left), (top + old_rows, left + len(header) - 1)).options(
        ndim=2).value
    keys = ROW_KEYS.get(name)
    if keys is None:
        source = list(range(len(frame)))
        orphans = list(range(len(frame), old_rows))
    else:
        at = [header.index(k) for k in keys]
        by_key: dict[tuple, list[int]] = {}
        for i, row in enumerate(old):
            by_key.setdefault(tuple(_key(row[j]) for j in at), []).append(i)
        new_keys = zip(*(frame[k].tolist() for k in keys), strict=True)
        source = []
        for key in new_keys:
            rows = by_key.get(tuple(_key(_cell(v)) for v in key))
            source.append(rows.pop(0) if rows else None)
        orphans = [i for rows in by_key.values() for i in rows]
    lost = [i for i in orphans if any(old[i][j] not in (None, "") for j in user)]
    if lost:
        columns = ", ".join(repr(header[j]) for j in user)
        first = top + 1 + lost[0]
        raise RefreshError(
            f"table {name} has values in column(s) {columns} you added, on {len(lost):,} "
            f"row(s) the new report no longer has (first: sheet {sheet.name!r} row {first}); "
            "nothing was changed: move those values elsewhere, then refresh"
        )
    values = [{j: (None if i is None else old[i][j]) for j in user} for i in source]
    filled = {i for i, row in enumerate(old) if any(row[j] not in (None, "") for j in user)}
    moved = any(i is not None and i != n and i in filled for n, i in enumerate(source))
    moved = moved or bool(filled - {i for i in source if i is not None})
    return values, moved


def _key(value: Any) -> Any:
    """A key cell as comparable text: 7.0, 7 and "7" are the same row; a leading apostrophe
    (text kept from becoming a formula) does not count."""
    value = _cell(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = "" if value is None else str(value).strip()
    return text[1:] if text.startswith("'") else text


def write_table(table, frame: pd.DataFrame, name: str) -> None:
    """Replace a table's rows with ``frame``'s (see :func:`_plan_table`), checking its columns
    first."""
    header = [_header_text(h) for h in table.header_row_range.options(ndim=1).value]
    plan = WritePlan()
    _plan_table(plan, TableTarget(name, table, header), frame)
    plan.apply()


def _rows(frame: pd.DataFrame, header: list[str | None],
          text_columns: set[str]) -> list[list[Any]]:
    """The frame's rows in ``header`` order as plain Python values (one list per column); a
    ``None`` header is a placeholder column (filled by the caller)."""
    columns = []
    for col in header:
        if col is None:
            columns.append([None] * len(frame))
            continue
        if col not in frame.columns:
            raise RefreshError(f"the report has no column {col!r}")
        cells = [_cell(v) for v in frame[col].tolist()]
        if col in text_columns:
            cells = [_as_text(v) for v in cells]
        columns.append(cells)
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _cell(value: Any) -> Any:
    """A Python value Excel accepts in every runtime (no NaN, no NumPy or pandas scalars)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, (dt.date, dt.datetime, int, str)):
        return value
    return str(value)


def _as_text(value: Any) -> Any:
    """Data text as a text cell: a leading apostrophe keeps ``=cmd|...`` from being a formula."""
    if isinstance(value, str) and needs_quote_prefix(value):
        return "'" + value
    return value


def _alert(book: xw.Book, message: str, mode: str = "critical") -> None:
    # Where a runtime has no message box, the returned status still carries the message.
    with contextlib.suppress(Exception):
        book.app.alert(message, title=TITLE, buttons="ok", mode=mode)
