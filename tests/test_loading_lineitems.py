"""Line items, cancellations and refunds (issue 9, "What to build" 1-2 and the line-item
acceptance test), with hand-worked expected values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cltv_xl.loading import read_transactions
from cltv_xl.loading.clean import (
    REASON_C_INVOICE,
    REASON_NEG_QTY,
    REASON_PARTIAL,
    REASON_STATUS,
    REASON_STATUS_ORDER,
)
from cltv_xl.summary import rfm_summary

# An online retailer's line items (the UCI "Online Retail" layout): invoices of several lines,
# "C" invoices cancelling lines, rows without a customer id, ids written by pandas as floats.
RETAIL = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom
536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,,United Kingdom
536380,22961,JAM MAKING SET,24,12/1/2010 9:41,1.45,14527.0,United Kingdom
C536400,22961,JAM MAKING SET,-2,12/3/2010 10:00,1.45,14527.0,United Kingdom
536420,22633,HAND WARMER,3,12/5/2010 11:00,1.85,,France
C536450,71053,WHITE METAL LANTERN,-1,12/9/2010 9:00,3.39,17850.0,United Kingdom
536500,22633,HAND WARMER,2,12/13/2010 10:00,1.85,17850.0,United Kingdom
536500,85123A,WHITE HANGING HEART,1,12/13/2010 10:00,2.55,17850.0,United Kingdom
536501,22633,HAND WARMER,10,12/13/2010 15:00,1.85,14527.0,United Kingdom
"""


@pytest.fixture
def retail(tmp_path: Path) -> Path:
    path = tmp_path / "online_retail.csv"
    path.write_text(RETAIL, encoding="utf-8")
    return path


def test_amount_is_quantity_times_unit_price_net_of_cancellations(retail: Path) -> None:
    tx = read_transactions(retail)
    assert tx.column_map == {
        "customer_id": "CustomerID", "date": "InvoiceDate",
        "amount": "Quantity x UnitPrice", "amount_rule": "amount = Quantity x UnitPrice",
        "quantity": "Quantity", "price": "UnitPrice", "order_id": "InvoiceNo",
    }
    # Hand-worked: 17850: 6*2.55 + 6*3.39 - 1*3.39 + 2*1.85 + 1*2.55 = 38.50;
    # 14527: 24*1.45 - 2*1.45 + 10*1.85 = 50.40. Rows 4 and 7 have no customer id.
    assert tx.counts == {"read": 10, "used": 8, "rejected": 2, "blank": 0, "doubtful": 2}
    assert round(tx.data["amount"].sum(), 2) == round(38.50 + 50.40, 2)
    assert sorted(set(tx.data["customer_id"])) == ["14527", "17850"]  # "17850.0" -> "17850"
    assert list(tx.data.loc[tx.data["refund"], "row"]) == [6, 8]
    issues = tx.issues.iloc[:, :5]
    assert [tuple(r) for r in issues.itertuples(index=False)] == [
        (4, "CustomerID", "", "missing customer id", "rejected"),
        (6, "InvoiceNo", "C536400", REASON_C_INVOICE, "doubtful"),
        (7, "CustomerID", "", "missing customer id", "rejected"),
        (8, "InvoiceNo", "C536450", REASON_C_INVOICE, "doubtful"),
    ]
    assert list(tx.issues["amount"].round(2)) == [11.1, -2.9, 5.55, -3.39]
    s = rfm_summary(tx, time_unit="D")
    # 17850 bought on 1 and 13 December; 9 December holds only a cancellation: not a purchase.
    assert s.loc["17850", "frequency"] == 1
    assert s.loc["17850", "recency"] == 12.0
    assert s.loc["17850", "orders"] == 2  # invoices 536365 and 536500, not 4 lines
    assert round(s.loc["17850", "revenue"], 2) == 38.50
    # 14527: purchases on 1 and 13 December; 3 December is a cancellation only.
    assert s.loc["14527", "frequency"] == 1 and s.loc["14527", "orders"] == 2
    assert round(s.loc["14527", "revenue"], 2) == 50.40
    assert s.loc["14527", "monetary_value"] == pytest.approx(18.5)  # repeat day: 10 x 1.85


