"""Date cells -> ``datetime64[ns]`` at midnight.

Accepted: real date/datetime cells; Excel serial numbers in the 1900 date system (1 = 1900-01-01,
with Excel's phantom 29 Feb 1900 at serial 60, so serials from 61 on count from 1899-12-30);
eight-digit ``yyyymmdd`` numbers (the CDNOW format); ISO text ("1997-01-12", with or without a
time); and common text forms: "Jan 12, 1997", "12 January 1997", "12-Jan-97", "1997/01/12",
"12/01/1997" (month first unless ``dayfirst=True``). A time of day is dropped.

Text is parsed format by format over the distinct values (``pandas.to_datetime`` with an explicit
``format`` per pass), so each distinct text costs one vectorised attempt per format at most; text
that matches no format is rejected (no guessing with free-form parsers).

Dates before 1900-01-01 or after 2099-12-31 are rejected as implausible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..excel.excel_dates import PHANTOM_LEAP_SERIAL, serials_to_dates
from .parsed import (
    MISSING,
    OK,
    Parsed,
    factorize,
    is_datetime,
    is_number,
    is_text_dtype,
    take,
    take_status,
)

EARLIEST = np.datetime64("1900-01-01", "ns")
LATEST = np.datetime64("2099-12-31", "ns")

BAD_TEXT = 2
BAD_ORDER = 3
BAD_NUMBER = 4
BAD_RANGE = 5
BAD_TYPE = 6
BAD_LEAP = 7

REASONS = {
    BAD_TEXT: "unreadable date",
    BAD_NUMBER: "number is not a date (Excel serial 1-73050 or yyyymmdd expected)",
    BAD_RANGE: "date outside 1900-01-01..2099-12-31",
    BAD_TYPE: "not a date",
    BAD_LEAP: "serial 60 is 29 Feb 1900, a day that does not exist",
}

_TIME_TAIL = (
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)$"
)


def _order_reason(dayfirst: bool) -> str:
    if dayfirst:
        return "unreadable date (read as day/month/year because dayfirst=True)"
    return "unreadable date (read as month/day/year; pass dayfirst=True for day/month/year)"


def _formats(dayfirst: bool) -> list[str]:
    numeric = []
    for sep in "/-.":
        if dayfirst:
            numeric += [f"%d{sep}%m{sep}%Y", f"%d{sep}%m{sep}%y"]
        else:
            numeric += [f"%m{sep}%d{sep}%Y", f"%m{sep}%d{sep}%y"]
    named = [
        "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%b %d %y", "%d %b %y",
        "%d-%b-%Y", "%d-%b-%y", "%b-%d-%Y", "%d-%B-%Y", "%Y-%b-%d", "%Y %b %d", "%Y %B %d",
    ]
    return ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", *numeric, *named]


def _text_to_dates(texts: np.ndarray, dayfirst: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse distinct date texts; returns (datetime64[ns] values, status codes)."""
    n = len(texts)
    out = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    status = np.full(n, BAD_TEXT, dtype=np.int8)
    if n == 0:
        return out, status
    s = pd.Series(texts, dtype=object).astype(str)
    clean = (
        s.str.replace(_TIME_TAIL, "", regex=True)
        .str.replace(r"^[A-Za-z]+day,?\s+", "", regex=True)  # leading weekday
        .str.replace(r"(?<=\d)(st|nd|rd|th)\b", "", regex=True)
        .str.replace(",", " ", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    ).to_numpy(dtype=object)
    todo = np.arange(n)
    for fmt in _formats(dayfirst):
        if not len(todo):
            break
        parsed = pd.to_datetime(
            pd.Series(clean[todo], dtype=object), format=fmt, errors="coerce"
        ).to_numpy(dtype="datetime64[ns]")
        hit = ~np.isnat(parsed)
        out[todo[hit]] = parsed[hit]
        status[todo[hit]] = OK
        todo = todo[~hit]
    if len(todo):  # would the other day/month order have read it? Then say so.
        for fmt in [f for f in _formats(not dayfirst) if f not in _formats(dayfirst)]:
            parsed = pd.to_datetime(
                pd.Series(clean[todo], dtype=object), format=fmt, errors="coerce"
            )
            status[todo[parsed.notna().to_numpy()]] = BAD_ORDER
    return out, status


def _numbers_to_dates(nums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel serials (1900 system) or yyyymmdd numbers -> (datetime64[ns], status)."""
    nums = np.asarray(nums, dtype=np.float64)
    n = len(nums)
    out = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    status = np.full(n, BAD_NUMBER, dtype=np.int8)
    finite = np.isfinite(nums)
    whole = np.floor(np.where(finite, nums, 0)).astype(np.int64)
    dates, serial = serials_to_dates(nums)
    out[serial] = dates[serial]
    status[serial] = OK
    status[finite & (whole == PHANTOM_LEAP_SERIAL)] = BAD_LEAP
    ymd = finite & (nums == whole) & (whole >= 19000101) & (whole <= 20991231)
    if ymd.any():
        parsed = pd.to_datetime(
            pd.Series(whole[ymd].astype(str)), format="%Y%m%d", errors="coerce"
        ).to_numpy(dtype="datetime64[ns]")
        idx = np.flatnonzero(ymd)
        good = ~np.isnat(parsed)
        out[idx[good]] = parsed[good]
        status[idx[good]] = OK
    return out, status


def _datetimes(values: pd.Series) -> np.ndarray:
    """A datetime64 (possibly tz-aware) series as naive datetime64[ns] at midnight."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.dt.normalize().to_numpy(dtype="datetime64[ns]")


def parse_dates(s: pd.Series, *, dayfirst: bool = False) -> Parsed:
    """Parse a date column of any dtype (see the module docstring for what is accepted)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = _datetimes(s)
        status = np.where(np.isnat(values), MISSING, OK).astype(np.int8)
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        nums = s.to_numpy(dtype=np.float64, na_value=np.nan)
        values, status = _numbers_to_dates(nums)
        status[np.isnan(nums)] = MISSING
    else:
        codes, uniq = factorize(s)
        u_vals = np.full(len(uniq), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
        u_stat = np.full(len(uniq), BAD_TYPE, dtype=np.int8)
        if is_text_dtype(s):
            kinds = np.full(len(uniq), "s", dtype="<U1")
        else:
            kinds = np.array(
                [
                    "d" if is_datetime(v) else "n" if is_number(v) else "s" if isinstance(v, str)
                    else "x"
                    for v in uniq
                ],
                dtype="<U1",
            )
        text_idx = np.flatnonzero(kinds == "s")
        if len(text_idx):
            texts = pd.Series(uniq[text_idx], dtype=object).astype(str).str.strip()
            numeric = texts.str.fullmatch(r"\d+(\.\d+)?").to_numpy(dtype=bool)
            kinds[text_idx[numeric]] = "n"
            uniq[text_idx[numeric]] = pd.to_numeric(texts[numeric]).to_numpy()
            rest = text_idx[~numeric]
            u_vals[rest], u_stat[rest] = _text_to_dates(texts[~numeric].to_numpy(), dayfirst)
        num_idx = np.flatnonzero(kinds == "n")
        if len(num_idx):
            u_vals[num_idx], u_stat[num_idx] = _numbers_to_dates(uniq[num_idx].astype(float))
        dt_idx = np.flatnonzero(kinds == "d")
        if len(dt_idx):
            conv = pd.to_datetime(pd.Series(list(uniq[dt_idx]), dtype=object), errors="coerce")
            if isinstance(conv.dtype, pd.DatetimeTZDtype):
                conv = conv.dt.tz_localize(None)
            u_vals[dt_idx] = conv.dt.normalize().to_numpy(dtype="datetime64[ns]")
            u_stat[dt_idx] = np.where(np.isnat(u_vals[dt_idx]), BAD_TYPE, OK)
        values = take(u_vals, codes, np.datetime64("NaT", "ns"))
        status = take_status(u_stat, codes)
    out_of_range = (status == OK) & ((values < EARLIEST) | (values > LATEST))
    status = np.where(out_of_range, BAD_RANGE, status).astype(np.int8)
    values = np.where(status == OK, values, np.datetime64("NaT", "ns")).astype("datetime64[ns]")
    return Parsed(values=values, status=status, reasons=_reasons_for(dayfirst))


def _reasons_for(dayfirst: bool) -> dict[int, str]:
    return {**REASONS, BAD_ORDER: _order_reason(dayfirst)}
