"""Bundled sample data.

The CDNOW sample is the public data set of Fader & Hardie: 2,357 customers who made their first
purchase at CDNOW in the first quarter of 1997, with all 6,919 of their purchases to the end of
June 1998 (https://www.brucehardie.com/datasets/). The file holds five whitespace-separated
columns: master id, sample id (1..2357), date (yyyymmdd), number of CDs, dollar value.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

CDNOW_FILE = "CDNOW_sample.txt"
#: End of the 39-week calibration period used in the papers.
CDNOW_CALIBRATION_END = "1997-09-30"
#: Last day of the data (end of the 78-week observation window).
CDNOW_END = "1998-06-30"


def load_cdnow() -> pd.DataFrame:
    """The CDNOW sample: ``customer_id`` (sample id as text), ``date``, ``cds``, ``amount``."""
    path = resources.files("cltv_xl") / "data" / CDNOW_FILE
    with resources.as_file(path) as p:
        raw = pd.read_csv(
            p,
            sep=r"\s+",
            header=None,
            names=["master_id", "sample_id", "date", "cds", "amount"],
            dtype={"master_id": str, "sample_id": "int64", "date": str},
        )
    return pd.DataFrame(
        {
            "customer_id": raw["sample_id"].astype(str).to_numpy(dtype=object),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "cds": raw["cds"].astype("int64"),
            "amount": raw["amount"].astype("float64"),
        }
    )


#: Plans of the sample subscription business: name -> monthly price.
SUBSCRIPTION_PLANS = {"Starter": 19.0, "Pro": 49.0, "Business": 149.0}


def subscription_invoices(
    *,
    months: int = 24,
    customers_per_month: int = 300,
    alpha: float = 1.5,
    beta: float = 12.0,
    start: str = "2023-01-01",
    plan_shares: tuple[float, ...] = (0.6, 0.3, 0.1),
    upgrade_rate: float = 0.02,
    seed: int = 14,
) -> pd.DataFrame:
    """Monthly invoices of a sample SaaS business, generated so that the sBG is the true model.

    Each month from ``start`` acquires about ``customers_per_month`` customers (Poisson). A
    customer's monthly cancellation probability theta is drawn from beta(``alpha``, ``beta``)
    (Fader & Hardie 2007), so it pays for a geometric number of months: it is billed on its
    sign-up day every month (the 31st becomes the month's last day) until it cancels or the data
    end (the last day of the last month, ``frame.attrs["as_of"]``). It starts on a plan of
    :data:`SUBSCRIPTION_PLANS` drawn with ``plan_shares`` and moves one plan up with probability
    ``upgrade_rate`` each month. The same ``seed`` gives the same invoices.

    Columns: ``invoice_id``, ``customer_id``, ``date``, ``plan``, ``amount`` (the frame can be
    given to :func:`cltv_xl.cohort_tables.subscription_survival` as it is). ``frame.attrs`` holds
    the true ``alpha`` and ``beta`` and ``as_of``.
    """
    import numpy as np

    from .errors import InputError

    if months < 1 or customers_per_month < 1:
        raise InputError("months and customers_per_month must be >= 1")
    if not (alpha > 0 and beta > 0):
        raise InputError("alpha and beta must be > 0")
    shares = np.asarray(plan_shares, dtype=np.float64)
    if len(shares) != len(SUBSCRIPTION_PLANS) or np.any(shares < 0) or shares.sum() <= 0:
        raise InputError(f"plan_shares must give {len(SUBSCRIPTION_PLANS)} shares >= 0")
    rng = np.random.default_rng(seed)
    first_month = pd.Timestamp(start).to_period("M")
    per_month = rng.poisson(customers_per_month, size=months)
    cohort = np.repeat(np.arange(months), per_month)
    n = len(cohort)
    theta = rng.beta(alpha, beta, size=n)
    lifetime = rng.geometric(np.clip(theta, 1e-12, 1.0))  # months paid, >= 1
    paid = np.minimum(lifetime, months - cohort)  # censored at the end of the data
    day = rng.integers(1, 32, size=n)  # sign-up day of month (clamped below)
    level0 = rng.choice(len(shares), size=n, p=shares / shares.sum())

    cust = np.repeat(np.arange(n), paid)
    k = np.arange(len(cust)) - np.repeat(np.cumsum(paid) - paid, paid)  # months since sign-up
    upgrade = (rng.random(len(cust)) < upgrade_rate) & (k > 0)
    ups = np.cumsum(upgrade)
    ups -= np.repeat(ups[np.cumsum(paid) - paid] - upgrade[np.cumsum(paid) - paid], paid)
    level = np.minimum(level0[cust] + ups, len(shares) - 1)

    month = (first_month + 0).ordinal + cohort[cust] + k
    month_start = month.astype("datetime64[M]").astype("datetime64[D]")
    month_days = ((month + 1).astype("datetime64[M]").astype("datetime64[D]") - month_start)
    dom = np.minimum(day[cust], month_days.astype(np.int64))
    dates = month_start + (dom - 1).astype("timedelta64[D]")

    names = np.array(list(SUBSCRIPTION_PLANS))
    prices = np.array(list(SUBSCRIPTION_PLANS.values()))
    order = np.lexsort((cust, dates))
    frame = pd.DataFrame(
        {
            "invoice_id": [f"INV-{i:06d}" for i in range(1, len(cust) + 1)],
            "customer_id": np.char.add("C", np.char.zfill((cust[order] + 1).astype(str), 5)),
            "date": pd.to_datetime(dates[order]),
            "plan": names[level[order]],
            "amount": prices[level[order]],
        }
    )
    frame["customer_id"] = frame["customer_id"].astype(object)
    frame["plan"] = frame["plan"].astype(object)
    last_day = (first_month + months).to_timestamp() - pd.Timedelta(days=1)
    frame.attrs.update({"alpha": float(alpha), "beta": float(beta), "as_of": last_day})
    return frame
