"""A realistic sample orders workbook for ``cltv-xl demo``, made from the bundled CDNOW data.

The sheet looks like an export an analyst receives: a title row, a header
"Customer ID / Order Date / CDs / Amount", ids with leading zeros (text), real dates, and a few
messy rows that the Data issues sheet will list: a refund, a blank row, a row without a
customer id, an unreadable date, and a TOTAL row at the bottom.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ..datasets import load_cdnow, subscription_invoices
from ..safety import atomic_write

#: Messy rows added to the sample: (position after this many orders, row values, why).
MESSY_ROWS = (
    (1200, ["00007", dt.datetime(1997, 3, 2), -1, -11.77], "a refund (negative amount)"),
    (2500, [None, None, None, None], "a blank row"),
    (3100, [None, dt.datetime(1997, 4, 11), 2, 25.98], "no customer id"),
    (4800, ["00123", "unknown", 1, 12.49], "an unreadable date"),
)


def write_demo_orders(path: str | Path) -> Path:
    """Write the sample orders workbook to ``path`` (atomically) and return the path."""
    cdnow = load_cdnow().sort_values(["date", "customer_id"], kind="stable")
    ids = cdnow["customer_id"].astype(int).map("{:05d}".format).tolist()
    dates = [ts.to_pydatetime() for ts in cdnow["date"]]
    cds = cdnow["cds"].astype(int).tolist()
    amounts = cdnow["amount"].astype(float).tolist()
    extra = {pos: values for pos, values, _why in MESSY_ROWS}

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Orders")
        ws.column_dimensions["A"].width = 13
        ws.column_dimensions["B"].width = 12
        ws.column_dimensions["D"].width = 10
        title = WriteOnlyCell(ws, "CDNOW orders, January 1997 - June 1998 (sample)")
        title.font = Font(bold=True, size=13)
        ws.append([title])
        ws.append([])
        heads = []
        for text in ("Customer ID", "Order Date", "CDs", "Amount"):
            cell = WriteOnlyCell(ws, text)
            cell.font = Font(bold=True)
            heads.append(cell)
        ws.append(heads)

        def date_cell(value):
            if not isinstance(value, dt.datetime):
                return value
            cell = WriteOnlyCell(ws, value)
            cell.number_format = "yyyy-mm-dd"
            return cell

        def id_cell(value):
            if value is None:
                return None
            cell = WriteOnlyCell(ws, value)
            cell.number_format = "@"
            return cell

        for i, row in enumerate(zip(ids, dates, cds, amounts, strict=True)):
            if i in extra:
                e = extra[i]
                ws.append([id_cell(e[0]), date_cell(e[1]), e[2], e[3]])
            ws.append([id_cell(row[0]), date_cell(row[1]), row[2], row[3]])
        total = sum(amounts) + sum(e[3] for e in extra.values() if e[3] is not None)
        ws.append(["TOTAL", None, None, round(total, 2)])
        wb.save(tmp)

    return atomic_write(Path(path), write)


#: Report options of ``cltv-xl demo --subscription``: a software business keeps most of its
#: revenue (margin 0.8) and spends about a month of a mid plan to win a customer (CAC 50).
SUBSCRIPTION_DEMO = {"cac": 50.0, "margin": 0.8, "currency": "USD", "business": "auto"}


def write_subscription_invoices(path: str | Path, seed: int = 14) -> tuple[Path, dt.date]:
    """Write the sample SaaS invoices (:func:`cltv_xl.datasets.subscription_invoices`) to
    ``path`` (atomically): one sheet "Invoices" with Invoice, Customer ID, Invoice Date, Plan
    and Amount. Returns the path and the as-of date (the last day of the last month billed)."""
    frame = subscription_invoices(seed=seed)
    as_of = pd.Timestamp(frame.attrs["as_of"]).date()

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Invoices")
        for col, width in zip("ABCDE", (13, 12, 13, 10, 10), strict=True):
            ws.column_dimensions[col].width = width
        heads = []
        for text in ("Invoice", "Customer ID", "Invoice Date", "Plan", "Amount"):
            cell = WriteOnlyCell(ws, text)
            cell.font = Font(bold=True)
            heads.append(cell)
        ws.append(heads)
        for inv, cust, date, plan, amount in zip(
                frame["invoice_id"], frame["customer_id"], frame["date"], frame["plan"],
                frame["amount"], strict=True):
            day = WriteOnlyCell(ws, date.to_pydatetime())
            day.number_format = "yyyy-mm-dd"
            ws.append([inv, cust, day, plan, float(amount)])
        wb.save(tmp)

    return atomic_write(Path(path), write), as_of
