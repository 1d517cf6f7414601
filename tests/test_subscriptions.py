"""Subscription data: the sample invoice generator and the cohort survival table it feeds.

The generator draws each customer's churn probability from beta(alpha, beta), so the
shifted-beta-geometric model (Fader & Hardie 2007) is the true model of its cohorts: the sBG
fitted on the survival table must recover the alpha and beta it was given. The survival table
is checked on a hand-worked example and against a per-customer loop written out in Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cltv_xl.cohort_tables import subscription_survival
from cltv_xl.datasets import SUBSCRIPTION_PLANS, subscription_invoices
from cltv_xl.errors import InputError
from cltv_xl.models import SBG


@pytest.fixture(scope="module")
def invoices() -> pd.DataFrame:
    return subscription_invoices()


def test_generator_is_deterministic_and_well_formed(invoices):
    again = subscription_invoices()
    pd.testing.assert_frame_equal(invoices, again)
    assert not invoices.equals(subscription_invoices(seed=15))
    assert list(invoices.columns) == ["invoice_id", "customer_id", "date", "plan", "amount"]
    assert invoices["invoice_id"].is_unique
    assert invoices.attrs == {"alpha": 1.5, "beta": 12.0, "as_of": pd.Timestamp("2024-12-31")}
    assert invoices["date"].min() >= pd.Timestamp("2023-01-01")
    assert invoices["date"].max() <= pd.Timestamp("2024-12-31")
    # Price follows the plan; plans only go up; one invoice per customer per month, no gaps.
    assert (invoices["amount"] == invoices["plan"].map(SUBSCRIPTION_PLANS)).all()
    rank = invoices["plan"].map({p: i for i, p in enumerate(SUBSCRIPTION_PLANS)})
    ordered = invoices.assign(rank=rank).sort_values(["customer_id", "date"])
    steps = ordered.groupby("customer_id")["rank"].diff().dropna()
    assert steps.min() >= 0 and 0 < (steps > 0).mean() < 0.05  # a few upgrades
    month = ordered["date"].dt.year * 12 + ordered["date"].dt.month
    gaps = month.groupby(ordered["customer_id"]).diff().dropna()
    assert (gaps == 1).all()


def brute_survival(tx: pd.DataFrame, last_month: int) -> dict[int, list[int]]:
    """Per customer, months paid in a row from its first month; summed per cohort."""
    paid = tx[tx["amount"] > 0]
    months = paid["date"].dt.year * 12 + paid["date"].dt.month - 1
    table: dict[int, list[int]] = {}
    for _, m in months.groupby(paid["customer_id"]):
        seen = set(m)
        first = min(seen)
        if first > last_month:
            continue
        run = 0
        while first + run in seen and first + run <= last_month:
            run += 1
        row = table.setdefault(first, [0] * (last_month - first + 1))
        for k in range(run):
            row[k] += 1
    return table


def test_survival_table_matches_a_per_customer_loop(invoices):
    table = subscription_survival(invoices)
    last = 2024 * 12 + 11
    brute = brute_survival(invoices, last)
    assert len(table.survivors) == len(brute) == 24
    for (cohort, row), first in zip(table.survivors.iterrows(), sorted(brute), strict=True):
        assert cohort.year * 12 + cohort.month - 1 == first
        observed = row.dropna().astype(int).tolist()
        assert observed == brute[first]
    assert table.sizes.tolist() == table.survivors[0].astype(int).tolist()
    assert table.returned.sum() == 0
    assert table.excluded == {"no payment": 0, "unfinished period": 0}


def test_sbg_recovers_the_true_parameters(invoices):
    table = subscription_survival(invoices)
    model = SBG().fit(table.survivors)
    assert model.converged_
    for name in ("alpha", "beta"):
        true, est, se = invoices.attrs[name], model.params_[name], model.standard_errors_[name]
        assert se / true < 0.15  # the data pin the parameter down...
        assert abs(est - true) < 3 * se  # ...and the estimate covers the truth
    # A second, independent sample recovers them too.
    other = subscription_invoices(seed=2, customers_per_month=400)
    m2 = SBG().fit(subscription_survival(other).survivors)
    for name in ("alpha", "beta"):
        assert abs(m2.params_[name] - other.attrs[name]) < 3 * m2.standard_errors_[name]


def test_survival_table_hand_worked_example():
    rows = [
        ("a", "2024-01-05", 10), ("a", "2024-02-05", 10), ("a", "2024-03-05", 10),
        ("b", "2024-01-20", 10), ("b", "2024-03-20", 10),  # misses February, comes back
        ("c", "2024-01-31", 10), ("c", "2024-02-29", -10),  # a refund is not a payment
        ("d", "2024-02-10", 10), ("d", "2024-03-10", 10),
        ("e", "2024-02-11", 0),  # never paid
        ("f", "2024-03-02", 10),  # first payment in the unfinished month of as_of
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    table = subscription_survival(tx, as_of="2024-03-15")
    # March has not ended on 15 March: only January and February are observed.
    expected = pd.DataFrame(
        [[3.0, 1.0], [1.0, np.nan]],
        index=pd.DatetimeIndex(["2024-01-01", "2024-02-01"], dtype="datetime64[ns]", name="cohort"),
        columns=pd.Index([0, 1], name="periods_since_acquisition"),
    )
    pd.testing.assert_frame_equal(table.survivors, expected)
    assert table.returned.tolist() == [0, 0]  # b's return falls in unobserved March
    assert table.excluded == {"no payment": 1, "unfinished period": 1}
    full = subscription_survival(tx, as_of="2024-03-31")
    assert full.survivors.iloc[0].tolist() == [3.0, 1.0, 1.0]
    assert full.returned.tolist() == [1, 0, 0]  # b: churned in February, paid again in March
    assert full.survivors.iloc[1].tolist()[:2] == [1.0, 1.0]
    assert np.isnan(full.survivors.iloc[1, 2])
    assert full.survivors.iloc[2].tolist()[0] == 1.0  # f's March cohort, now complete
    with pytest.raises(InputError, match="no payments"):
        subscription_survival(tx[tx["amount"] <= 0])
    with pytest.raises(InputError, match="unfinished period"):
        subscription_survival(tx[tx["customer_id"] == "f"], as_of="2024-03-15")
