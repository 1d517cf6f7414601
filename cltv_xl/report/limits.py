"""Excel's sheet size, checked once, as early as the row count is known.

A table that does not fit below its header cannot be written; the run should fail right after
reading, not after the models and the other sheets have been computed. The pipeline calls
:func:`check_transactions_fit` after loading; the writer calls :func:`check_table_rows` for
every large table as a last guard.
"""

from __future__ import annotations

from ..errors import InputError

#: Rows of an Excel worksheet (Excel 2007 and later).
EXCEL_MAX_ROWS = 1_048_576
#: Header row of the template's Transactions table (``templates/build_template.py``: A1).
TRANSACTIONS_HEADER_ROW = 1


def max_table_rows(header_row: int = 1) -> int:
    """Body rows a table whose header is on ``header_row`` can hold."""
    return EXCEL_MAX_ROWS - int(header_row)


def check_table_rows(n_rows: int, table: str, header_row: int = 1, hint: str = "") -> None:
    """Raise a one-line :class:`InputError` when ``n_rows`` body rows do not fit below a
    header on ``header_row``; ``hint`` says what to do (e.g. " (use --no-transactions)")."""
    if int(n_rows) > max_table_rows(header_row):
        raise InputError(
            f"the {table} table has {int(n_rows):,} rows, more than an Excel sheet holds below "
            f"its header (row {header_row} of {EXCEL_MAX_ROWS:,}){hint}"
        )


def check_transactions_fit(n_rows: int, include_transactions: bool = True) -> None:
    """The check to run right after reading: ``n_rows`` used transaction rows must fit on the
    report's Transactions sheet, unless that sheet is left out."""
    if include_transactions:
        check_table_rows(n_rows, "Transactions", TRANSACTIONS_HEADER_ROW,
                         " (use --no-transactions)")
