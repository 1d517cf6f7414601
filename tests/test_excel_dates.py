"""Excel serial dates, 1900 system, both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cltv_xl.excel_dates import dates_to_serials, serials_to_dates


def test_known_serials_including_the_phantom_leap_day():
    dates, valid = serials_to_dates([1, 59, 60, 61, 35431, 45292.75, 0, np.nan, 73051])
    assert valid.tolist() == [True, True, False, True, True, True, False, False, False]
    expected = ["1900-01-01", "1900-02-28", None, "1900-03-01", "1997-01-01", "2024-01-01"]
    for got, want in zip(dates[:6], expected, strict=True):
        assert (pd.isna(got) and want is None) or pd.Timestamp(got) == pd.Timestamp(want)
    assert np.isnat(dates[6:]).all()


@given(st.integers(61, 73050))
def test_round_trip_from_march_1900(serial):
    dates, valid = serials_to_dates([serial])
    assert valid[0]
    assert dates_to_serials(dates)[0] == serial


def test_nat_becomes_nan():
    out = dates_to_serials(np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"))
    assert out[0] == 45292.0 and np.isnan(out[1])
