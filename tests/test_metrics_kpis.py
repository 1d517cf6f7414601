"""period_kpis and its per-customer pieces (exposure, churned)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cltv_xl import metrics as m
from cltv_xl.datasets import load_cdnow
from cltv_xl.errors import InputError
from cltv_xl.summary import rfm_summary
from cltv_xl.transactions import Transactions

MONTH = 365.25 / 12


def _tx() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-01", 10.0),
        ("a", "2024-01-05", 20.0),
        ("b", "2024-01-20", 30.0),
        ("c", "2024-01-10", 5.0),
        ("c", "2024-01-25", 15.0),
        ("d", "2024-01-31", 40.0),
        ("e", "2024-01-21", 1.0),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"])
    return df


def test_hand_worked_kpis_in_days():
    # as_of = 2024-01-31, inactivity 10 days.
    # a: last 01-05, 26 days ago -> churned; exposure min(30, 4 + 10) = 14
    # b: last 01-20, 11 days ago -> churned; exposure min(11, 0 + 10) = 10
    # c: last 01-25, 6 days ago -> active;  exposure 21 (01-10 to 01-31)
    # d: first and last on as_of -> active; exposure 0
    # e: last 01-21, exactly 10 days ago -> not churned (more than 10 needed); exposure 10
    k = m.period_kpis(_tx(), inactivity=10, period="D")
    assert k.customers == 5
    assert k.revenue == 121.0
    assert k.churned == 2
    assert k.exposure == 55.0
    assert k.arpu == pytest.approx(121 / 55)
    assert k.churn_rate == pytest.approx(2 / 55)
    assert k.lifetime == pytest.approx(27.5)
    assert k.period == "D" and k.inactivity == 10.0
    assert k.as_of == pd.Timestamp("2024-01-31")


def test_per_customer_pieces():
    s = rfm_summary(_tx(), time_unit="D")
    exposure = m.customer_exposure(s, "2024-01-31", 10, "D")
    churned = m.is_churned(s, "2024-01-31", 10, "D")
    assert exposure.to_dict() == {"a": 14.0, "b": 10.0, "c": 21.0, "d": 0.0, "e": 10.0}
    assert churned.to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": False}
    table = m.customer_kpi_table(s, inactivity=10, period="D")
    assert list(table.columns) == ["first_purchase", "last_purchase", "revenue", "exposure",
                                   "churned"]
    assert table["exposure"].sum() == 55.0
    assert table.attrs == {"as_of": pd.Timestamp("2024-01-31"), "inactivity": 10.0, "period": "D",
                           "refund_only_revenue": 0.0}


def test_weeks_and_months_use_exact_unit_lengths():
    k = m.period_kpis(_tx(), inactivity=10 / 7, period="W")
    assert k.exposure == pytest.approx(55 / 7)
    assert k.churned == 2
    # One month of inactivity = 30.4375 days: nobody has been away that long here.
    s = rfm_summary(_tx(), time_unit="D")
    e = m.customer_exposure(s, "2024-03-31", 1, "M")
    # a: last 01-05 + 30.4375 days, from 01-01 -> 34.4375 days.
    assert e["a"] == pytest.approx((4 + MONTH) / MONTH)


def test_accepts_transactions_frame_and_summary_alike():
    tx = _tx()
    from_frame = m.period_kpis(tx, inactivity=10, period="D")
    from_object = m.period_kpis(Transactions.from_frame(tx), inactivity=10, period="D")
    from_summary = m.period_kpis(rfm_summary(tx, time_unit="W"), inactivity=10, period="D")
    assert from_frame == from_object == from_summary


def test_later_as_of_extends_exposure_and_earlier_one_is_refused_for_a_summary():
    tx = _tx()
    s = rfm_summary(tx)
    later = m.period_kpis(s, as_of="2024-02-29", inactivity=10, period="D")
    assert later.churned == 5  # everyone has now been away for more than 10 days
    assert later.exposure == 14 + 10 + 25 + 10 + 10
    assert later == m.period_kpis(tx, as_of="2024-02-29", inactivity=10, period="D")
    with pytest.raises(InputError, match="summarise the transactions again"):
        m.period_kpis(s, as_of="2024-01-15", inactivity=10, period="D")
    # From transactions an earlier as_of simply cuts the data (e bought on 01-21).
    early = m.period_kpis(tx, as_of="2024-01-20", inactivity=10, period="D")
    assert early.customers == 3 and early.revenue == 65.0
    assert early.churned == 1  # a: 15 days away
    assert early.exposure == 14 + 0 + 10


def test_no_churn_raises_with_advice():
    with pytest.raises(InputError, match="churn rate cannot be estimated") as info:
        m.period_kpis(_tx(), inactivity=1, period="M")
    assert "shorter inactivity window or a longer history" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"inactivity": 0}, r"inactivity must be a finite number >= 1; got 0"),
        ({"inactivity": "three"}, "inactivity must be"),
        ({"inactivity": float("nan")}, "inactivity must be"),
        ({"period": "fortnight"}, "period must be one of"),
        ({"as_of": "not a date"}, "as_of must be a date"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(InputError, match=pattern):
        m.period_kpis(_tx(), **kwargs)


def test_bad_input_type():
    with pytest.raises(InputError, match="period_kpis needs Transactions"):
        m.period_kpis([1, 2, 3])


def test_frozen_dataclass_and_to_dict():
    k = m.period_kpis(_tx(), inactivity=10, period="D")
    with pytest.raises(dataclasses.FrozenInstanceError):
        k.arpu = 1.0  # type: ignore[misc]
    d = k.to_dict()
    assert list(d) == ["customers", "revenue", "churned", "exposure", "arpu", "churn_rate",
                       "lifetime", "period", "inactivity", "as_of"]
    assert d["lifetime"] == pytest.approx(27.5)


def test_cdnow_kpis_match_direct_pandas_computation():
    tx = load_cdnow()
    k = m.period_kpis(tx)  # months, 3 months of inactivity, as_of = 1998-06-30
    assert k.as_of == pd.Timestamp("1998-06-30")
    per = tx.groupby("customer_id").agg(
        first=("date", "min"), last=("date", "max"), revenue=("amount", "sum")
    )
    as_of = tx["date"].max()
    away = (as_of - per["last"]).dt.days
    churned = away > 3 * MONTH
    end = np.minimum(
        (as_of - per["first"]).dt.days, (per["last"] - per["first"]).dt.days + 3 * MONTH
    )
    exposure = end.sum() / MONTH
    assert k.customers == 2357
    assert k.churned == int(churned.sum())
    assert k.exposure == pytest.approx(exposure, rel=1e-12)
    assert k.revenue == pytest.approx(per["revenue"].sum())
    assert k.arpu == pytest.approx(per["revenue"].sum() / exposure)
    assert k.lifetime == pytest.approx(exposure / churned.sum())
    # Figures for the README: 2,055 of 2,357 customers churned over 16,651 customer-months.
    assert k.churned == 2055
    assert round(k.exposure) == 16651
    assert round(k.arpu, 2) == 14.66 and round(k.lifetime, 2) == 8.10
    # The report's headline formulas.
    margin, cac = 0.3, 10.0
    kpi_cltv = m.cltv(k.arpu * margin, k.lifetime, cac)
    assert kpi_cltv == pytest.approx(k.arpu * margin * k.lifetime - cac)
    assert m.ltv_cac_ratio(k.arpu * margin * k.lifetime, cac) == pytest.approx(
        (kpi_cltv + cac) / cac
    )
