"""Acquisition cohorts: exact small matrices, calendar periods, and CDNOW cross-checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cltv_xl.cohort_tables import CohortTables, cohorts, period_index, period_start
from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.transactions import Transactions

NAN = np.nan


def _tx(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"])
    return df


SMALL = [
    ("a", "2024-01-15", 10.0),
    ("a", "2024-01-31", 5.0),
    ("a", "2024-02-01", 20.0),  # one day later, but the next calendar month: period 1
    ("a", "2024-04-10", 7.0),
    ("b", "2024-01-03", 8.0),
    ("c", "2024-02-29", 12.0),
    ("c", "2024-03-01", 3.0),
    ("c", "2024-03-20", -3.0),  # a refund in the same month nets to 0, still active
    ("d", "2024-03-05", 50.0),
]


def _frame(values, index) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.DatetimeIndex(pd.to_datetime(index)), dtype=float)


def test_small_monthly_matrices_exact():
    t = cohorts(_tx(SMALL))
    assert isinstance(t, CohortTables)
    months = ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert t.sizes.tolist() == [2, 1, 1]
    assert list(t.sizes.index) == [pd.Timestamp(x) for x in months]
    expected_customers = _frame(
        [[2, 1, 0, 1], [1, 1, 0, NAN], [1, 0, NAN, NAN]], months
    )
    expected_revenue = _frame(
        [[23, 20, 0, 7], [12, 0, 0, NAN], [50, 0, NAN, NAN]], months
    )
    expected_retention = _frame(
        [[1, 0.5, 0, 0.5], [1, 1, 0, NAN], [1, 0, NAN, NAN]], months
    )
    for got, want in [
        (t.customers, expected_customers),
        (t.revenue, expected_revenue),
        (t.retention, expected_retention),
    ]:
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
        assert list(got.index) == list(want.index)
        assert list(got.columns) == [0, 1, 2, 3]
        assert got.index.name == "cohort"
        assert got.columns.name == "periods_since_acquisition"
    assert t.period == "M"
    assert t.as_of == pd.Timestamp("2024-04-10")


def test_as_of_cuts_transactions_and_the_observed_window():
    t = cohorts(_tx(SMALL), as_of="2024-02-29")
    assert t.sizes.tolist() == [2, 1]
    np.testing.assert_array_equal(t.customers.to_numpy(), [[2, 1], [1, NAN]])
    np.testing.assert_array_equal(t.revenue.to_numpy(), [[23, 20], [12, NAN]])


def test_quarters():
    t = cohorts(_tx(SMALL), period="Q")
    # Everyone is acquired in Q1 2024; a buys again in Q2.
    assert t.sizes.tolist() == [4]
    assert list(t.customers.index) == [pd.Timestamp("2024-01-01")]
    np.testing.assert_array_equal(t.customers.to_numpy(), [[4, 1]])
    np.testing.assert_array_equal(t.revenue.to_numpy(), [[105, 7]])
    np.testing.assert_array_equal(t.retention.to_numpy(), [[1, 0.25]])


def test_iso_weeks_start_on_monday():
    # 2024-01-07 is a Sunday (week of Monday 2024-01-01); 2024-01-08 is the next Monday.
    t = cohorts(
        _tx([("x", "2024-01-07", 1.0), ("x", "2024-01-08", 2.0), ("y", "2024-01-08", 4.0)]),
        period="W",
    )
    assert list(t.sizes.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert t.sizes.tolist() == [1, 1]
    np.testing.assert_array_equal(t.customers.to_numpy(), [[1, 1], [1, NAN]])
    np.testing.assert_array_equal(t.revenue.to_numpy(), [[1, 2], [4, NAN]])
    assert all(d.weekday() == 0 for d in t.sizes.index)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-40_000, 40_000), min_size=1, max_size=30))
def test_period_index_and_start_agree_with_pandas_periods(day_numbers):
    dates = (np.array(day_numbers, dtype="int64").astype("datetime64[D]")).astype(
        "datetime64[ns]"
    )
    as_series = pd.Series(dates)
    for code, freq in [("M", "M"), ("Q", "Q"), ("W", "W-SUN")]:
        idx = period_index(dates, code)
        starts = period_start(idx, code)
        expected = as_series.dt.to_period(freq).dt.start_time
        assert list(starts) == list(expected), code
        # A period's start maps back to it, and the day before is the previous period.
        start_values = starts.to_numpy()
        np.testing.assert_array_equal(period_index(start_values, code), idx)
        day_before = start_values - np.timedelta64(1, "D")
        np.testing.assert_array_equal(period_index(day_before, code), idx - 1)


def test_accepts_transactions_object_and_period_aliases():
    t1 = cohorts(Transactions.from_frame(_tx(SMALL)), period="month")
    t2 = cohorts(_tx(SMALL), period="m")
    pd.testing.assert_frame_equal(t1.customers, t2.customers)


@pytest.mark.parametrize(
    ("args", "kwargs", "pattern"),
    [
        ((_tx(SMALL),), {"period": "fortnight"}, "period must be one of"),
        ((_tx(SMALL),), {"as_of": "garbage"}, "as_of must be a date"),
        ((_tx(SMALL),), {"as_of": "2000-01-01"}, "no transactions"),
        ((pd.DataFrame({"id": [1]}),), {}, "missing"),
        (([1, 2],), {}, "cohorts needs Transactions"),
    ],
)
def test_bad_input(args, kwargs, pattern):
    with pytest.raises(InputError, match=pattern):
        cohorts(*args, **kwargs)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


def test_cdnow_january_cohort(cdnow):
    t = cohorts(cdnow)
    jan = pd.Timestamp("1997-01-01")
    # All 2,357 customers were acquired in Q1 1997.
    assert t.sizes.to_dict() == {
        jan: 781, pd.Timestamp("1997-02-01"): 857, pd.Timestamp("1997-03-01"): 719
    }
    assert t.sizes.sum() == 2357
    assert t.customers.loc[jan, 1] == 124
    assert t.retention.loc[jan, 1] == pytest.approx(124 / 781)
    assert t.customers.shape == (3, 18)  # January 1997 to June 1998


def test_cdnow_matches_direct_pandas_computation(cdnow):
    t = cohorts(cdnow)
    df = cdnow.assign(month=cdnow["date"].dt.to_period("M"))
    df["cohort"] = df.groupby("customer_id")["month"].transform("min")
    df["k"] = (df["month"] - df["cohort"]).apply(lambda off: off.n)
    active = df.groupby(["cohort", "k"])["customer_id"].nunique().unstack(fill_value=0)
    revenue = df.groupby(["cohort", "k"])["amount"].sum().unstack(fill_value=0.0)
    active.index = active.index.to_timestamp()
    revenue.index = revenue.index.to_timestamp()
    got = t.customers.loc[active.index, active.columns]
    observed = got.notna().to_numpy()
    np.testing.assert_array_equal(got.to_numpy()[observed], active.to_numpy()[observed])
    np.testing.assert_allclose(
        t.revenue.loc[revenue.index, revenue.columns].to_numpy()[observed],
        revenue.to_numpy()[observed],
    )
    # Unobserved cells are exactly those after June 1998.
    cohort_month = t.customers.index.month.to_numpy()[:, None] - 1
    past_end = cohort_month + np.arange(18)[None, :] > 17
    assert (t.customers.isna().to_numpy() == past_end).all()
    assert np.nansum(t.revenue.to_numpy()) == pytest.approx(cdnow["amount"].sum())
    assert (t.customers[0] == t.sizes).all()
