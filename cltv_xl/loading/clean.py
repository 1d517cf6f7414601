"""The one cleaning step: raw columns in, a :class:`~cltv_xl.transactions.Transactions` out.

Every reader (workbooks, text files, Parquet, DataFrames) and the worksheet functions end here,
so the rules below are the same everywhere:

* a row whose id, date and amount (or quantity and price) cells are all empty is *blank*:
  counted in ``blank``, not in ``read``;
* line items: without an amount column, amount = quantity x unit price;
* a row is *rejected* (one issue line per problem cell) when its id is missing, its date is
  missing/unreadable/outside 1900-2099 or after ``as_of``, or its amount (quantity, price) is
  missing/unreadable;
* a *summary row* (id "Total", "Grand total", "Sum", ...; or an empty id with an amount equal to
  the sum of the other rows) is rejected with the single reason "summary/total row";
* a *refund* (negative amount or quantity, a cancellation invoice "C123" among plain invoice
  numbers, or a status such as "Cancelled", "Refunded", "Storniert") is used, netted into
  revenue and flagged ``refund`` so that it never counts as a purchase day; doubtful;
* other used rows may be *doubtful*: zero amounts (kept), dates after today when no ``as_of`` is
  given (kept), amounts whose separator was ambiguous (kept as read), partly refunded orders.
  Each gets one issue line with severity "doubtful".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..safety import XML_ILLEGAL
from ..timeunits import as_date
from ..transactions import (
    DOUBTFUL,
    ISSUE_COLUMNS,
    REASON_TOTAL,
    REJECTED,
    Transactions,
    attach_customer_codes,
    empty_issues,
    sorted_factorize,
    text_column,
)
from .amounts import parse_amounts
from .dates import DateOrder, parse_dates
from .ids import parse_ids
from .parsed import MISSING, OK, Parsed, as_series, display, exact_factorize

REASON_REFUND = "negative amount (refund/return): netted, not a purchase"
REASON_NEG_QTY = "negative quantity (return): netted, not a purchase"
REASON_C_INVOICE = "cancellation invoice (a 'C' number): netted, not a purchase"
REASON_STATUS = "cancelled/refunded (status column): netted, not a purchase"
REASON_STATUS_ORDER = "cancelled/refunded order (status column): nets to 0, not a purchase"
REASON_PARTIAL = "partly refunded (status column): amount used as given"
REASON_NO_QTY = "missing quantity"
REASON_NO_PRICE = "missing unit price"
REASON_ZERO = "zero amount: kept"
REASON_FUTURE = "date after today: kept"
REASON_NO_ID = "missing customer id"
REASON_NO_DATE = "missing date"
REASON_NO_AMOUNT = "missing amount"


#: Status words (accents dropped, lower case, letters only) that mark a cancellation or refund,
#: in English, German, French, Spanish and Dutch; matched as parts of the status text.
CANCEL_WORDS = (
    "cancel", "refund", "return", "void", "reversed", "reversal", "chargeback", "creditnote",
    "storn", "gutschrift", "retour", "erstatt", "annul", "rembours", "anulad", "cancelad",
    "reembols", "devuel", "devoluc", "geannuleerd", "terugbetaal", "creditnota",
)
#: Words that make a cancellation word partial ("Partially refunded").
PARTIAL_WORDS = ("partial", "teilweise", "teilerstatt", "partiel", "parcial", "gedeeltelijk")
_CANCEL = re.compile("|".join(CANCEL_WORDS))
_PARTIAL = re.compile("|".join(PARTIAL_WORDS))
_C_INVOICE = re.compile(r"^[Cc]\d")
_PLAIN_INVOICE = re.compile(r"^\d")


def _status_kind(statuses: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (cancelled or refunded in full, partly refunded) from a status column."""
    codes, uniq = exact_factorize(
        statuses.astype(object).where(statuses.notna(), "").to_numpy(dtype=object))
    norm = [
        re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", str(v).casefold())) for v in uniq
    ]
    cancel = np.array([bool(_CANCEL.search(t)) for t in norm], dtype=bool)
    partial = np.array([bool(_PARTIAL.search(t)) for t in norm], dtype=bool)
    full = cancel & ~partial
    return full[codes], (cancel & partial)[codes]


