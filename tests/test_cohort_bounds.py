"""Cohort tables are bounded (issue 12 item 10): orders spanning 1900-2099 no longer make a
2,400 x 2,400 table; the most recent cohorts and the first periods are shown, and the report
says so on the Cohorts sheet, on the terminal and in the JSON."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from cltv_xl import cli
from cltv_xl.cohort_tables import MAX_COHORT_PERIODS, MAX_COHORTS, cohorts


def two_centuries(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("1900-01-01"), pd.Timestamp("2099-12-31")
    days = np.sort(rng.integers(0, (end - start).days, (n, 3)), axis=1)
    return pd.DataFrame({
        "customer_id": np.repeat([f"c{i}" for i in range(n)], 3),
        "date": start + pd.to_timedelta(days.ravel(), unit="D"),
        "amount": rng.integers(5, 100, n * 3).astype(float),
    })


def test_bounded_tables_are_the_corner_of_the_unbounded_ones():
    data = two_centuries(200)
    full = cohorts(data, "M", max_cohorts=None, max_periods=None)
    ct = cohorts(data, "M")
    assert full.customers.shape[1] > MAX_COHORT_PERIODS and len(full.sizes) > MAX_COHORTS
    assert ct.customers.shape == (MAX_COHORTS, MAX_COHORT_PERIODS)
    assert ct.truncated and not full.truncated
    assert ct.total_cohorts == len(full.sizes)
    assert ct.total_periods == full.customers.shape[1]
    # the most recent cohorts, their sizes, and periods 0..119, cell for cell
    expected = full.customers.iloc[-MAX_COHORTS:, :MAX_COHORT_PERIODS]
    assert list(ct.customers.index) == list(expected.index)
    pd.testing.assert_frame_equal(ct.customers, expected)
    pd.testing.assert_frame_equal(ct.revenue, full.revenue.iloc[-MAX_COHORTS:,
                                                               :MAX_COHORT_PERIODS])
    assert ct.sizes.tolist() == full.sizes.iloc[-MAX_COHORTS:].tolist()


def test_small_data_are_not_bounded():
    ct = cohorts(two_centuries(5).assign(date=lambda d: d["date"].dt.year.map(
        lambda y: pd.Timestamp(2020 + y % 3, 1 + y % 12, 1))), "M")
    assert not ct.truncated


def test_the_report_says_the_tables_are_bounded(tmp_path):
    src = tmp_path / "orders.csv"
    two_centuries(150).rename(columns={"customer_id": "Customer ID", "date": "Date",
                                       "amount": "Amount"}).to_csv(src, index=False)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", str(src), "-o", str(tmp_path / "r.xlsx"), "--json",
                     str(tmp_path / "s.json")], stdout=out, stderr=err)
    assert code in (cli.EXIT_OK, cli.EXIT_GAPS), err.getvalue()
    text = err.getvalue()
    assert "warning: Cohort tables bounded" in text
    assert text.count("Cohort tables bounded") == 1 and "Report written" in out.getvalue()
    facts = json.loads((tmp_path / "s.json").read_text())["cohorts"]
    assert facts["cohorts_shown"] <= MAX_COHORTS < facts["cohorts_total"]
    assert facts["periods_shown"] == MAX_COHORT_PERIODS < facts["periods_total"]
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    ws = next(w for w in wb.worksheets if "CohortRetention" in w.tables)
    ref = ws.tables["CohortRetention"].ref
    assert "Cohort tables bounded" in ws[ref.split(":")[0]].comment.text
