"""Every whole-log aggregate of the workbook, computed in SQL by an engine, equals the pandas
computation on the same data (to 1e-9): monthly cohort tables, the subscription rule's counts,
the refund-only customers, the data-quality counts. ``check_aggregates`` is shared with the
Spark tests (``tests/test_engines_spark.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_data import messy_log

from cltv_xl.business import detect_business, fit_subscription
from cltv_xl.cohort_tables import cohorts
from cltv_xl.datasets import subscription_invoices
from cltv_xl.engines import core, open_summary
from cltv_xl.summary import rfm_summary

TOL = 1e-9


def subscription_log() -> pd.DataFrame:
    """Monthly invoices (regular payers) plus a few refunds and a one-off buyer."""
    inv = subscription_invoices(months=14, customers_per_month=40, seed=5)
    data = inv[["customer_id", "date", "amount"]].copy()
    extra = pd.DataFrame({"customer_id": ["ONEOFF", "ONEOFF", "REFONLY"],
                          "date": pd.to_datetime(["2023-03-04", "2023-03-20", "2023-05-01"]),
                          "amount": [30.0, -30.0, -12.5]})
    return pd.concat([data, extra], ignore_index=True)


def assert_same_cohorts(ours, ref) -> None:
    for name in ("customers", "revenue", "retention"):
        a, b = getattr(ours, name), getattr(ref, name)
        assert list(a.index) == list(b.index), name
        assert list(a.columns) == list(b.columns), name
        np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=TOL, atol=TOL,
                                   equal_nan=True, err_msg=name)
    assert (ours.sizes.to_numpy() == ref.sizes.to_numpy()).all()
    assert (ours.partial.to_numpy() == ref.partial.to_numpy()).all()
    assert ours.partial_period == ref.partial_period
    assert (ours.total_cohorts, ours.total_periods) == (ref.total_cohorts, ref.total_periods)
    assert pd.Timestamp(ours.as_of) == pd.Timestamp(ref.as_of)


def assert_same_subscription(ours, ref) -> None:
    for name in ("survivors", "sizes", "returned"):
        a, b = getattr(ours.table, name), getattr(ref.table, name)
        assert list(a.index) == list(b.index), name
        np.testing.assert_array_equal(a.to_numpy(float), b.to_numpy(float), err_msg=name)
    assert ours.table.excluded == ref.table.excluded
    assert (ours.paid_months, ours.lost, ours.at_risk) == (ref.paid_months, ref.lost,
                                                           ref.at_risk)
    for name in ("revenue", "arpu", "churn"):
        assert getattr(ours, name) == pytest.approx(getattr(ref, name), rel=TOL), name
    for k, v in ref.model.params_.items():
        assert ours.model.params_[k] == pytest.approx(v, rel=TOL), k


def check_aggregates(frame: pd.DataFrame, es, *, max_cohorts=None, max_periods=None) -> None:
    """The engine summary ``es`` of ``frame`` against pandas on the same rows."""
    end = pd.Timestamp(es.as_of)
    bounds = {k: v for k, v in (("max_cohorts", max_cohorts), ("max_periods", max_periods))
              if v is not None}
    assert_same_cohorts(es.cohort_tables(**bounds), cohorts(frame, "M", as_of=end, **bounds))
    ours, ref = es.business(), detect_business(frame)
    assert (ours.customers, ours.candidates, ours.regular, ours.kind, ours.rule) == (
        ref.customers, ref.candidates, ref.regular, ref.kind, ref.rule)
    if ref.subscription:
        assert_same_subscription(es.subscription(), fit_subscription(frame, end))
    summary = rfm_summary(frame, as_of=end)
    refund_only = es.refund_only()
    assert refund_only["customers"] == summary.attrs["refund_only"]["customers"]
    assert refund_only["amount"] == pytest.approx(summary.attrs["refund_only"]["amount"],
                                                  abs=TOL)


@pytest.mark.parametrize("log", [messy_log, subscription_log])
def test_aggregates_equal_pandas(log):
    frame = log()
    with open_summary(frame, engine="duckdb") as es:
        check_aggregates(frame, es)
        check_aggregates(frame, es, max_cohorts=3, max_periods=4)  # the tables' bounds


def test_subscription_log_is_detected_as_one():
    frame = subscription_log()
    with open_summary(frame, engine="duckdb") as es:
        decision = es.business()
        assert decision.subscription and decision.regular > 20
        assert es.business("transactional").kind == "transactional"  # asked: no counting


def test_issue_counts_cover_rows_beyond_the_listing(tmp_path, monkeypatch):
    from cltv_xl.report.engine_path import _transactions

    frame = messy_log().astype({"amount": object, "date": object})
    frame.loc[:49, "date"] = "not a date"
    frame.loc[50:59, "customer_id"] = ""
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setattr(core, "MAX_LISTED", 7)
    with open_summary(path, engine="duckdb") as es:
        assert len(es.issues) == 7 and es.counts["rejected"] == 60
        tx = _transactions(es, path, pd.DataFrame({"row": [], "customer_id": []}))
        table = tx.issue_summary()
    assert table["rows"].sum() == 60
    by_reason = dict(zip(table["reason"], table["rows"], strict=True))
    assert sorted(by_reason.values()) == [10, 50]
    amounts = pd.to_numeric(frame["amount"])
    lost = amounts[:50].sum()
    assert table.loc[table["rows"] == 50, "amount"].iloc[0] == pytest.approx(lost, abs=1e-9)
    base = amounts.abs().sum()  # every amount is readable: the shares' base is all of them
    assert table.loc[table["rows"] == 50, "share_of_amount"].iloc[0] == pytest.approx(
        abs(lost) / base, rel=1e-12)
    assert (table["share_of_rows"] * es.counts["read"]).round().tolist() == [50, 10]