def _c_invoices(order_ids: np.ndarray) -> np.ndarray:
    """Order ids that are cancellation invoices: "C" + digits, in a column whose other ids are
    plain numbers (so a "C" is a marker, not part of every id)."""
    codes, uniq = exact_factorize(np.asarray(order_ids, dtype=object))  # "" when blank
    texts = pd.Series(np.asarray(uniq, dtype=object), dtype=object)
    c = texts.str.match(_C_INVOICE).to_numpy(dtype=bool)
    if not c.any() or not texts.str.match(_PLAIN_INVOICE).any():
        return np.zeros(len(codes), dtype=bool)
    return c[codes]


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
    amounts: Sequence[object] | pd.Series | np.ndarray | None = None,
    *,
    quantities: Sequence[object] | pd.Series | np.ndarray | None = None,
    prices: Sequence[object] | pd.Series | np.ndarray | None = None,
    orders: Sequence[object] | pd.Series | np.ndarray | None = None,
    statuses: Sequence[object] | pd.Series | np.ndarray | None = None,
    rows: Sequence[int] | np.ndarray | None = None,
    dayfirst: bool | None = None,
    as_of: object = None,
    names: dict[str, str] | None = None,
    source: str = "cells",
    text_cells: bool = False,
    reading: dict[str, str] | None = None,
) -> Transactions:
    """Clean raw columns of cell values into :class:`Transactions`.

    This is what :func:`read_transactions` runs after reading a file or frame, and what the
    worksheet functions call with the three ranges a user selected.

    Parameters
    ----------
    customer_ids, dates, amounts:
        Equal-length columns of raw cell values (str, int, float, datetime/date, Excel serial
        numbers, None, NaN, ""), as lists, arrays, Series or Arrow arrays. ``amounts`` may be
        None when ``quantities`` and ``prices`` are given (line items).
    quantities, prices:
        Line items: without ``amounts``, amount = quantity x unit price. A quantity given with
        an amount only marks returns (a negative quantity).
    orders:
        Order or invoice ids: kept as ``order_id`` (so orders are counted, not lines); a
        "C"-prefixed invoice number among plain numbers is a cancellation.
    statuses:
        An order status; "cancelled", "refunded", "storniert", ... mark a refund.
    rows:
        Source row number of each value, for issue lines (default 2, 3, ...: a header on row 1).
    dayfirst:
        Day/month order of text dates such as "12/01/1997": True (12 January), False
        (December 1) or None (inferred from the column; see :mod:`cltv_xl.loading.dates`).
    as_of:
        Rows dated after it are rejected.
    names:
        Source header per role (``customer``, ``date``, ``amount``, ``quantity``, ``price``,
        ``order``, ``status``), used in issue lines and in :attr:`Transactions.column_map`.
    source:
        Label stored in :attr:`Transactions.source`.
    text_cells:
        The cells come from a text file: number-like ids such as "17850.0" become "17850".
    reading:
        How the source was read (container, encoding, delimiter), kept in
        :attr:`Transactions.reading`.
    """
    raw = {"customer": customer_ids, "date": dates, "amount": amounts, "quantity": quantities,
           "price": prices, "order": orders, "status": statuses}
    cols = {k: as_series(v) for k, v in raw.items() if v is not None}
    derived = "amount" not in cols
    if derived and not ("quantity" in cols and "price" in cols):
        raise InputError("amounts are needed, or quantities and prices (line items)")
    n = len(cols["customer"])
    if any(len(c) != n for c in cols.values()):
        raise InputError(
            "all columns must have the same length; got "
            + ", ".join(f"{k} {len(c)}" for k, c in cols.items())
        )
    row_no = (
        np.arange(2, n + 2, dtype=np.int64)
        if rows is None
        else np.asarray(rows, dtype=np.int64).ravel()
    )
    if len(row_no) != n:
        raise InputError(f"rows must give one row number per value ({n}); got {len(row_no)}")
    if dayfirst is not None and not isinstance(dayfirst, bool | np.bool_):
        raise InputError(f"dayfirst must be True, False or None (infer); got {dayfirst!r}")
    defaults = {"customer": "customer_id", "date": "date", "amount": "amount",
                "quantity": "quantity", "price": "price", "order": "order_id",
                "status": "status"}
    names = {**defaults, **(names or {})}
    cutoff = as_date(as_of, "as_of")

    ids = parse_ids(cols["customer"], text_cells=text_cells)
    dts = parse_dates(cols["date"], dayfirst=None if dayfirst is None else bool(dayfirst))
    qty = parse_amounts(cols["quantity"]) if "quantity" in cols else None
    if derived:
        assert qty is not None
        prc = parse_amounts(cols["price"])
        with np.errstate(invalid="ignore", over="ignore"):
            product = qty.values * prc.values
        overflow = qty.ok & prc.ok & ~np.isfinite(product)
        ok = qty.ok & prc.ok & ~overflow
        product = np.where(ok, product, np.nan)
        amt_missing = qty.missing & prc.missing
        amt = Parsed(values=product, status=np.where(ok, OK, np.where(amt_missing, MISSING, 2)),
                     doubt=np.maximum(qty.doubt, prc.doubt),  # type: ignore[arg-type]
                     doubt_reasons=qty.doubt_reasons)
    else:
        amt = parse_amounts(cols["amount"])
        amt_missing = amt.missing
    blank = ids.missing & dts.missing & amt_missing
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

    # Refunds and cancellations.
    values = amt.values.copy()
    neg_amt = used & (values < 0)
    neg_qty = used & (qty.ok & (qty.values < 0)) if qty is not None else np.zeros(n, bool)
    order_ids = parse_ids(cols["order"], text_cells=text_cells) if "order" in cols else None
    c_inv = (used & _c_invoices(order_ids.values)) if order_ids is not None else np.zeros(n, bool)
    if "status" in cols:
        st_full, st_partial = _status_kind(cols["status"])
        st_full, st_partial = used & st_full, used & st_partial
    else:
        st_full = st_partial = np.zeros(n, dtype=bool)
    credit = neg_amt | neg_qty | c_inv | (st_full & (values < 0))
    cancelled_order = st_full & ~credit & (values > 0)
    values = np.where(credit, -np.abs(values), values)
    original = amt.values.copy()
    values = np.where(cancelled_order, 0.0, values)
    refund = credit | (st_full & used)

    today = pd.Timestamp.today().normalize().to_datetime64()
    zero = used & (values == 0) & ~refund
    future = used & (dts.values > today) if cutoff is None else np.zeros(n, dtype=bool)
    ambiguous = used & (amt.doubt > 0) if amt.doubt is not None else np.zeros(n, dtype=bool)
    id_doubt = used & (ids.doubt > 0) if ids.doubt is not None else np.zeros(n, dtype=bool)
    partial = st_partial & ~refund
    doubtful_rows = refund | zero | future | ambiguous | id_doubt | partial

    parts: list[pd.DataFrame] = []
    role_order = {r: i for i, r in enumerate(defaults)}

    def add(mask: np.ndarray, role: str, reason: str | np.ndarray, severity: str) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        sub = cols[role].iloc[idx].reset_index(drop=True)
        # Display each distinct value once, exactly as in the cell (object and text columns
        # through exact_factorize, which keeps TRUE apart from 1 and text with NUL whole).
        if sub.dtype == object or isinstance(sub.dtype, pd.StringDtype):
            codes, uniq = exact_factorize(sub.to_numpy(dtype=object), bools_apart=True)
        else:
            codes, uniq = pd.factorize(sub)
        uniq = np.asarray(uniq, dtype=object)
        shown = np.array([_visible(display(v)) for v in uniq] + [""], dtype=object)
        vals = shown[codes]  # code -1 (an empty cell) picks the trailing ""
        if isinstance(reason, np.ndarray):
            reason = reason[idx]
        parts.append(
            pd.DataFrame(
                {
                    "row": row_no[idx],
                    "column": names[role],
                    "value": vals,
                    "reason": reason,
                    "severity": severity,
                    "amount": original[idx],
                    "_order": role_order[role],
                }
            )
        )

    def reasons(parsed: Parsed, missing_text: str) -> np.ndarray:
        table = {MISSING: missing_text, **parsed.reasons}
        lookup = np.array([table.get(k, "") for k in range(max(table) + 1)], dtype=object)
        return lookup[parsed.status]

    add(total, "customer", REASON_TOTAL, REJECTED)
    add(rej_id, "customer", REASON_NO_ID, REJECTED)
    add(rej_date, "date", reasons(dts, REASON_NO_DATE), REJECTED)
    if cutoff is not None:
        add(active & after, "date", f"date after as_of ({cutoff.date()})", REJECTED)
    if derived:
        assert qty is not None
        add(rej_amt & (qty.status != OK), "quantity", reasons(qty, REASON_NO_QTY), REJECTED)
        add(rej_amt & (prc.status != OK), "price", reasons(prc, REASON_NO_PRICE), REJECTED)
        add(rej_amt & overflow, "quantity", "quantity x price is not a finite number", REJECTED)
    else:
        add(rej_amt, "amount", reasons(amt, REASON_NO_AMOUNT), REJECTED)
    if id_doubt.any():
        id_reasons = np.array(
            [ids.doubt_reasons.get(k, "") for k in range(max(ids.doubt_reasons) + 1)], dtype=object
        )
        add(id_doubt, "customer", id_reasons[ids.doubt], DOUBTFUL)
    add(future, "date", REASON_FUTURE, DOUBTFUL)
    if amt.doubt is not None and ambiguous.any():
        table = np.array(
            [amt.doubt_reasons.get(k, "") for k in range(max(amt.doubt_reasons) + 1)], dtype=object
        )
        if derived:
            from_price = prc.doubt > 0  # type: ignore[operator]
            add(ambiguous & ~from_price, "quantity", table[amt.doubt], DOUBTFUL)
            add(ambiguous & from_price, "price", table[amt.doubt], DOUBTFUL)
        else:
            add(ambiguous, "amount", table[amt.doubt], DOUBTFUL)
    value_role = "quantity" if derived else "amount"
    add(c_inv, "order", REASON_C_INVOICE, DOUBTFUL)
    add(st_full & ~c_inv & ~cancelled_order, "status", REASON_STATUS, DOUBTFUL)
    add(cancelled_order, "status", REASON_STATUS_ORDER, DOUBTFUL)
    add(neg_qty & ~c_inv & ~st_full, "quantity", REASON_NEG_QTY, DOUBTFUL)
    add(neg_amt & ~neg_qty & ~c_inv & ~st_full, value_role, REASON_REFUND, DOUBTFUL)
    add(partial, "status", REASON_PARTIAL, DOUBTFUL)
    add(zero, value_role, REASON_ZERO, DOUBTFUL)

    if parts:
        issues = pd.concat(parts, ignore_index=True)
        issues = issues.sort_values(["row", "_order"], kind="stable").drop(columns="_order")
        issues = issues.reset_index(drop=True)[list(ISSUE_COLUMNS)]
        issues["row"] = issues["row"].astype("int64")
        issues["amount"] = issues["amount"].astype("float64")
        for c in ("column", "value", "reason", "severity"):
            issues[c] = issues[c].astype(object)
    else:
        issues = empty_issues()

    keep = np.flatnonzero(used)
    id_codes, id_uniques = _sorted_codes(ids, keep)
    data = pd.DataFrame(
        {
            "customer_id": text_column(id_uniques, id_codes),
            "date": dts.values[keep].astype("datetime64[ns]"),
            "amount": values[keep].astype(np.float64),
            "row": row_no[keep],
            "refund": refund[keep],
        }
    )
    if order_ids is not None:
        data["order_id"] = order_ids.values[keep].astype(object)
    counts = {
        "read": int(nonblank.sum()),
        "used": int(used.sum()),
        "rejected": int(rejected.sum()),
        "blank": int(blank.sum()),
        "doubtful": int(doubtful_rows.sum()),
    }
    column_map = _column_map(names, cols, derived)
    order: DateOrder = dts.note  # type: ignore[assignment]
    warnings = _warnings(order, names["date"])
    tx = Transactions(
        data=data, issues=issues, counts=counts, source=source, column_map=column_map,
        date_order={"column": names["date"], **order.as_dict()}, warnings=warnings,
        reading=dict(reading or {}),
    )
    attach_customer_codes(tx, id_codes, id_uniques)
    return tx


