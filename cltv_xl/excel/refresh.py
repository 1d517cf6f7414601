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

When the Transactions sheet is missing or unusable, the problem is shown to the user in an
Excel message box (``book.app.alert``) and returned, rather than failing silently.

Entry points: :func:`main` (desktop ribbon add-in, via RunPython) and
:func:`refresh_report_script` (an ``@xw.script`` for xlwings Server and Lite).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..errors import CltvError
from ..report.model import (
    ASSUMPTION_FIELDS,
    DATA_TEXT_COLUMNS,
    TABLE_COLUMNS,
    VALUE_NAMES,
    VARIABLE_COLUMN_TABLES,
    Assumptions,
)
from ..timeunits import check_unit

#: Sheet (and table) the orders are read from unless the caller names another sheet.
TRANSACTIONS = "Transactions"
#: Name of the ``@xw.script`` (the function name xlwings Server and Lite call).
SCRIPT_NAME = "refresh_report_script"
#: ``<FunctionName>`` of the ribbon button in ``templates/manifest.xml``.
RIBBON_FUNCTION_NAME = "cltv-refresh-report"
#: Tables rewritten by a refresh: every report table except the input orders.
OUTPUT_TABLES: tuple[str, ...] = tuple(t for t in TABLE_COLUMNS if t != TRANSACTIONS)
#: Leading characters that would make Excel read data text as a formula (OWASP ASVS 5.2.8).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
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


@xw.script(name="Refresh report")
def refresh_report_script(book: xw.Book):
    """Refresh the CLTV report in this workbook (xlwings Server and xlwings Lite button)."""
    refresh_report(book)


def refresh_report(book: xw.Book, *, sheet: str | None = None) -> str:
    """Recompute the CLTV report of ``book`` from its orders and rewrite it in place.

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
        report = _compute(tx, read_assumptions(book))
        write_report(book, report)
    except (CltvError, ValueError) as exc:
        message = f"The report was not refreshed: {exc}"
        _alert(book, message)
        return message
    counts = report.counts
    return (
        f"Refreshed the report from {counts['used']:,} orders of {len(report.customers):,} "
        f"customers ({counts['rejected']:,} rows rejected; see the Data issues sheet)."
    )


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
    """The user's Assumptions (``ASSUME_*`` names); a missing or blank one keeps its default."""
    values: dict[str, Any] = {}
    defaults = Assumptions()
    for name, attr in ASSUMPTION_FIELDS.items():
        rng = _name_range(book, name)
        value = None if rng is None else rng.value
        if value in (None, ""):
            continue
        if attr in ("time_unit", "kpi_period"):
            values[attr] = check_unit(str(value), name)
            continue
        try:
            values[attr] = float(value)
        except (TypeError, ValueError):
            raise RefreshError(
                f"the assumption {name} must be a number; it holds {value!r} "
                f"(default {getattr(defaults, attr)!r})"
            ) from None
    return Assumptions(**values)


def _name_range(book: xw.Book, name: str):
    try:
        return book.names[name].refers_to_range
    except Exception:  # a missing name raises different types in each runtime
        return None


def _compute(tx, assumptions: Assumptions):
    """The Report, computed exactly as the offline ``cltv-xl report`` computes it."""
    from ..report import compute_report

    a = assumptions
    return compute_report(
        tx,
        cac=a.cac,
        margin=a.margin,
        discount_rate=a.discount_rate,
        horizon=a.horizon,
        time_unit=a.time_unit,
        kpi_period=a.kpi_period,
        inactivity=a.inactivity,
        palive_guard=a.palive_guard,  # report-issue-13: the segments' guard cell
        include_transactions=False,  # the orders stay as the user entered them
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_report(book: xw.Book, report) -> None:
    """Write the value names and the output tables of ``report`` into ``book``."""
    cells = report.cells()
    for name in VALUE_NAMES:
        rng = _name_range(book, name)
        if rng is not None:
            rng.value = _cell(cells[name])
    tables = report.tables()
    found = _tables(book)
    missing = [t for t in OUTPUT_TABLES if t not in found]
    if missing:
        raise RefreshError(
            f"this workbook lacks the report tables {', '.join(missing)}; build the report with "
            "'cltv-xl report' first, then refresh it"
        )
    for name in OUTPUT_TABLES:
        write_table(found[name], tables[name], name)


def _tables(book: xw.Book) -> dict[str, Any]:
    out = {}
    for sheet in book.sheets:
        for table in sheet.tables:
            out[table.name] = table
    return out


def write_table(table, frame: pd.DataFrame, name: str) -> None:
    """Replace a table's rows with ``frame``'s, matching columns by header text.

    The table keeps its place, style and header texts; it is resized to the new row count
    (one blank row when the frame is empty, as Excel tables need a body row). Tables whose
    columns vary with the data (cohorts) get the frame's header row too.
    """
    sheet = table.range.sheet
    top, left = table.range.row, table.range.column
    old_rows = table.range.rows.count
    old_cols = table.range.columns.count
    if name in VARIABLE_COLUMN_TABLES:
        header = [str(c) for c in frame.columns]
    else:
        header = [str(h) for h in table.header_row_range.options(ndim=1).value]
    text_columns = set(DATA_TEXT_COLUMNS.get(name, ()))
    body = _rows(frame, header, text_columns)
    n_rows = max(len(body), 1)
    n_cols = len(header)
    sheet.range((top + 1, left), (top + old_rows - 1, left + old_cols - 1)).clear_contents()
    new_range = sheet.range((top, left), (top + n_rows, left + n_cols - 1))
    if (n_rows + 1, n_cols) != (old_rows, old_cols):
        table.resize(new_range)
    if name in VARIABLE_COLUMN_TABLES:
        sheet.range((top, left), (top, left + n_cols - 1)).value = [header]
    if body:
        sheet.range((top + 1, left), (top + len(body), left + n_cols - 1)).value = body


def _rows(frame: pd.DataFrame, header: list[str], text_columns: set[str]) -> list[list[Any]]:
    """The frame's rows in ``header`` order as plain Python values (one list per column)."""
    columns = []
    for col in header:
        if col not in frame.columns:
            columns.append([None] * len(frame))
            continue
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
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _alert(book: xw.Book, message: str) -> None:
    # Where a runtime has no message box, the returned status still carries the message.
    with contextlib.suppress(Exception):
        book.app.alert(message, title=TITLE, buttons="ok", mode="critical")
