"""Excel serial dates (the 1900 date system), both ways, vectorised.

Excel counts days from 1899-12-30 and, for compatibility with Lotus 1-2-3, has a phantom
29 February 1900 at serial 60; serials 1 to 59 are therefore one day later than plain
counting gives. Office.js passes dates to worksheet functions as these numbers, workbooks store
them, and the report writers write them.
"""

from __future__ import annotations

import numpy as np

#: Day zero of Excel's serial numbers for dates from 1 March 1900 on.
EPOCH = np.datetime64("1899-12-30", "D")
#: The phantom leap day, which has no real date.
PHANTOM_LEAP_SERIAL = 60
#: Largest serial accepted (31 December 2099); later numbers are taken as not dates.
MAX_SERIAL = 73050


def serials_to_dates(serials) -> tuple[np.ndarray, np.ndarray]:
    """Serial numbers -> (``datetime64[ns]`` dates at midnight, mask of valid serials).

    The fraction of a day (a time) is dropped. Invalid serials (not finite, below 1, above
    :data:`MAX_SERIAL`, or the phantom 29 February 1900) give NaT and ``False``.
    """
    nums = np.asarray(serials, dtype=np.float64)
    finite = np.isfinite(nums)
    whole = np.floor(np.where(finite, nums, 0)).astype(np.int64)
    valid = finite & (whole >= 1) & (whole <= MAX_SERIAL) & (whole != PHANTOM_LEAP_SERIAL)
    days = np.where(whole > PHANTOM_LEAP_SERIAL, whole, whole + 1)
    out = np.full(nums.shape, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    out[valid] = (EPOCH + days[valid].astype("timedelta64[D]")).astype("datetime64[ns]")
    return out, valid


def dates_to_serials(dates) -> np.ndarray:
    """``datetime64`` values -> whole-day serial numbers as floats (NaN for NaT).

    Meant for dates from 1 March 1900 on, which is every date the loader accepts.
    """
    days = np.asarray(dates).astype("datetime64[ns]").astype("datetime64[D]")
    out = (days - EPOCH).astype(np.float64)
    out[np.isnat(days)] = np.nan
    return out
