"""The predicted-CLV histogram on 1-2-5 log bins (cltv_xl.report.chart_tables)."""

from __future__ import annotations

import numpy as np
import pytest

from cltv_xl.report.chart_tables import clv_bins


def test_hand_worked_bins():
    # 20 values: the 5% quantile of the positive ones is 0.6 -> first edge 0.5; max 130 ->
    # last edge 200. Bins: under 0.5, 0.5-1, 1-2, 2-5, 5-10, 10-20, 20-50, 50-100, 100-200.
    values = np.array([-3, 0, 0.6, 0.7, 1, 1.5, 1.9, 2, 3, 4.99, 5, 7, 10, 15, 20, 49, 50, 99,
                       100, 130], dtype=float)
    table = clv_bins(values)
    assert table["Predicted CLV"].tolist() == [
        "under 0.5", "0.5-1", "1-2", "2-5", "5-10", "10-20", "20-50", "50-100", "100-200"]
    assert table["Customers"].tolist() == [2, 2, 3, 3, 2, 2, 2, 2, 2]
    assert table["Share of customers"].sum() == pytest.approx(1.0)


def test_skewed_values_spread_over_bins_and_nobody_is_lost():
    rng = np.random.default_rng(7)
    values = rng.lognormal(0.5, 1.5, 5000)
    table = clv_bins(values)
    assert table["Customers"].sum() == 5000
    assert table["Customers"].max() < 0.4 * 5000  # no single tall bar
    assert len(table) <= 12


def test_degenerate_inputs():
    assert clv_bins(np.zeros(4))["Customers"].tolist() == [4]
    assert clv_bins(np.array([]))["Customers"].sum() == 0
    one = clv_bins(np.array([5.0]))
    assert one["Customers"].sum() == 1
