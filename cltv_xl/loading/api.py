"""``read_transactions``: the front door of the loading layer."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..timeunits import as_date
from ..transactions import Transactions
from .clean import clean_columns
from .sources import (
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    check_file,
    read_csv_file,
    read_frame,
    read_parquet_file,
    read_workbook,
)

ColumnSpec = str | int | None


def _overrides(customer_col: ColumnSpec, date_col: ColumnSpec, amount_col: ColumnSpec,
               quantity_col: ColumnSpec, price_col: ColumnSpec, order_col: ColumnSpec,
               status_col: ColumnSpec) -> dict[str, ColumnSpec]:
    """The column choices by role, as the readers take them."""
    return {"customer": customer_col, "date": date_col, "amount": amount_col,
            "quantity": quantity_col, "price": price_col, "order": order_col,
            "status": status_col}


def read_ahead(
    source: str | PathLike[str],
    *,
    sheet: str | int | None = None,
    customer_col: ColumnSpec = None,
    date_col: ColumnSpec = None,
    amount_col: ColumnSpec = None,
    quantity_col: ColumnSpec = None,
    price_col: ColumnSpec = None,
    order_col: ColumnSpec = None,
    status_col: ColumnSpec = None,
) -> bool:
    """Start reading the workbook ``source`` in a thread (:func:`cltv_xl.loading.ahead.
    start_read`), for a later :func:`read_transactions` with the same arguments to take; True
    when a read was started. Anything wrong with the file is left for that call to report."""
    from .ahead import start_read

    path = Path(source).expanduser()
    try:
        if check_file(path) not in EXCEL_SUFFIXES:
            return False
    except InputError:
        return False
    return start_read(path, sheet, _overrides(customer_col, date_col, amount_col, quantity_col,
                                              price_col, order_col, status_col))


def read_transactions(
    source: str | PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    customer_col: ColumnSpec = None,
    date_col: ColumnSpec = None,
    amount_col: ColumnSpec = None,
    dayfirst: bool | None = None,
    as_of: object = None,
    label: str | None = None,
    quantity_col: ColumnSpec = None,
    price_col: ColumnSpec = None,
    order_col: ColumnSpec = None,
    status_col: ColumnSpec = None,
) -> Transactions:
    """Read transactions from a workbook, a text or Parquet file or a DataFrame of raw cells.

    Parameters
    ----------
    source:
        Path to an .xlsx, .xlsm, .xlsb, .xls, .ods, .csv, .tsv, .txt or .parquet file, or a
        DataFrame of raw cell values (header names as columns, or integer column labels for a
        frame without a header row).
    sheet:
        Sheet name (or 0-based index). Default: the first sheet in which a header row with
        customer id, date and amount columns is found.
    customer_col, date_col, amount_col:
        Override the column mapping: a header name (matched ignoring case, spaces and
        punctuation), a 1-based column number or an Excel column letter ("C").
    quantity_col, price_col:
        Line items: without an amount column, amount = quantity x unit price. Found
        automatically ("Quantity", "Qty", "Menge", "UnitPrice", "Einzelpreis", ...).
    order_col, status_col:
        Order/invoice id (orders are then counted as distinct ids; "C" invoices are
        cancellations) and an order status ("Cancelled", "Refunded", ... mark refunds).
    dayfirst:
        Day/month order of text dates like "12/01/1997": True (12 January), False (December 1),
        None (default: inferred from the column; an ambiguous column is reported in
        ``tx.date_order`` and ``tx.warnings``).
    as_of:
        Rows dated after this date are rejected.
    label:
        Source label for a DataFrame (default "DataFrame").

    Returns
    -------
    Transactions with ``data``, ``issues``, ``counts``, ``source``, ``column_map``,
    ``date_order``, ``warnings`` and ``reading``; ``issue_summary()`` counts issues by reason.

    Raises
    ------
    InputError
        A one-line message for an unreadable file, an unknown sheet, a missing column, a header
        without data, or a bad argument.
    """
    overrides = _overrides(customer_col, date_col, amount_col, quantity_col, price_col,
                           order_col, status_col)
    cutoff = as_date(as_of, "as_of")  # validate before reading a large file
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise InputError(f"dayfirst must be True, False or None (infer); got {dayfirst!r}")
    if isinstance(source, pd.DataFrame):
        raw = read_frame(source, overrides, label or "DataFrame")
    elif isinstance(source, str | PathLike):
        path = Path(source).expanduser()
        suffix = check_file(path)
        if suffix in EXCEL_SUFFIXES:
            raw = read_workbook(path, sheet, overrides)
        elif suffix in PARQUET_SUFFIXES:
            raw = read_parquet_file(path, overrides)
        else:
            raw = read_csv_file(path, overrides)
    else:
        raise InputError(
            "source must be a path to a workbook, text or Parquet file, or a pandas DataFrame; "
            f"got {type(source).__name__}"
        )
    c = raw.columns
    return clean_columns(
        c["customer"],
        c["date"],
        c.get("amount"),
        quantities=c.get("quantity"),
        prices=c.get("price"),
        orders=c.get("order"),
        statuses=c.get("status"),
        rows=raw.rows,
        dayfirst=dayfirst,
        as_of=cutoff,
        names=raw.names,
        source=raw.source,
        text_cells=raw.text_cells,
        reading=raw.reading,
    )
