"""The data-quality summary of a report: how the data were read and what was lost, in words.

One place turns :meth:`cltv_xl.transactions.Transactions.issue_summary`, ``counts``,
``column_map``, ``date_order``, ``warnings`` and ``reading`` into what every front end shows:

* :func:`summary_table` - the Data issues sheet's first table (one row per reason);
* :func:`quality_sentence` - the Dashboard's plain sentence ("Revenue from identified
  customers only; 25 % of rows had no customer id ...");
* :func:`read_as_sentence` - the Dashboard's "Read as" note (columns, amount rule, date order);
* :func:`terminal_lines` - the loud lines the ``cltv-xl`` command prints when more than
  :data:`LOUD_SHARE` of the rows or of the amount were rejected;
* :func:`json_issues` - the JSON's counts by reason with a few example rows each (never every
  row: the Data issues sheet lists them all).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..loading.clean import (
    REASON_NO_AMOUNT,
    REASON_NO_DATE,
    REASON_NO_ID,
    REASON_NO_PRICE,
    REASON_NO_QTY,
)
from ..transactions import REASON_TOTAL, REJECTED

#: Share of the rows read, or of the amount read, above which rejected rows are reported
#: loudly: the terminal lists the top reasons, the Dashboard's sentence says what is missing.
LOUD_SHARE = 0.02
#: Reasons listed on the Data issues sheet's summary table; the rest are one "other reasons"
#: row (the table sits above the list of every row and has room for this many).
MAX_REASONS = 8
#: Reasons the terminal lists when the loss is loud.
TERMINAL_REASONS = 5
#: Example rows per reason in the JSON.
JSON_EXAMPLES = 3

#: Header texts of the Data issues sheet's summary table (:data:`TABLE_COLUMNS` "IssueSummary").
SUMMARY_COLUMNS: tuple[str, ...] = (
    "Rows", "Share of rows", "Amount", "Reason", "Severity", "Share of amount", "Example rows",
)

#: Loader reasons (``cltv_xl.loading.clean``) in the words of the Dashboard's sentence.
_PLAIN = {
    REASON_NO_ID: "had no customer id",
    REASON_NO_DATE: "had no date",
    REASON_NO_AMOUNT: "had no amount",
    REASON_NO_QTY: "had no quantity",
    REASON_NO_PRICE: "had no unit price",
    REASON_TOTAL: "repeated a total",
}


def _plain(reason: str) -> str:
    return _PLAIN.get(reason, f"rejected ({reason})")


def pct(share: float) -> str:
    """A share as the Dashboard writes it: "25 %", "2.4 %", "0.3 %"."""
    if share is None or not math.isfinite(share):
        return "n/a"
    value = share * 100
    if value >= 10 or value == 0:
        return f"{value:.0f} %"
    return f"{value:.1f} %" if value >= 0.1 else f"{value:.2f} %"


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def rejected_shares(summary: pd.DataFrame, counts: dict[str, int]) -> tuple[float, float]:
    """(share of rows rejected, share of the absolute amount read that the rejected rows
    carry)."""
    read = max(int(counts.get("read", 0)), 1)
    rows = int(counts.get("rejected", 0)) / read
    rej = summary[summary["severity"] == REJECTED] if len(summary) else summary
    amount = float(np.nansum(rej["share_of_amount"].to_numpy(dtype=np.float64))) if len(
        rej) else 0.0
    return rows, min(amount, 1.0)


def is_loud(summary: pd.DataFrame, counts: dict[str, int]) -> bool:
    """True when more than :data:`LOUD_SHARE` of the rows or of the amount were rejected."""
    rows, amount = rejected_shares(summary, counts)
    return rows > LOUD_SHARE or amount > LOUD_SHARE


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The Data issues sheet's summary: one row per (reason, severity), most rows first, at
    most :data:`MAX_REASONS` rows (the rest summed into "other reasons")."""
    if len(summary) > MAX_REASONS:
        head, rest = summary.iloc[: MAX_REASONS - 1], summary.iloc[MAX_REASONS - 1:]
        other = pd.DataFrame([{
            "reason": f"{len(rest)} other reasons (see the rows below)",
            "severity": "/".join(sorted(set(rest["severity"]))),
            "rows": int(rest["rows"].sum()),
            "share_of_rows": float(rest["share_of_rows"].sum()),
            "amount": float(np.nansum(rest["amount"])),
            "share_of_amount": float(np.nansum(rest["share_of_amount"])),
            "example_rows": sorted(r for rows in rest["example_rows"] for r in rows)[:5],
        }])
        summary = pd.concat([head, other], ignore_index=True)
    return pd.DataFrame({
        "Rows": summary["rows"].to_numpy(dtype=np.int64),
        "Share of rows": summary["share_of_rows"].to_numpy(dtype=np.float64),
        "Amount": summary["amount"].to_numpy(dtype=np.float64),
        "Reason": [str(r) for r in summary["reason"]],
        "Severity": [str(s) for s in summary["severity"]],
        "Share of amount": summary["share_of_amount"].to_numpy(dtype=np.float64),
        "Example rows": [", ".join(str(int(r)) for r in rows) for rows in summary["example_rows"]],
    }, columns=list(SUMMARY_COLUMNS))


