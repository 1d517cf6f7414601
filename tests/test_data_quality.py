"""Issue 9 items 6 and 8 (a loud data-quality summary; how the data were read) and refunds
read as activity nowhere (cohorts, holdout tracking) while revenue stays net everywhere.
Expected values are hand-worked from the small data sets below."""

from __future__ import annotations

import io
import json
import typing
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cltv_xl.cli import main
from cltv_xl.cohort_tables import cohorts
from cltv_xl.loading import read_transactions
from cltv_xl.models.holdout import calibration_holdout, tracking
from cltv_xl.report import compute_report
from cltv_xl.report.quality import LOUD_SHARE
from cltv_xl.transactions import Transactions

# A: bought in January, a refund only in February, bought again in March.
# B: bought in January and February.  C: refunds only.  D: bought in February and March.
REFUNDS = pd.DataFrame({
    "customer_id": ["A", "A", "A", "B", "B", "C", "D", "D"],
    "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-01", "2024-01-10",
                            "2024-02-15", "2024-02-20", "2024-02-01", "2024-03-31"]),
    "amount": [100.0, -30.0, 50.0, 40.0, 20.0, -15.0, 10.0, 5.0],
})


def _tx() -> Transactions:
    return Transactions.from_frame(REFUNDS)


def test_a_refund_only_month_is_not_an_active_month_in_cohorts():
    ct = cohorts(_tx(), "M", as_of="2024-03-31")
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert list(ct.sizes.index) == [jan, feb]  # C (refunds only) has no cohort
    assert ct.sizes.tolist() == [2, 1]
    # January cohort {A, B}: in February only B bought (A's February holds a refund only).
    assert ct.customers.loc[jan].tolist() == [2.0, 1.0, 1.0]
    assert ct.retention.loc[jan, 1] == 0.5
    # Revenue stays net: February = -30 (A's refund) + 20 (B).
    assert ct.revenue.loc[jan].tolist() == [140.0, -10.0, 50.0]
    assert ct.revenue.loc[feb].dropna().tolist() == [10.0, 5.0]


def test_holdout_counts_purchase_days_only():
    # Calibration to 5 February: A and B are known. In the holdout A has a refund (10 Feb)
    # and a purchase (1 Mar); B a purchase (15 Feb).
    ch = calibration_holdout(_tx(), "2024-02-05", "2024-03-31", time_unit="D")
    assert ch.loc[["A", "B"], "frequency_holdout"].tolist() == [1, 1]
    assert ch.loc["A", "monetary_value_holdout"] == 50.0

    class Flat:  # a fitted purchase model predicting nothing: only the actual counts matter
        params_: typing.ClassVar[dict] = {"x": 1.0}
        time_unit_ = "D"

        def expected_purchases(self, t, x, r, T):
            return t * 0.0

        def expected_purchases_new(self, t):
            return t * 0.0

    result = tracking(Flat(), _tx(), "2024-02-05", "2024-03-31", time_unit="D")
    # Repeat purchase days of A, B and D (first seen 1 Feb, in calibration): B 15 Feb,
    # A 1 Mar, D 31 Mar. A's refund on 10 Feb is not one.
    assert result.cumulative["actual_cumulative"].iloc[-1] == 3.0


def test_report_revenue_is_the_sum_of_used_amounts_including_refund_only_customers():
    rep = compute_report(_tx())
    total = float(REFUNDS["amount"].sum())  # 180: every used amount, refunds netted
    assert rep.kpis["revenue"] == pytest.approx(total)
    assert float(rep.customers["Revenue"].sum()) == pytest.approx(total + 15.0)  # C not there
    assert rep.cells()["REVENUE_REFUND_ONLY"] == -15.0
    assert rep.summary()["data"]["refund_only"] == {"customers": 1, "amount": -15.0}
    assert "1 customer with refunds only: in revenue, not on the Customers sheet" in (
        rep.data_quality())