def _sorted_codes(ids: Parsed, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The customer codes of the used rows ``keep`` (:func:`cltv_xl.transactions.customer_codes`:
    dense, in sorted id order) and the sorted ids, from the id parser's factorization: only the
    distinct labels are sorted (two raw values may clean to the same id, e.g. " 17" and "17"),
    then the row codes are mapped, with no second pass hashing every row."""
    assert ids.codes is not None and ids.uniques is not None
    label_codes, labels = sorted_factorize(np.asarray(ids.uniques, dtype=object))
    row = label_codes[ids.codes[keep]]  # used rows have an id: codes >= 0
    present = np.zeros(len(labels), dtype=bool)
    present[row] = True
    renumber = np.cumsum(present) - 1
    return renumber[row], np.asarray(labels, dtype=object)[present]


def _column_map(names: dict[str, str], cols: dict[str, pd.Series], derived: bool) -> dict:
    """Which source column became what; how the amount was made."""
    out = {"customer_id": names["customer"], "date": names["date"]}
    if derived:
        out["amount"] = f"{names['quantity']} x {names['price']}"
        out["amount_rule"] = f"amount = {names['quantity']} x {names['price']}"
    else:
        out["amount"] = names["amount"]
    for role, key in (("quantity", "quantity"), ("price", "price"), ("order", "order_id"),
                      ("status", "status")):
        if role in cols:
            out[key] = names[role]
    return out


def _warnings(order: DateOrder, column: str) -> list[str]:
    """Loud notes for the terminal, the Dashboard and the JSON."""
    out: list[str] = []
    if order.ambiguous:
        out.append(f"Date order of column '{column}' is ambiguous: {order.evidence}.")
    if order.conflicting:
        out.append(
            f"Column '{column}' mixes day/month orders: read as {order.order} "
            f"({order.evidence}); {order.conflicting} distinct value(s) written the other way "
            "were rejected."
        )
    return out
