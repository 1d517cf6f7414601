"""The retailer-style sample (cltv_xl.report.retail, the layout of the public online-retail
log): the report's revenue is Σ quantity × unit price over the lines with a customer id, net
of the "C" cancellations, computed here straight from the generated lines; the loud
data-quality summary names the quarter of rows without an id; and the workbook's KPI_REVENUE
formula recalculates in LibreOffice to the same figure (refund-only customers included)."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from lo import recalculate

from cltv_xl.report import build_report, compute_report
from cltv_xl.report.retail import retail_lines, write_retail_csv
from cltv_xl.report.xlsx_writer import write_report
from cltv_xl.transactions import Transactions

pytestmark = pytest.mark.filterwarnings("ignore::cltv_xl.errors.CltvWarning")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("retail")
    lines = retail_lines()
    path = write_retail_csv(folder / "online_retail.csv", lines)
    report = build_report(path, folder / "report.xlsx", json_path=folder / "s.json",
                          currency="GBP", include_transactions=False)
    return lines, report, folder


def test_revenue_is_quantity_times_price_net_of_cancellations_over_identified_customers(sample):
    lines, report, folder = sample
    known = lines[lines["CustomerID"].notna()]
    expected = float((known["Quantity"] * known["UnitPrice"]).sum())  # "C" lines are negative
    assert (lines.loc[lines["InvoiceNo"].str.startswith("C"), "Quantity"] < 0).all()
    assert report.kpis["revenue"] == pytest.approx(expected, rel=1e-12)
    assert report.kpis["customers"] == known["CustomerID"].nunique()
    # Orders are distinct invoices, not lines.
    purchases = known[~known["InvoiceNo"].str.startswith("C")]
    assert int(report.customers["Orders"].sum()) == purchases["InvoiceNo"].nunique()
    guests = int(lines["CustomerID"].isna().sum())
    assert report.counts["rejected"] == guests and report.counts["read"] == len(lines)
    assert report.data_quality().startswith(
        f"Revenue from identified customers only; {round(100 * guests / len(lines)):.0f} % of "
        "rows had no customer id")
    data = json.loads((folder / "s.json").read_text())
    assert data["column_map"]["amount_rule"] == "amount = Quantity x UnitPrice"
    assert (folder / "s.json").stat().st_size < 20_000  # counts by reason, not every row


def test_revenue_formula_recalculates_with_refund_only_customers(tmp_path):
    frame = pd.DataFrame({
        "customer_id": ["A", "A", "B", "B", "C"],
        "date": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-01-10", "2024-06-15",
                                "2024-02-20"]),
        "amount": [100.0, 50.0, 40.0, 20.0, -15.0],  # C: refunds only
    })
    report = compute_report(Transactions.from_frame(frame))
    assert report.kpis["revenue"] == 195.0
    path = write_report(report, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)
    sheet, ref = next(iter(wb.defined_names["KPI_REVENUE"].destinations))
    assert wb[sheet][ref.replace("$", "")].value == pytest.approx(195.0)