# ----------------------------------------------------------------- the loud summary
def _csv(tmp_path: Path, blank_every: int, rows: int = 200) -> Path:
    lines = ["Customer,Date,Amount"]
    for i in range(rows):
        cust = "" if blank_every and i % blank_every == 0 else f"c{i % 23}"
        lines.append(f"{cust},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 7}.50")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_many_rejected_rows_are_loud_on_the_terminal_dashboard_sheet_and_json(tmp_path):
    src = _csv(tmp_path, blank_every=4)  # 50 of 200 rows (25 %) have no customer id
    out, js = tmp_path / "r.xlsx", tmp_path / "s.json"
    code, stdout, stderr = _run("report", str(src), "-o", str(out), "--json", str(js))
    assert code in (0, 3), stderr
    assert "50 of 200 rows (25 %)" in stderr and "NOT used" in stderr
    assert "        50 rows   25 %  rejected  missing customer id" in stderr
    assert "Read as: customer = Customer; date = Date" in stdout
    wb = openpyxl.load_workbook(out)
    sentence = _named(wb, "INFO_DATA_QUALITY").value
    assert sentence.startswith("Revenue from identified customers only; 25 % of rows had no "
                               "customer id")
    assert _named(wb, "INFO_READ_AS").value.startswith("Read as: customer = Customer;")
    # The Data issues sheet starts with the summary by reason, then every row.
    ws = wb["Data issues"]
    summary_ref = ws.tables["IssueSummary"].ref
    list_ref = ws.tables["DataIssues"].ref
    assert int(summary_ref.split(":")[1][1:]) < int(list_ref.split(":")[0][1:])
    head = [c.value for c in ws[summary_ref][0]]
    first = dict(zip(head, (c.value for c in ws[summary_ref][1]), strict=True))
    assert first["Reason"] == "missing customer id" and first["Rows"] == 50
    assert first["Share of rows"] == 0.25 and first["Severity"] == "rejected"
    assert first["Example rows"] == "2, 6, 10, 14, 18"  # row 2 is the first under the header
    assert len(list(ws[list_ref])) == 1 + 50
    data = json.loads(js.read_text())
    by = data["issues_by_reason"]
    assert [(i["reason"], i["rows"]) for i in by] == [("missing customer id", 50)]
    assert [e["row"] for e in by[0]["examples"]] == [2, 6, 10]  # a few, never every row
    assert data["column_map"] == {"customer_id": "Customer", "date": "Date", "amount": "Amount"}
    assert data["data"]["reading"]["encoding"] == "utf-8" and data["data"]["loud"] is True


def test_few_rejected_rows_are_not_loud(tmp_path):
    src = _csv(tmp_path, blank_every=100)  # 2 of 200 rows: 1 %, under LOUD_SHARE
    assert LOUD_SHARE > 2 / 200
    _code, _stdout, stderr = _run("report", str(src), "-o", str(tmp_path / "r.xlsx"))
    assert "NOT used" not in stderr
    tx = read_transactions(src)
    rep = compute_report(tx)
    assert rep.data_quality_lines() == []
    assert rep.data_quality().startswith("2 of 200 rows not used (1.0 %): 2 rows had no "
                                         "customer id.")


def test_an_ambiguous_date_order_is_said_on_the_terminal_dashboard_and_json(tmp_path):
    src = tmp_path / "eu.csv"
    src.write_text("Customer;Date;Amount\nc1;01.02.2024;10\nc2;03.04.2024;12\nc1;05.06.2024;9\n",
                   encoding="utf-8")
    js = tmp_path / "s.json"
    _code, _stdout, stderr = _run("report", str(src), "-o", str(tmp_path / "r.xlsx"), "--json",
                                str(js))
    assert "ambiguous" in stderr.lower()
    data = json.loads(js.read_text())
    assert data["data"]["date_order"]["ambiguous"] is True
    assert any("ambiguous" in w for w in data["warnings"])
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert "AMBIGUOUS" in _named(wb, "INFO_READ_AS").value
    assert "WARNING" in _named(wb, "INFO_READ_AS").value


def _named(wb, name: str):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][ref.replace("$", "")]



def test_the_sheet_summary_keeps_the_top_reasons_and_sums_the_rest():
    from cltv_xl.report.quality import MAX_REASONS, summary_table

    n = MAX_REASONS + 2
    summary = pd.DataFrame({
        "reason": [f"reason {i}" for i in range(n)], "severity": "doubtful",
        "rows": list(range(n * 10, 0, -10)), "share_of_rows": [0.01] * n,
        "amount": [1.0] * n, "share_of_amount": [0.001] * n,
        "example_rows": [[100 + i] for i in range(n)],
    })
    table = summary_table(summary)
    assert len(table) == MAX_REASONS
    last = table.iloc[-1]
    assert last["Reason"] == "3 other reasons (see the rows below)"
    assert last["Rows"] == 30 + 20 + 10 and last["Amount"] == 3.0
    assert last["Example rows"] == f"{100 + MAX_REASONS - 1}, {100 + MAX_REASONS}, " \
        f"{100 + MAX_REASONS + 1}"
