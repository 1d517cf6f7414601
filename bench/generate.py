"""Generate a realistic transaction sheet for benchmarks.

Customers arrive over the first year; each buys as a Poisson process with a gamma-distributed
rate until it drops out (a geometric number of purchases, as in the BG/NBD story of Fader,
Hardie & Lee 2005); order values are gamma-distributed around a customer-specific mean. About
one customer in five buys roughly once a week, so 1,000,000 rows give about 200,000 customers.

Usage: python bench/generate.py ROWS OUT.xlsx|OUT.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

START = np.datetime64("2023-01-01")
SPAN_DAYS = 730


def transactions(rows: int, seed: int = 7) -> pd.DataFrame:
    """A frame of ``rows`` transactions: ``Customer ID`` (text with leading zeros), ``Order Date``
    (datetime), ``Amount`` (float)."""
    rng = np.random.default_rng(seed)
    n_cust = max(1, rows // 5)
    weights = rng.gamma(0.8, 1.0, n_cust)  # heterogeneous purchase rates
    per_cust = 1 + rng.multinomial(rows - n_cust, weights / weights.sum())
    n = int(per_cust.sum())
    cust = np.repeat(np.arange(n_cust), per_cust)
    first = rng.integers(0, SPAN_DAYS // 2, n_cust)
    life = rng.exponential(300.0, n_cust) + 1
    offs = (rng.random(n) * life[cust]).astype(np.int64)
    first_row = np.concatenate(([0], np.cumsum(per_cust)[:-1]))
    offs[first_row] = 0
    day = np.minimum(first[cust] + offs, SPAN_DAYS - 1)
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
    path = Path(folder) / f"transactions_{rows}{suffix}"
    if not path.exists():
        write(transactions(rows), path)
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out = write(transactions(int(sys.argv[1])), Path(sys.argv[2]))
    print(out)