def test_header_synonyms_and_column_options() -> None:
    frame = pd.DataFrame({
        "Rechnungsnummer": ["R1", "R1", "R2"],
        "Kundennummer": ["k1", "k1", "k2"],
        "Rechnungsdatum": ["13.01.2024", "13.01.2024", "02.02.2024"],
        "Menge": ["2", "1", "3"],
        "Einzelpreis": ["1,50", "10,00", "2,25"],
        "Status": ["bezahlt", "bezahlt", "Storniert"],
    })
    tx = read_transactions(frame)
    assert tx.column_map["amount_rule"] == "amount = Menge x Einzelpreis"
    assert tx.column_map["order_id"] == "Rechnungsnummer"
    assert tx.column_map["status"] == "Status"
    # R2 is cancelled in full with a positive amount: the order and its cancellation net to 0.
    assert list(tx.data["amount"]) == [3.0, 10.0, 0.0]
    assert list(tx.data["refund"]) == [False, False, True]
    assert list(tx.issues["reason"]) == [REASON_STATUS_ORDER]
    # Explicit columns win; a lone "Price" column without a quantity is the amount.
    other = pd.DataFrame({"cust": ["a"], "when": ["2024-01-02"], "n": ["4"], "each": ["2.5"],
                          "Price": ["99"]})
    tx = read_transactions(other, customer_col="cust", date_col="when", quantity_col="n",
                           price_col="each")
    assert list(tx.data["amount"]) == [10.0]
    lone = pd.DataFrame({"Customer": ["a"], "Date": ["2024-01-02"], "Price": ["99"]})
    assert read_transactions(lone).column_map["amount"] == "Price"


def test_status_words_and_negative_quantities() -> None:
    frame = pd.DataFrame({
        "Customer": ["a", "a", "a", "a", "a", "b"],
        "Date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05",
                 "2024-01-06"],
        "Qty": [1, -1, 1, 1, 1, 2],
        "Amount": [10.0, 10.0, -4.0, 8.0, 6.0, 5.0],
        "Order Status": ["Completed", "Completed", "Refunded", "Partially refunded",
                         "annulée", "Devuelto"],
    })
    tx = read_transactions(frame)
    # Negative quantity with a positive amount: a return, made negative. "Refunded" with a
    # negative amount: netted as given. "annulée" / "Devuelto" with positive amounts: 0.
    assert list(tx.data["amount"]) == [10.0, -10.0, -4.0, 8.0, 0.0, 0.0]
    assert list(tx.data["refund"]) == [False, True, True, False, True, True]
    reasons = dict(zip(tx.issues["row"], tx.issues["reason"], strict=True))
    assert reasons == {3: REASON_NEG_QTY, 4: REASON_STATUS, 5: REASON_PARTIAL,
                       6: REASON_STATUS_ORDER, 7: REASON_STATUS_ORDER}
    s = rfm_summary(tx, time_unit="D")
    assert s.loc["a", "frequency"] == 1  # 1 and 4 January; refunds are not purchases
    assert list(s.index) == ["a"] and s.attrs["refund_only"]["customers"] == 1


def test_c_prefix_is_a_marker_only_among_plain_invoice_numbers() -> None:
    frame = pd.DataFrame({
        "Customer": ["a", "a"], "Date": ["2024-01-01", "2024-02-01"],
        "Amount": [5.0, 7.0], "Order ID": ["C100", "C101"],
    })
    tx = read_transactions(frame)  # every id starts with C: it is part of the id
    assert not tx.data["refund"].any() and tx.counts["doubtful"] == 0


def test_missing_quantity_or_price_is_rejected_on_its_column() -> None:
    frame = pd.DataFrame({
        "Customer": ["a", "b", "c", "d", "e"], "Date": ["2024-01-01"] * 5,
        "Quantity": ["2", "", "x", "1e200", "3"], "Unit Price": ["3", "4", "5", "1e200", ""],
    })
    tx = read_transactions(frame)
    assert list(tx.data["amount"]) == [6.0]
    assert [tuple(r) for r in tx.issues.iloc[:, :4].itertuples(index=False)] == [
        (3, "Quantity", "", "missing quantity"),
        (4, "Quantity", "x", "unreadable amount"),
        (5, "Quantity", "1e200", "quantity x price is not a finite number"),
        (6, "Unit Price", "", "missing unit price"),
    ]
    assert tx.counts == {"read": 5, "used": 1, "rejected": 4, "blank": 0, "doubtful": 0}


def test_issue_summary_counts_by_reason(retail: Path) -> None:
    tx = read_transactions(retail)
    summary = tx.issue_summary(examples=1)
    assert list(summary.columns) == [
        "reason", "severity", "rows", "share_of_rows", "amount", "share_of_amount",
        "example_rows",
    ]
    first = summary.iloc[0]
    assert (first["reason"], first["rows"], first["share_of_rows"]) == (
        "cancellation invoice (a 'C' number): netted, not a purchase", 2, 0.2
    )
    assert first["example_rows"] == [6]
    missing = summary[summary["reason"] == "missing customer id"].iloc[0]
    assert round(missing["amount"], 2) == 16.65  # 6 x 1.85 + 3 x 1.85
    # Shares of amount: |amount| over the |amount| of every readable row read.
    total_abs = sum(abs(a) for a in tx.data["amount"]) + 16.65
    assert missing["share_of_amount"] == pytest.approx(16.65 / total_abs)
    empty = read_transactions(pd.DataFrame({"Customer": ["a"], "Date": ["2024-01-01"],
                                            "Amount": [1.0]})).issue_summary()
    assert len(empty) == 0 and list(empty.columns) == list(summary.columns)


