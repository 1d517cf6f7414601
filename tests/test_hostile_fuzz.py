"""Fuzzing the loader and the metrics with hypothesis (issue 12), within a time budget.

Whatever bytes a CSV file holds and whatever values a frame's cells hold, ``read_transactions``
either accounts for every row (read == used + rejected, every rejected row listed with a
reason) or raises a one-line :class:`~cltv_xl.errors.InputError`; nothing else escapes. The
metrics return finite numbers or raise ``ValueError``. ``derandomize=True`` makes each run
replay the same examples, so CI is stable; ``max_examples`` keeps the module under 20 s.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cltv_xl import metrics
from cltv_xl.errors import InputError
from cltv_xl.loading import read_transactions

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

BUDGET = settings(max_examples=60, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])


def _accounted(tx) -> None:
    counts = tx.counts
    assert counts["read"] == counts["used"] + counts["rejected"]
    assert len(tx.data) == counts["used"]
    rejected = tx.issues[tx.issues["severity"] == "rejected"]
    assert rejected["row"].nunique() == counts["rejected"]
    assert tx.issues["reason"].astype(str).str.len().min() > 0 if len(tx.issues) else True
    if counts["used"]:
        assert np.isfinite(tx.data["amount"].to_numpy(dtype=float)).all()
        assert tx.data["date"].notna().all()


def _read(source):
    try:
        tx = read_transactions(source)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    _accounted(tx)
    return tx


# ------------------------------------------------------------------------- CSV bytes

field_bytes = st.one_of(
    st.binary(max_size=12),
    st.sampled_from([b"1997-01-01", b"01/02/1997", b"12.50", b"(3.00)", b"\xef\xbb\xbf",
                     b'"', b"\r", b"\x00", b"9" * 40, b"-", b"=1+1", b"\xff\xfe"]),
    st.text(max_size=8).map(lambda t: t.encode("utf-8", "replace")),
)
line = st.lists(field_bytes, min_size=0, max_size=4).map(lambda fs: b",".join(fs))


@settings(BUDGET, max_examples=40)
@given(st.lists(line, max_size=12))
def test_csv_files_of_random_bytes(lines):
    body = b"customer,date,amount\n" + b"\n".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(body)
        _read(path)


# ------------------------------------------------------------------------- frame cells

cell = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2250, 12, 31)),
    st.dates(min_value=dt.date(1700, 1, 1), max_value=dt.date(2250, 12, 31)),
    st.sampled_from(["", " ", "#N/A", "Total", "1,234", "1.234,56", "(12.50)", "12.50-",
                     "€ 5", "19970112", "0", "-0", "nan", "inf", "1e308", "=A1"]),
)


@BUDGET
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=15))
def test_frames_of_random_cells(rows):
    frame = pd.DataFrame(rows, columns=["Customer ID", "Date", "Amount"], dtype=object)
    _read(frame)


@BUDGET
@given(st.lists(st.tuples(st.text(min_size=1, max_size=6), cell, cell), min_size=1,
                max_size=15))
def test_valid_ids_with_random_dates_and_amounts(rows):
    # With a real id on every row, a row is used only with a finite amount and a date.
    frame = pd.DataFrame([("C" + i, d, a) for i, d, a in rows],
                         columns=["Customer ID", "Date", "Amount"], dtype=object)
    _read(frame)


# ------------------------------------------------------------------------- metrics

numbers = st.floats(allow_nan=True, allow_infinity=True)


def _finite_or_value_error(func, *args) -> None:
    try:
        value = func(*args)
    except ValueError as exc:
        assert str(exc)
        return
    assert math.isfinite(float(value)), f"{func.__name__}{args} = {value}"


@BUDGET
@given(numbers, numbers, numbers)
def test_scalar_metrics_never_return_nan(a, b, c):
    # NaN and infinite inputs are refused; the inf results of issue 12 (cltv(1e308, 7),
    # lifetime(5e-324)) are test_metrics_are_finite_or_refused, below.
    for func, args in ((metrics.arpu, (a, b)), (metrics.churn_rate, (a, b)),
                       (metrics.retention_rate, (a, b, c)), (metrics.ltv_cac_ratio, (a, b)),
                       (metrics.cac_payback_periods, (a, b, c)),
                       (metrics.clv_margin, (a, b, c)),
                       (metrics.average_order_value, (a, b)),
                       (metrics.purchase_frequency, (a, b))):
        try:
            value = func(*args)
        except ValueError:
            continue
        assert not math.isnan(float(value)), f"{func.__name__}{args} = {value}"


@BUDGET
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False),
       st.floats(min_value=0, allow_nan=False, allow_infinity=False))
@example(1e308, 7.0)  # issue 12: inf
@example(5e-324, 1.0)  # lifetime(5e-324): inf
@example(1e308, 1e-308)  # arpu, average_order_value, purchase_frequency overflow too
def test_metrics_are_finite_or_refused(x, y):
    # The metrics' promise: a finite number or a ValueError naming the argument, never inf.
    for func, args in ((metrics.cltv, (x, y)), (metrics.lifetime, (x,)),
                       (metrics.arpu, (x, y)), (metrics.average_order_value, (x, y)),
                       (metrics.purchase_frequency, (x, y)), (metrics.ltv_cac_ratio, (x, y))):
        _finite_or_value_error(func, *args)
