"""Transaction logs for the engine tests: refunds, one-time buyers, several orders a day."""

from __future__ import annotations

import numpy as np
import pandas as pd


def messy_log(n_customers: int = 400, seed: int = 3) -> pd.DataFrame:
    """A clean ``customer_id``/``date``/``amount`` frame with every case the summary
    conventions care about: one-time buyers, customers with several orders on one day
    (their first day included), refund rows (negative amounts, one customer whose repeat days
    net to a refund), ids with leading zeros, and purchases up to the last day."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01")
    rows = []
    mean_spend = rng.gamma(4.0, 10.0, n_customers)
    for c in range(n_customers):
        cid = f"{c:05d}" if c % 3 else f"K{c}"
        first = int(rng.integers(0, 300))
        n = 1 if c % 4 == 0 else int(rng.integers(1, 12))
        days = np.sort(first + rng.integers(0, 430 - first, n))
        days[0] = first
        for d in days:
            for _ in range(1 + int(rng.random() < 0.3)):  # a second order on the same day
                amount = round(float(rng.gamma(3.0, mean_spend[c] / 3.0)), 2)
                if rng.random() < 0.08:
                    amount = -amount  # a refund
                rows.append((cid, start + np.timedelta64(int(d), "D"), amount))
    rows.append(("Z007", start + np.timedelta64(10, "D"), 20.0))
    rows.append(("Z007", start + np.timedelta64(40, "D"), -5.0))  # a refund: not a purchase
    rows.append(("REF", start + np.timedelta64(50, "D"), -7.0))  # refund-only: no summary row
    rows.append(("LAST", start + np.timedelta64(430, "D"), 9.99))  # bought on the last day
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    df["date"] = df["date"].astype("datetime64[ns]")
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # unsorted, as logs are
