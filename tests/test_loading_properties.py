"""Property tests: for any frame of messy rows, every row is accounted for exactly once and
clean rows come through unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cltv_xl.loading import read_transactions

EPOCH = dt.date(1899, 12, 30)

clean_ids = st.one_of(
    st.from_regex(r"C[0-9]{1,6}", fullmatch=True),
    st.from_regex(r"0[0-9]{3,5}", fullmatch=True),
    st.integers(1, 10**12),
)
clean_dates = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
clean_amounts = st.integers(-10**7, 10**7).map(lambda c: c / 100)


@st.composite
def clean_row(draw) -> tuple[list[object], tuple[str, pd.Timestamp, float]]:
    """A valid row in one of several cell forms, with the values it must come out as."""
    cid = draw(clean_ids)
    day = draw(clean_dates)
    amount = draw(clean_amounts)
    id_cell = draw(st.sampled_from(["as is", "float", "padded"]))
    if isinstance(cid, int):
        cell_id: object = float(cid) if id_cell == "float" else cid
        expected_id = str(cid)
    else:
        cell_id = f"  {cid} " if id_cell == "padded" else cid
        expected_id = cid
    form = draw(st.sampled_from(["datetime", "date", "iso", "serial", "text", "timestamp"]))
    cell_date: object = {
        "datetime": dt.datetime(day.year, day.month, day.day, draw(st.integers(0, 23))),
        "date": day,
        "iso": day.isoformat(),
        "serial": float((day - EPOCH).days),
        "text": day.strftime("%b %d, %Y"),
        "timestamp": pd.Timestamp(day),
    }[form]
    money = draw(st.sampled_from(["float", "text", "currency", "accounting"]))
    if money == "float":
        cell_amount: object = amount
    elif money == "text":
        cell_amount = f"{amount:.2f}"
    elif money == "currency":
        cell_amount = f"-${abs(amount):,.2f}" if amount < 0 else f"${amount:,.2f}"
    else:
        cell_amount = f"({abs(amount):,.2f})" if amount < 0 else f"{amount:,.2f}"
    return [cell_id, cell_date, cell_amount], (expected_id, pd.Timestamp(day), amount)


junk = st.sampled_from([None, "", "  ", np.nan, "n/a", "??", "Total", "31/31/2020", True])
messy_row = st.tuples(
    st.one_of(junk, clean_ids), st.one_of(junk, clean_dates), st.one_of(junk, clean_amounts)
).map(list)
blank_row = st.sampled_from([[None, None, None], ["", " ", np.nan]]).map(list)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (
        isinstance(v, str) and not v.strip()
    )


@st.composite
def sheet(draw):
    kinds = draw(st.lists(st.sampled_from(["clean", "messy", "blank"]), min_size=1, max_size=40))
    rows, expected = [], {}
    for i, kind in enumerate(kinds):
        if kind == "clean":
            cells, exp = draw(clean_row())
            expected[i + 2] = exp
        elif kind == "messy":
            cells = draw(messy_row)
        else:
            cells = draw(blank_row)
        rows.append(cells)
    frame = pd.DataFrame(rows, columns=["Customer ID", "Order Date", "Amount"], dtype=object)
    return frame, expected, kinds


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet())
def test_every_row_is_accounted_for_once(case) -> None:
    frame, _, kinds = case
    tx = read_transactions(frame)
    c = tx.counts
    assert c["read"] == c["used"] + c["rejected"]
    assert c["blank"] + c["read"] == len(frame)
    rejected_rows = set(tx.issues.loc[tx.issues["severity"] == "rejected", "row"])
    used_rows = list(tx.data["row"])
    assert len(used_rows) == len(set(used_rows)) == c["used"]
    assert len(rejected_rows) == c["rejected"]
    assert not rejected_rows & set(used_rows)
    cells = frame.itertuples(index=False)
    nonblank = {i + 2 for i, row in enumerate(cells) if not all(map(_blank, row))}
    assert {i + 2 for i, k in enumerate(kinds) if k == "clean"} <= nonblank
    # Every non-blank row appears exactly once: used, or among the rejected issue rows.
    assert set(used_rows) | rejected_rows == nonblank
    doubtful_rows = set(tx.issues.loc[tx.issues["severity"] == "doubtful", "row"])
    assert doubtful_rows <= set(used_rows)
    assert c["doubtful"] == len(doubtful_rows)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet())
def test_clean_rows_round_trip_exactly(case) -> None:
    frame, expected, _ = case
    tx = read_transactions(frame)
    got = {
        int(r): (cid, pd.Timestamp(d), float(a))
        for cid, d, a, r in tx.data[["customer_id", "date", "amount", "row"]].itertuples(
            index=False
        )
    }
    for row, exp in expected.items():
        assert got[row] == exp
