"""Partial periods (issue 9 item 7): the cohort month cut short by the as-of date is marked
partial and left out of the retention curve and chart (data ending on 9 December: December)."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cltv_xl import read_transactions
from cltv_xl.cohort_tables import cohorts, observed_retention
from cltv_xl.report import build_report


def frame(rows):
    ids, dates, amounts = zip(*rows, strict=True)
    return pd.DataFrame({"customer_id": list(ids), "date": pd.to_datetime(list(dates)),
                         "amount": [float(a) for a in amounts]})


# October cohort: a, b (2 customers); November cohort: c, d.
ROWS = [
    ("a", "2024-10-03", 10), ("b", "2024-10-05", 20),
    ("a", "2024-11-04", 30), ("b", "2024-11-10", 5),
    ("c", "2024-11-20", 7), ("d", "2024-11-21", 8),
    ("c", "2024-12-02", 9),  # data end on 9 December: December is partial
    ("a", "2024-12-09", 4),
]


def test_the_month_of_the_as_of_date_is_partial_when_cut_short():
    ct = cohorts(frame(ROWS), "M")
    assert ct.partial_period == pd.Timestamp("2024-12-01")
    # October row: months 0, 1 complete, 2 (December) partial; November row: month 1 partial.
    assert ct.partial.to_numpy().tolist() == [[False, False, True], [False, True, False]]
    pooled, first = observed_retention(ct)
    # month 0: (2 + 2) / (2 + 2) = 1; month 1: October only (2 of 2 active in November) = 1;
    # month 2: only a partial cell -> not estimated (NaN), not a drop to 0.5.
    assert pooled[0] == 1.0 and pooled[1] == 1.0 and math.isnan(pooled[2])
    assert first[0] == 1.0 and first[1] == 1.0 and math.isnan(first[2])
    # the matrix still shows the partial cells' real counts
    assert ct.customers.iloc[0, 2] == 1 and ct.customers.iloc[1, 1] == 1


def test_data_ending_on_the_last_day_of_a_month_have_no_partial_period():
    ct = cohorts(frame([*ROWS, ("d", "2024-12-31", 1)]), "M")
    assert ct.partial_period is None and not ct.partial.to_numpy().any()
    pooled, _ = observed_retention(ct)
    # month 1: October (2/2 in November) + November (c, d both in December) = 4 / 4
    assert pooled[1] == 1.0
    assert pooled[2] == pytest.approx(1 / 2)  # a in December, of the October cohort


@pytest.mark.parametrize(("end", "partial"), [("2024-12-08", False), ("2024-12-04", True)])
def test_iso_weeks_end_on_sunday(end, partial):
    ct = cohorts(frame([("a", "2024-11-25", 1), ("a", end, 1)]), "W")  # 2024-12-08 is a Sunday
    assert (ct.partial_period is not None) is partial


def test_the_report_marks_the_partial_month_and_leaves_it_out_of_the_chart(tmp_path):
    raw = frame(ROWS).rename(columns={"customer_id": "Customer ID", "date": "Date",
                                      "amount": "Amount"})
    out = tmp_path / "r.xlsx"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = build_report(read_transactions(raw), out)
    curve = report.retention_curve
    assert curve["All cohorts"].tolist()[:2] == [1.0, 1.0]
    assert np.isnan(curve["All cohorts"].iloc[2]) and np.isnan(curve["First cohort"].iloc[2])
    assert report.summary()["cohorts"]["partial_period"] == "2024-12"
    assert "December 2024 is partial" in report.summary()["notes"]["CohortRetention"]
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        if "CohortRetention" in ws.tables:
            first = ws.tables["CohortRetention"].ref.split(":")[0]
            assert "December 2024 is partial" in ws[first].comment.text
            break
    else:
        raise AssertionError("no CohortRetention table")