def quality_sentence(summary: pd.DataFrame, counts: dict[str, int],
                     refund_only: dict[str, Any] | None = None) -> str:
    """The Dashboard's plain sentence on what the figures leave out."""
    read, rejected = int(counts.get("read", 0)), int(counts.get("rejected", 0))
    rows_share, amount_share = rejected_shares(summary, counts)
    rej = summary[summary["severity"] == REJECTED] if len(summary) else summary
    parts: list[str] = []
    if rejected == 0:
        parts.append(f"All {read:,} rows read were used")
    else:
        top = str(rej["reason"].iloc[0]) if len(rej) else ""
        head = ("Revenue from identified customers only" if top == REASON_NO_ID
                else "Revenue from the rows used only")
        if is_loud(summary, counts):
            reasons = [f"{pct(r.share_of_rows)} of rows {_plain(str(r.reason))}"
                       for r in rej.head(3).itertuples()]
            parts.append(f"{head}; {', '.join(reasons)} ({rejected:,} of {read:,} rows and "
                         f"{pct(amount_share)} of the amount read not used)")
        else:
            reasons = [f"{_rows(int(r.rows))} {_plain(str(r.reason))}"
                       for r in rej.head(3).itertuples()]
            parts.append(f"{rejected:,} of {read:,} rows not used ({pct(rows_share)}): "
                         f"{', '.join(reasons)}")
    refunds = summary[summary["reason"].astype(str).str.contains("not a purchase")] if len(
        summary) else summary
    if len(refunds):
        n = int(refunds["rows"].sum())
        parts.append(f"{_rows(n)} of refunds or cancellations netted into revenue, never "
                     "counted as purchases")
    if refund_only and refund_only.get("customers"):
        k = int(refund_only["customers"])
        parts.append(f"{k:,} customer{'' if k == 1 else 's'} with refunds only: in revenue, not "
                     "on the Customers sheet")
    return ". ".join(parts) + ". Details: Data issues sheet."


def date_order_text(date_order: dict[str, Any]) -> str:
    """How the date column's day/month order was decided, in words."""
    order, how = date_order.get("order"), date_order.get("how", "")
    if not order:
        return "no day/month order to decide"
    if how == "ambiguous":
        return f"{order}, AMBIGUOUS: no value decides ({date_order.get('evidence', '')})"
    if how == "inferred":
        evidence = date_order.get("evidence", "")
        return f"{order}, inferred: {evidence}" if evidence else f"{order}, inferred"
    return f"{order}, as asked ({how})"


def read_as_sentence(column_map: dict[str, str], date_order: dict[str, Any],
                     reading: dict[str, str] | None = None) -> str:
    """The Dashboard's "Read as" note: which column is what, how the amount was made, the
    date order and, for text files, the encoding."""
    if not column_map:
        return ""
    bits = [f"customer = {column_map.get('customer_id', '?')}",
            f"date = {column_map.get('date', '?')} ({date_order_text(date_order)})"]
    bits.append(column_map.get("amount_rule") or f"amount = {column_map.get('amount', '?')}")
    if column_map.get("order_id"):
        bits.append(f"orders = distinct {column_map['order_id']}")
    if column_map.get("status"):
        bits.append(f"status = {column_map['status']}")
    if reading and reading.get("encoding"):
        bits.append(f"encoding {reading['encoding']}")
    return "Read as: " + "; ".join(bits) + "."


def terminal_lines(summary: pd.DataFrame, counts: dict[str, int]) -> list[str]:
    """The loud lines: when more than :data:`LOUD_SHARE` of the rows or of the amount were
    rejected, the share and the top reasons with their counts; else nothing."""
    if not is_loud(summary, counts):
        return []
    rows_share, amount_share = rejected_shares(summary, counts)
    out = [f"{counts.get('rejected', 0):,} of {counts.get('read', 0):,} rows "
           f"({pct(rows_share)}) carrying {pct(amount_share)} of the amount read were NOT "
           f"used (above the {pct(LOUD_SHARE)} threshold); top reasons:"]
    ranked = summary.assign(_rej=summary["severity"] != REJECTED).sort_values(
        ["_rej", "rows"], ascending=[True, False], kind="stable")
    for r in ranked.head(TERMINAL_REASONS).itertuples():
        out.append(f"  {int(r.rows):>10,} rows {pct(r.share_of_rows):>6}  {r.severity:<9} "
                   f"{r.reason}")
    return out


def json_issues(summary: pd.DataFrame, issues: pd.DataFrame,
                examples: int = JSON_EXAMPLES) -> list[dict[str, Any]]:
    """Counts by reason with the first ``examples`` rows of each (row, column, value)."""
    out = []
    first = issues.drop_duplicates(["Reason", "Severity", "Row"]) if len(issues) else issues
    groups = {key: g for key, g in first.groupby(["Reason", "Severity"], sort=False)} if len(
        first) else {}
    for r in summary.itertuples():
        g = groups.get((str(r.reason), str(r.severity)))
        rows = [] if g is None else g.head(examples)
        out.append({
            "reason": str(r.reason), "severity": str(r.severity), "rows": int(r.rows),
            "share_of_rows": _num(r.share_of_rows), "amount": _num(r.amount),
            "share_of_amount": _num(r.share_of_amount),
            "examples": [] if g is None else [
                {"row": int(row), "column": str(col), "value": str(val)}
                for row, col, val in zip(rows["Row"], rows["Column"], rows["Value"],
                                         strict=True)],
        })
    return out


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
