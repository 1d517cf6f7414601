"""The one cleaning step: three raw columns in, a :class:`~cltv_xl.transactions.Transactions` out.

Every reader (xlsx, csv, DataFrame) and the worksheet functions end here, so the rules below are
the same everywhere:

* a row whose id, date and amount cells are all empty is *blank*: counted in ``blank``, not in
  ``read``;
* a row is *rejected* (one issue line per problem cell) when its id is missing, its date is
  missing/unreadable/outside 1900-2099 or after ``as_of``, or its amount is missing/unreadable;
* a *summary row* (id "Total", "Grand total", "Sum", ...; or an empty id with an amount equal to
  the sum of the other rows) is rejected with the single reason "summary/total row";
* a used row may be *doubtful*: negative amounts (refunds/returns, kept and netted), zero
  amounts (kept), dates after today when no ``as_of`` is given (kept), and amounts whose
  separator was ambiguous (kept as read). Each gets one issue line with severity "doubtful".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..safety import XML_ILLEGAL
from ..timeunits import as_date
from ..transactions import DOUBTFUL, ISSUE_COLUMNS, REJECTED, Transactions, empty_issues
from .amounts import parse_amounts
from .dates import parse_dates
from .ids import REASON_CONTROL, parse_ids
from .parsed import MISSING, OK, Parsed, as_series, display

REASON_TOTAL = "summary/total row"
REASON_REFUND = "negative amount (refund/return): netted"
REASON_ZERO = "zero amount: kept"
REASON_FUTURE = "date after today: kept"
REASON_NO_ID = "missing customer id"
REASON_NO_DATE = "missing date"
REASON_NO_AMOUNT = "missing amount"


def _visible(text: str) -> str:
    """Issue values with characters an Excel file cannot hold shown as ``\\xNN`` escapes."""
    return XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _summary_by_sum(ids: Parsed, amounts: Parsed, nonblank: np.ndarray) -> np.ndarray:
    """Rows with an empty id whose amount equals the sum of all other (non-summary) amounts."""
    cand = ids.missing & amounts.ok & nonblank
    if not cand.any():
        return np.zeros(len(cand), dtype=bool)
    others = amounts.ok & nonblank & ~cand & ~ids.flag
    if others.sum() < 2:
        return np.zeros(len(cand), dtype=bool)
    total = float(amounts.values[others].sum())
    tol = 0.005 + 1e-9 * abs(total)
    return cand & (np.abs(amounts.values - total) <= tol)


def clean_columns(
    customer_ids: Sequence[object] | pd.Series | np.ndarray,
    dates: Sequence[object] | pd.Series | np.ndarray,
    amounts: Sequence[object] | pd.Series | np.ndarray,
    *,
    rows: Sequence[int] | np.ndarray | None = None,
    dayfirst: bool = False,
    as_of: object = None,
    names: dict[str, str] | None = None,
    source: str = "cells",
) -> Transactions:
    """Clean three raw columns of cell values into :class:`Transactions`.

    This is what :func:`read_transactions` runs after reading a file or frame, and what the
    worksheet functions call with the three ranges a user selected.

    Parameters
    ----------
    customer_ids, dates, amounts:
        Equal-length columns of raw cell values (str, int, float, datetime/date, Excel serial
        numbers, None, NaN, ""), as lists, arrays, Series or Arrow arrays.
    rows:
        Source row number of each value, for issue lines (default 2, 3, ...: a header on row 1).
    dayfirst:
        Read "12/01/1997" as 12 January (True) rather than December 1 (False).
    as_of:
        Rows dated after it are rejected.
    names:
        Source header per role (``customer``, ``date``, ``amount``), used in issue lines and as
        :attr:`Transactions.column_map`.
    source:
        Label stored in :attr:`Transactions.source`.
    """
    cols = [as_series(c) for c in (customer_ids, dates, amounts)]
    n = len(cols[0])
    if any(len(c) != n for c in cols):
        raise InputError(
            "customer ids, dates and amounts must have the same length; got "
            + ", ".join(str(len(c)) for c in cols)
        )
    row_no = (
        np.arange(2, n + 2, dtype=np.int64)
        if rows is None
        else np.asarray(rows, dtype=np.int64).ravel()
    )
    if len(row_no) != n:
        raise InputError(f"rows must give one row number per value ({n}); got {len(row_no)}")
    names = {"customer": "customer_id", "date": "date", "amount": "amount", **(names or {})}
    cutoff = as_date(as_of, "as_of")

    ids = parse_ids(cols[0])
    dts = parse_dates(cols[1], dayfirst=dayfirst)
    amt = parse_amounts(cols[2])
    blank = ids.missing & dts.missing & amt.missing
    nonblank = ~blank

    total = nonblank & (ids.flag | _summary_by_sum(ids, amt, nonblank))
    after = np.zeros(n, dtype=bool)
    if cutoff is not None:
        after = (dts.status == OK) & (dts.values > cutoff.to_datetime64())
    active = nonblank & ~total
    rej_id = active & ids.missing
    rej_date = active & (dts.status != OK)
    rej_amt = active & (amt.status != OK)
    rejected = total | rej_id | rej_date | rej_amt | (active & after)
    used = nonblank & ~rejected

    today = pd.Timestamp.today().normalize().to_datetime64()
    neg = used & (amt.values < 0)
    zero = used & (amt.values == 0)
    future = used & (dts.values > today) if cutoff is None else np.zeros(n, dtype=bool)
    ambiguous = used & (amt.doubt > 0) if amt.doubt is not None else np.zeros(n, dtype=bool)
    id_doubt = used & (ids.doubt > 0) if ids.doubt is not None else np.zeros(n, dtype=bool)
    doubtful_rows = neg | zero | future | ambiguous | id_doubt

    parts: list[pd.DataFrame] = []

    def add(mask: np.ndarray, role: int, reason: str | np.ndarray, severity: str) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        src = cols[role]
        vals = [_visible(display(v)) for v in src.iloc[idx].tolist()]
        if isinstance(reason, np.ndarray):
            reason = reason[idx]
        parts.append(
            pd.DataFrame(
                {
                    "row": row_no[idx],
                    "column": names[("customer", "date", "amount")[role]],
                    "value": vals,
                    "reason": reason,
                    "severity": severity,
                    "_order": role,
                }
            )
        )

    def reasons(parsed: Parsed, missing_text: str) -> np.ndarray:
        table = {MISSING: missing_text, **parsed.reasons}
        lookup = np.array([table.get(k, "") for k in range(max(table) + 1)], dtype=object)
        return lookup[parsed.status]

    add(total, 0, REASON_TOTAL, REJECTED)
    add(rej_id, 0, REASON_NO_ID, REJECTED)
    add(rej_date, 1, reasons(dts, REASON_NO_DATE), REJECTED)
    if cutoff is not None:
        add(active & after, 1, f"date after as_of ({cutoff.date()})", REJECTED)
    add(rej_amt, 2, reasons(amt, REASON_NO_AMOUNT), REJECTED)
    if id_doubt.any():
        add(id_doubt, 0, REASON_CONTROL, DOUBTFUL)
    add(future, 1, REASON_FUTURE, DOUBTFUL)
    if amt.doubt is not None and ambiguous.any():
        table = np.array(
            [amt.doubt_reasons.get(k, "") for k in range(max(amt.doubt_reasons) + 1)], dtype=object
        )
        add(ambiguous, 2, table[amt.doubt], DOUBTFUL)
    add(neg, 2, REASON_REFUND, DOUBTFUL)
    add(zero, 2, REASON_ZERO, DOUBTFUL)

    if parts:
        issues = pd.concat(parts, ignore_index=True)
        issues = issues.sort_values(["row", "_order"], kind="stable").drop(columns="_order")
        issues = issues.reset_index(drop=True)[list(ISSUE_COLUMNS)]
        issues["row"] = issues["row"].astype("int64")
        for c in ("column", "value", "reason", "severity"):
            issues[c] = issues[c].astype(object)
    else:
        issues = empty_issues()

    keep = np.flatnonzero(used)
    data = pd.DataFrame(
        {
            "customer_id": ids.values[keep].astype(object),
            "date": dts.values[keep].astype("datetime64[ns]"),
            "amount": amt.values[keep].astype(np.float64),
            "row": row_no[keep],
        }
    )
    counts = {
        "read": int(nonblank.sum()),
        "used": int(used.sum()),
        "rejected": int(rejected.sum()),
        "blank": int(blank.sum()),
        "doubtful": int(doubtful_rows.sum()),
    }
    column_map = {"customer_id": names["customer"], "date": names["date"],
                  "amount": names["amount"]}
    return Transactions(
        data=data, issues=issues, counts=counts, source=source, column_map=column_map
    )
