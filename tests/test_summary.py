"""rfm_summary against the published CDNOW calibration summary (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cltv_xl.datasets import CDNOW_CALIBRATION_END, load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.summary import rfm_summary
from cltv_xl.transactions import Transactions

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return rfm_summary(load_cdnow(), calibration_end=CDNOW_CALIBRATION_END, time_unit="W")


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    ref = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv", index_col=0)
    ref.index = ref.index.astype(str)
    return ref


def test_cdnow_calibration_summary_matches_published(cdnow_summary, published):
    assert len(cdnow_summary) == 2357
    assert set(cdnow_summary.index) == set(published.index)
    ours = cdnow_summary.loc[published.index]
    # Frequency exactly, the rest to the published two decimals.
    assert (ours["frequency"].to_numpy() == published["x"].to_numpy()).all()
    tol = 0.005 + 1e-9
    assert np.abs(ours["recency"] - published["t_x"]).max() <= tol
    assert np.abs(ours["T"] - published["T"]).max() <= tol
    assert np.abs(ours["monetary_value"] - published["zbar"]).max() <= tol
    assert int((ours["frequency"] > 0).sum()) == 946
    assert int(ours["frequency"].sum()) == 2457


def test_cdnow_frequency_recency_t_file(cdnow_summary):
    ref = pd.read_csv(DATA / "cdnow_customers_summary.csv", index_col=0)
    ref.index = ref.index.astype(str)
    ours = cdnow_summary.loc[ref.index]
    assert (ours["frequency"].to_numpy() == ref["frequency"].to_numpy()).all()
    assert np.abs(ours["T"] - ref["T"]).max() <= 0.005 + 1e-9


def test_customer_one_worked_values(cdnow_summary):
    # Customer 1 bought on 1997-01-01, 1997-01-18 and 1997-08-02 within the calibration period.
    row = cdnow_summary.loc["1"]
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(213 / 7)
    assert row["T"] == pytest.approx(272 / 7)
    assert row["orders"] == 3
    assert row["first_purchase"] == pd.Timestamp("1997-01-01")
    assert row["last_purchase"] == pd.Timestamp("1997-08-02")


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-31", "2024-01-10", "2024-01-05", "2024-03-01"]
            ),
            "amount": [10.0, 5.0, 20.0, 7.0, 3.0, -1.0],
        }
    )


def test_same_day_purchases_are_one_purchase():
    s = rfm_summary(_small(), as_of="2024-03-01", time_unit="D")
    assert s.loc["a", "frequency"] == 1
    assert s.loc["a", "orders"] == 3
    assert s.loc["a", "revenue"] == 35.0
    assert s.loc["a", "monetary_value"] == 20.0  # repeat days only
    assert s.loc["a", "recency"] == 30.0
    assert s.loc["a", "T"] == 60.0
    assert s.loc["b", "monetary_value"] == 0.0
    # A day with only a refund is not a repeat purchase: c bought once, then refunded 1.
    assert s.loc["c", "frequency"] == 0 and s.loc["c", "monetary_value"] == 0.0
    assert s.loc["c", "revenue"] == 2.0 and s.loc["c", "orders"] == 1
    assert s.loc["c", "last_purchase"] == pd.Timestamp("2024-01-05")


def test_orders_count_distinct_order_ids_and_refund_only_customers_are_reported():
    data = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "z"],
        "date": pd.to_datetime(["2024-01-01"] * 3 + ["2024-01-09", "2024-01-02", "2024-01-03"]),
        "amount": [2.0, 3.0, 4.0, -3.0, 5.0, -8.0],
        "order_id": ["1", "1", "2", "C3", "", "C9"],
        "refund": [False, False, False, True, False, True],
    })
    s = rfm_summary(data, as_of="2024-01-10", time_unit="D")
    assert list(s.index) == ["a", "b"]
    assert s.loc["a", "orders"] == 2 and s.loc["b", "orders"] == 1  # a line of no order: one
    assert s.loc["a", "frequency"] == 0 and s.loc["a", "revenue"] == 6.0
    assert s.attrs["refund_only"] == {"customers": 1, "amount": -8.0}


@pytest.mark.parametrize(("unit", "days"), [("D", 1.0), ("W", 7.0), ("M", 365.25 / 12)])
def test_time_units_are_exact(unit, days):
    s = rfm_summary(_small(), as_of="2024-03-01", time_unit=unit)
    assert s.loc["a", "T"] == pytest.approx(60 / days, rel=1e-12)
    assert s.attrs["time_unit"] == unit


def test_calibration_end_excludes_later_transactions():
    s = rfm_summary(_small(), calibration_end="2024-01-31", time_unit="D")
    assert s.loc["a", "frequency"] == 1
    assert s.loc["c", "frequency"] == 0
    assert s.loc["c", "T"] == 26.0
    assert s.attrs["as_of"] == "2024-01-31"


def test_accepts_transactions_object_and_bad_arguments():
    tx = Transactions.from_frame(_small())
    assert len(rfm_summary(tx, time_unit="W")) == 3
    with pytest.raises(ValueError, match="time_unit must be one of"):
        rfm_summary(tx, time_unit="fortnight")
    with pytest.raises(InputError, match="as_of must be a date"):
        rfm_summary(tx, as_of="not a date")
    with pytest.raises(InputError, match="no transactions on or before"):
        rfm_summary(tx, as_of="2000-01-01")
    with pytest.raises(InputError, match="found"):
        rfm_summary(pd.DataFrame({"id": [1]}))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["x", "y", "z", "007"]),
            st.integers(0, 400),
            st.floats(-50, 500, allow_nan=False).map(lambda v: round(v, 2)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_summary_properties(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    df["date"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(df["day"], unit="D")
    if (df["amount"] >= 0).sum() == 0:
        with pytest.raises(InputError, match="only refunds"):
            rfm_summary(df, time_unit="D")
        return
    s = rfm_summary(df, time_unit="D")
    # Negative amounts are refunds: netted into revenue, never purchases.
    buys = df[df["amount"] >= 0]
    assert s["orders"].sum() == len(buys)
    assert s["revenue"].sum() + s.attrs["refund_only"]["amount"] == pytest.approx(
        df["amount"].sum(), abs=1e-6
    )
    assert (s["recency"] <= s["T"]).all() and (s["recency"] >= 0).all()
    distinct_days = buys.groupby("customer_id")["day"].nunique()
    assert sorted(s.index) == sorted(distinct_days.index)
    assert (s["frequency"] == distinct_days.loc[s.index] - 1).all()
    # monetary_value * frequency + first-day total == purchase revenue
    first_day = buys[buys["day"] == buys.groupby("customer_id")["day"].transform("min")]
    first_total = first_day.groupby("customer_id")["amount"].sum().loc[s.index]
    bought = buys.groupby("customer_id")["amount"].sum().loc[s.index]
    assert np.allclose(s["monetary_value"] * s["frequency"] + first_total, bought, atol=1e-6)


def test_attrs_are_plain_values_and_parquet_round_trips(tmp_path, cdnow_summary):
    # attrs must hold JSON-serialisable values: pandas writes them into the Parquet metadata.
    assert cdnow_summary.attrs == {"time_unit": "W", "as_of": "1997-09-30",
                                  "refund_only": {"customers": 0, "amount": 0.0}}
    path = tmp_path / "summary.parquet"
    cdnow_summary.to_parquet(path)
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, cdnow_summary)
    assert back.attrs == cdnow_summary.attrs
    from cltv_xl.models import calibration_holdout

    cal = calibration_holdout(_small(), "2024-01-31", "2024-03-01", time_unit="D")
    assert cal.attrs == {"time_unit": "D", "as_of": "2024-01-31", "holdout_end": "2024-03-01",
                         "refund_only": {"customers": 0, "amount": 0.0}}
    cal.to_parquet(tmp_path / "cal.parquet")
    assert pd.read_parquet(tmp_path / "cal.parquet").attrs == cal.attrs


def test_lifetimes_column_keywords_and_aliases():
    raw = _small().rename(columns={"customer_id": "cust", "date": "when", "amount": "spend"})
    raw["when"] = raw["when"].dt.strftime("%Y-%m-%d")  # text dates, as read_csv gives them
    named = rfm_summary(
        raw, customer_id_col="cust", datetime_col="when", monetary_value_col="spend",
        observation_period_end="2024-03-01", freq="D",
    )
    pd.testing.assert_frame_equal(named, rfm_summary(_small(), as_of="2024-03-01", time_unit="D"))
    # No monetary column: spend is unknown (NaN), never zero.
    no_money = rfm_summary(raw, customer_id_col="cust", datetime_col="when", freq="D")
    assert no_money["monetary_value"].isna().all() and no_money["revenue"].isna().all()
    assert no_money.loc["a", "frequency"] == 1
    with pytest.raises(InputError, match="not both"):
        rfm_summary(_small(), time_unit="W", freq="D")
    with pytest.raises(InputError, match="not both"):
        rfm_summary(_small(), as_of="2024-03-01", observation_period_end="2024-03-01")
    with pytest.raises(InputError, match="no column 'client'"):
        rfm_summary(raw, customer_id_col="client", datetime_col="when")
    with pytest.raises(InputError, match="name the columns of a DataFrame"):
        rfm_summary(Transactions.from_frame(_small()), customer_id_col="customer_id")
