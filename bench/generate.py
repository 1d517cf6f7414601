"""Generate a realistic transaction sheet for benchmarks.

Customers arrive over the first year; each buys as a Poisson process with a gamma-distributed
rate and, after each purchase, drops out with a beta-distributed probability (the BG/NBD story
of Fader, Hardie & Lee 2005); purchases after the two-year window are not seen. Order values are
gamma-distributed around a customer-specific mean. 1,000,000 rows give about 200,000 customers.

Usage: python bench/generate.py ROWS OUT.xlsx|OUT.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

START = np.datetime64("2023-01-01")
#: Bumped whenever the simulation changes, so cached sheets are made again.
VERSION = 2
SPAN_DAYS = 730


def _simulate(n_cust: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Customer index and purchase day of every purchase of ``n_cust`` simulated customers."""
    first = rng.integers(0, 365, n_cust)
    rate = rng.gamma(0.9, 1.0 / 20.0, n_cust)  # purchases per day while alive
    drop = rng.beta(2.0, 6.0, n_cust)  # chance of dropping out after each purchase
    n = rng.geometric(drop)  # purchases until drop-out, the first included
    n = np.minimum(n, 400)
    cust = np.repeat(np.arange(n_cust), n)
    gaps = rng.exponential(1.0, cust.size) / rate[cust]
    starts = np.concatenate(([0], np.cumsum(n)[:-1]))
    gaps[starts] = 0.0
    csum = np.cumsum(gaps)
    elapsed = csum - np.repeat(csum[starts], n)
    day = first[cust] + elapsed.astype(np.int64)
    keep = day < SPAN_DAYS
    return cust[keep], day[keep]


def transactions(rows: int, seed: int = 7) -> pd.DataFrame:
    """A frame of exactly ``rows`` transactions: ``Customer ID`` (text with leading zeros),
    ``Order Date`` (datetime), ``Amount`` (float), sorted by date."""
    rng = np.random.default_rng(seed)
    n_cust = max(1, int(rows / 4.2))
    cust, day = _simulate(n_cust, rng)
    while cust.size < rows:  # rare: top up with more customers
        more_c, more_d = _simulate(max(1, n_cust // 4), rng)
        cust = np.concatenate((cust, more_c + n_cust))
        day = np.concatenate((day, more_d))
        n_cust += max(1, n_cust // 4)
    cust, day = cust[:rows], day[:rows]  # customers are contiguous: keep the first ones whole
    mean_spend = rng.gamma(6.0, 8.0, n_cust)
    amount = np.round(rng.gamma(4.0, mean_spend[cust] / 4.0), 2)
    ids = np.char.add("C", np.char.zfill(cust.astype(str), 7))
    df = pd.DataFrame(
        {
            "Customer ID": ids.astype(object),
            "Order Date": (START + day.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "Amount": amount,
        }
    )
    return df.sort_values("Order Date", kind="stable").reset_index(drop=True)


def write(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` as .csv or .xlsx (openpyxl write-only; slow, so callers cache the file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        df.to_csv(path, index=False, date_format="%Y-%m-%d")
        return path
    from openpyxl import Workbook
    from openpyxl.styles import NamedStyle

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Orders")
    ws.append(list(df.columns))
    date_style = NamedStyle(name="d", number_format="yyyy-mm-dd")
    from openpyxl.cell import WriteOnlyCell

    ids = df.iloc[:, 0].tolist()
    dates = df.iloc[:, 1].dt.to_pydatetime().tolist()
    amounts = df.iloc[:, 2].tolist()
    for i, d, a in zip(ids, dates, amounts, strict=True):
        c = WriteOnlyCell(ws, value=d)
        c.style = date_style
        ws.append([i, c, a])
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)
    return path


def cached_sheet(rows: int, folder: Path, suffix: str = ".xlsx") -> Path:
    """Path of a generated sheet with ``rows`` rows, generated once and then reused."""
    path = Path(folder) / f"transactions_v{VERSION}_{rows}{suffix}"
    if not path.exists():
        write(transactions(rows), path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out = write(transactions(int(sys.argv[1])), Path(sys.argv[2]))
    print(out)
