"""A retailer-style sample: invoice lines like the public online-retail log (issue 9, 13).

The public log of a UK online retailer (541,909 lines, December 2010 to 9 December 2011) has
the columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID and
Country; cancellations are invoices whose number starts with "C" (negative quantities), and a
quarter of the lines have no customer id. :func:`retail_lines` makes a deterministic file of
that shape from the bundled CDNOW orders (so the purchase pattern is a real one): each order
becomes an invoice of 1-4 lines, about 2 % of lines are cancelled a few days later by a "C"
invoice, a quarter of the invoices (guest check-outs) have no customer id, and the dates are
moved to end on 9 December 2011, a partial month, as in the public log.

It is the sample behind the retailer pictures in ``docs/`` (``scripts/render_docs.py``) and the
end-to-end test of line items (``tests/test_retail_sample.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets import load_cdnow

#: Columns of the sample, in the public log's order.
RETAIL_COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                  "UnitPrice", "CustomerID", "Country")
#: Last day of the sample (the public log ends on 9 December 2011).
RETAIL_END = pd.Timestamp("2011-12-09")
#: A small catalogue: (stock code, description, unit price in GBP).
CATALOGUE = (
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75),
    ("22633", "HAND WARMER UNION JACK", 1.85),
    ("22961", "JAM MAKING SET PRINTED", 1.45),
    ("21754", "HOME BUILDING BLOCK WORD", 5.95),
    ("22423", "REGENCY CAKESTAND 3 TIER", 12.75),
    ("47566", "PARTY BUNTING", 4.95),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("85099B", "JUMBO BAG RED RETROSPOT", 2.08),
)
COUNTRIES = ("United Kingdom",) * 9 + ("Germany", "France", "EIRE", "Spain", "Netherlands")


def retail_lines(seed: int = 2011, guest_share: float = 0.25,
                 cancel_share: float = 0.02) -> pd.DataFrame:
    """The sample's invoice lines (deterministic for a given ``seed``).

    ``CustomerID`` is a float with NaN for guests, as pandas reads the public file (ids such as
    17850.0); ``InvoiceNo`` is text ("536365", "C536999"); ``InvoiceDate`` a datetime.
    """
    rng = np.random.default_rng(seed)
    orders = load_cdnow().sort_values(["date", "customer_id"], kind="stable").reset_index(
        drop=True)
    shift = RETAIL_END - orders["date"].max()
    n = len(orders)
    n_lines = rng.integers(1, 5, n)
    order_of_line = np.repeat(np.arange(n), n_lines)
    product = rng.integers(0, len(CATALOGUE), len(order_of_line))
    price = np.array([CATALOGUE[k][2] for k in product])
    # Quantities so that an invoice is worth about the CDNOW order's value.
    share = orders["amount"].to_numpy()[order_of_line] / n_lines[order_of_line]
    qty = np.maximum(1, np.round(share / price)).astype(np.int64)
    invoice = 536365 + order_of_line
    minutes = rng.integers(8 * 60, 18 * 60, n)[order_of_line]
    when = (orders["date"].to_numpy()[order_of_line] + shift.to_timedelta64()
            + minutes.astype("timedelta64[m]"))
    cust_no = 12000 + orders["customer_id"].astype(np.int64).to_numpy()[order_of_line]
    guest = (rng.random(n) < guest_share)[order_of_line]
    customer = np.where(guest, np.nan, cust_no.astype(np.float64))
    country = np.array(COUNTRIES, dtype=object)[
        (cust_no * 7919) % len(COUNTRIES)]
    lines = pd.DataFrame({
        "InvoiceNo": invoice.astype(str).astype(object),
        "StockCode": [CATALOGUE[k][0] for k in product],
        "Description": [CATALOGUE[k][1] for k in product],
        "Quantity": qty,
        "InvoiceDate": when,
        "UnitPrice": price,
        "CustomerID": customer,
        "Country": country,
    })
    # Cancellations: a "C" invoice a few days later, never after the last day.
    cancel = np.flatnonzero(rng.random(len(lines)) < cancel_share)
    back = lines.iloc[cancel].copy()
    back["InvoiceNo"] = ["C" + str(600000 + i) for i in range(len(back))]
    back["Quantity"] = -back["Quantity"]
    later = back["InvoiceDate"] + pd.to_timedelta(rng.integers(1, 15, len(back)), unit="D")
    back["InvoiceDate"] = later.where(later <= RETAIL_END + pd.Timedelta(hours=18),
                                      back["InvoiceDate"] + pd.Timedelta(hours=1))
    out = pd.concat([lines, back], ignore_index=True)
    out = out.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)
    return out[list(RETAIL_COLUMNS)]


def write_retail_csv(path: str | Path, lines: pd.DataFrame | None = None) -> Path:
    """Write the sample as the public CSV looks: US dates with a time ("12/1/2010 8:26"),
    float ids ("17850.0"), blank cells for guests."""
    frame = retail_lines() if lines is None else lines
    out = frame.assign(InvoiceDate=frame["InvoiceDate"].dt.strftime("%-m/%-d/%Y %-H:%M"))
    path = Path(path)
    out.to_csv(path, index=False)
    return path