def test_cli_report_on_line_items_with_cancellations(tmp_path: Path) -> None:
    """The CDNOW orders as a line-item CSV (two lines per order, invoice numbers, a "C"
    cancellation of one line on its own day, US dates): the report runs and the loader's
    revenue is the orders' revenue net of the cancellations."""
    import io

    from cltv_xl import cli
    from cltv_xl.report.demo import write_demo_orders

    orders = read_transactions(write_demo_orders(tmp_path / "orders.xlsx")).data
    lines, cancelled = [], 0.0
    for k, (cid, day, amount) in enumerate(
        orders[["customer_id", "date", "amount"]].itertuples(index=False)
    ):
        cents = round(amount * 100)
        first = cents // 2
        us = f"{day.month}/{day.day}/{day.year}"
        lines.append(f"{500000 + k},{cid},{us},1,{first / 100:.2f}")
        lines.append(f"{500000 + k},{cid},{us},2,{(cents - first) / 200:.3f}")
        if k % 50 == 0 and cents > 0:  # cancel the first line, on the next day
            nxt = day + pd.Timedelta(days=1)
            lines.append(f"C{500000 + k},{cid},{nxt.month}/{nxt.day}/{nxt.year},-1,"
                         f"{first / 100:.2f}")
            cancelled += first / 100
    path = tmp_path / "lines.csv"
    path.write_text("Invoice No,Customer ID,Invoice Date,Qty,Unit Price\n" + "\n".join(lines),
                    encoding="utf-8")
    tx = read_transactions(path)
    assert tx.column_map["amount_rule"] == "amount = Qty x Unit Price"
    assert tx.counts["rejected"] == 0
    assert round(tx.data["amount"].sum(), 2) == round(orders["amount"].sum() - cancelled, 2)
    s = rfm_summary(tx, time_unit="D")
    plain = rfm_summary(orders, time_unit="D")
    # Same purchase days and orders as the orders themselves: cancellations add none.
    assert (s["frequency"] == plain["frequency"]).all()
    assert (s["orders"] == plain["orders"]).all()
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(path), "-o", str(tmp_path / "r.xlsx"), "--monthfirst"],
                    stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    code = cli.main(["report", str(path), "--dayfirst", "--monthfirst"], stdout=out, stderr=err)
    assert code == 2  # argparse: --dayfirst and --monthfirst exclude each other


_cell = st.one_of(st.none(), st.sampled_from(["", "x", "-", "1,5", "n/a"]),
                  st.integers(-5, 20).map(str), st.floats(-50, 50).map(lambda v: f"{v:.2f}"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "", None]),
                          st.sampled_from(["2024-01-0" + str(d) for d in range(1, 10)] + [""]),
                          _cell, _cell, st.sampled_from(["100", "C100", "101", ""])),
                min_size=1, max_size=30))
def test_line_items_account_for_every_row(rows) -> None:
    frame = pd.DataFrame(rows, columns=["Customer", "Date", "Qty", "Unit Price", "Invoice"],
                         dtype=object)
    tx = read_transactions(frame)
    c = tx.counts
    assert c["read"] == c["used"] + c["rejected"] and c["read"] + c["blank"] == len(frame)
    rejected = set(tx.issues.loc[tx.issues["severity"] == "rejected", "row"])
    assert len(rejected) == c["rejected"] and not rejected & set(tx.data["row"])
    # Each used row's amount is quantity x price, negative when it is a refund line.
    for row, amount, refund in tx.data[["row", "amount", "refund"]].itertuples(index=False):
        q, p = (float(str(frame.iloc[row - 2][k]).replace(",", ".")) for k in ("Qty",
                                                                              "Unit Price"))
        assert amount == pytest.approx(-abs(q * p) if refund else q * p)
        c_marker = str(frame.iloc[row - 2]["Invoice"]).startswith("C") and any(
            str(v)[:1].isdigit() for v in frame["Invoice"]
        )  # "C" marks a cancellation only among plain invoice numbers
        assert refund == (q * p < 0 or q < 0 or c_marker)
