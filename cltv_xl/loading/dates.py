"""Date cells -> ``datetime64[ns]`` at midnight.

Accepted: real date/datetime cells; Excel serial numbers in the 1900 date system (1 = 1900-01-01,
with Excel's phantom 29 Feb 1900 at serial 60, so serials from 61 on count from 1899-12-30);
eight-digit ``yyyymmdd`` numbers (the CDNOW format); ISO text ("1997-01-12", with or without a
time); and common text forms: "Jan 12, 1997", "12 January 1997", "12-Jan-97", "1997/01/12",
"12/01/1997". A time of day is dropped.

Day/month order of slashed, dashed and dotted dates is decided once per column, never per
value: ``dayfirst=True``/``False`` sets it; by default (``None``) it is inferred from the data.
A value whose first field is above 12 ("13/01/1997") proves day first, one whose second field is
above 12 ("01/13/1997") month first. When the column holds both kinds, the order with more
distinct values wins and the others are rejected. When no value decides, the column is
*ambiguous*: it is read month first (day first for dotted dates such as "03.04.1997", which
are day first by convention) and the result says so loudly (:class:`DateOrder`).

Text is parsed format by format over the distinct values (``pandas.to_datetime`` with an explicit
``format`` per pass), so each distinct text costs one vectorised attempt per format at most; text
that matches no format is rejected (no guessing with free-form parsers).

Dates before 1900-01-01 or after 2099-12-31 are rejected as implausible. Dates are handled as
whole days (``datetime64[D]``) until this window has been checked, so a year such as 1500 or
3000 (outside pandas' nanosecond range, 1677-2262) is rejected with its reason, never wrapped
round to a wrong date. Unicode digits (Arabic-Indic "١٢٣", full-width "１２") are read as digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..excel.excel_dates import PHANTOM_LEAP_SERIAL, serials_to_dates
from ..timeunits import EARLIEST_DATE, LATEST_DATE
from .parsed import (
    MISSING,
    OK,
    Parsed,
    ascii_digits,
    factorize,
    is_datetime,
    is_number,
    is_text_dtype,
    take,
    take_status,
)

EARLIEST = np.datetime64(EARLIEST_DATE, "D")
LATEST = np.datetime64(LATEST_DATE, "D")
_NAT = np.datetime64("NaT", "D")

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


DAY_FIRST = "day/month/year"
MONTH_FIRST = "month/day/year"


@dataclass(frozen=True)
class DateOrder:
    """How the day/month order of a date column was decided.

    ``order`` is :data:`DAY_FIRST`, :data:`MONTH_FIRST`, or ``None`` when the column holds no
    day/month dates (ISO dates, real date cells, serial numbers); ``how`` is ``"dayfirst=True"``,
    ``"dayfirst=False"``, ``"inferred"`` or ``"ambiguous"``; ``evidence`` quotes a deciding value
    (or says why none decides); ``conflicting`` counts distinct values written the other way
    (rejected).
    """

    order: str | None
    how: str
    evidence: str = ""
    conflicting: int = 0

    @property
    def ambiguous(self) -> bool:
        return self.how == "ambiguous"

    def as_dict(self) -> dict[str, object]:
        return {"order": self.order, "how": self.how, "ambiguous": self.ambiguous,
                "evidence": self.evidence, "conflicting": self.conflicting}


_DM = r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$"


def infer_order(clean: pd.Series, dayfirst: bool | None) -> tuple[bool, DateOrder]:
    """Decide the day/month order of a column from its distinct cleaned texts."""
    parts = clean.str.extract(_DM)
    has = parts[0].notna().to_numpy(dtype=bool)
    if dayfirst is not None:
        order = DAY_FIRST if dayfirst else MONTH_FIRST
        return dayfirst, DateOrder(order if has.any() else None, f"dayfirst={dayfirst}")
    if not has.any():
        return False, DateOrder(None, "inferred", "no day/month dates in the column")
    first = pd.to_numeric(parts[0][has]).to_numpy()
    second = pd.to_numeric(parts[2][has]).to_numpy()
    texts = clean[has].to_numpy(dtype=object)
    day = (first > 12) & (first <= 31) & (second <= 12)
    month = (second > 12) & (second <= 31) & (first <= 12)
    n_day, n_month = int(day.sum()), int(month.sum())
    if n_day or n_month:
        dayfirst = n_day >= n_month
        proof = texts[day if dayfirst else month][0]
        field = "first" if dayfirst else "second"
        return dayfirst, DateOrder(
            DAY_FIRST if dayfirst else MONTH_FIRST, "inferred",
            f"'{proof}' has a {field} field above 12",
            conflicting=n_month if dayfirst else n_day,
        )
    dotted = (parts[1][has] == ".").mean() > 0.5
    order = DAY_FIRST if dotted else MONTH_FIRST
    why = "dotted dates are day first by convention" if dotted else "the default"
    return bool(dotted), DateOrder(
        order, "ambiguous",
        f"no value has a day or month field above 12 (e.g. '{texts[0]}'); read as {order} "
        f"({why}); pass dayfirst=True or False (CLI: --dayfirst / --monthfirst) to choose",
    )


def _order_reason(dayfirst: bool, how: str) -> str:
    order = DAY_FIRST if dayfirst else MONTH_FIRST
    if how == "inferred":
        return (f"unreadable date: day/month order differs from the rest of the column "
                f"(read as {order})")
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


def _to_days(values) -> np.ndarray:
    """Any datetime64 array or Series (any unit, tz-aware or not) as whole days, without the
    overflow that a conversion to nanoseconds has outside 1677-2262."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_localize(None)
        values = values.to_numpy()
    return np.asarray(values).astype("datetime64[D]")


def _text_to_dates(
    texts: np.ndarray, dayfirst: bool | None
) -> tuple[np.ndarray, np.ndarray, DateOrder]:
    """Parse distinct date texts; returns (datetime64[D] values, status codes, order)."""
    n = len(texts)
    out = np.full(n, _NAT, dtype="datetime64[D]")
    status = np.full(n, BAD_TEXT, dtype=np.int8)
    if n == 0:
        return out, status, DateOrder(None, "inferred" if dayfirst is None else
                                      f"dayfirst={dayfirst}")
    s = pd.Series(texts, dtype=object).astype(str)
    clean = (
        s.str.replace(_TIME_TAIL, "", regex=True)
        .str.replace(r"^[A-Za-z]+day,?\s+", "", regex=True)  # leading weekday
        .str.replace(r"(?<=\d)(st|nd|rd|th)\b", "", regex=True)
        .str.replace(",", " ", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    use_dayfirst, order = infer_order(clean, dayfirst)
    clean = clean.to_numpy(dtype=object)
    todo = np.arange(n)
    for fmt in _formats(use_dayfirst):
        if not len(todo):
            break
        parsed = _to_days(
            pd.to_datetime(pd.Series(clean[todo], dtype=object), format=fmt, errors="coerce")
        )
        hit = ~np.isnat(parsed)
        out[todo[hit]] = parsed[hit]
        status[todo[hit]] = OK
        todo = todo[~hit]
    if len(todo):  # pandas 2 coerces a year outside 1677-2262 to NaT: parse those in Python
        far = _far_years(clean[todo])
        days, hit = _strptime_days(clean[todo[far]], _formats(use_dayfirst))
        out[todo[far][hit]] = days[hit]
        status[todo[far][hit]] = OK
        todo = np.setdiff1d(todo, todo[far][hit])
    if len(todo):  # would the other day/month order have read it? Then say so.
        other = [f for f in _formats(not use_dayfirst) if f not in _formats(use_dayfirst)]
        for fmt in other:
            parsed = pd.to_datetime(
                pd.Series(clean[todo], dtype=object), format=fmt, errors="coerce"
            )
            status[todo[parsed.notna().to_numpy()]] = BAD_ORDER
        far = _far_years(clean[todo])
        status[todo[far][_strptime_days(clean[todo[far]], other)[1]]] = BAD_ORDER
    if order.how == "ambiguous" or order.how == "inferred":
        order = DateOrder(order.order, order.how, order.evidence,
                          int((status == BAD_ORDER).sum()))
    return out, status, order


def _far_years(texts: np.ndarray) -> np.ndarray:
    """Mask of texts holding a four-digit year outside pandas' nanosecond range (1678-2261)."""
    years = pd.Series(texts, dtype=object).astype(str).str.findall(r"(?<!\d)\d{4}(?!\d)")
    return np.array([any(not 1678 <= int(y) <= 2261 for y in ys) for ys in years], dtype=bool)


def _strptime_days(texts: np.ndarray, formats: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts parsed with ``datetime.strptime`` (any year 1-9999), first matching format wins:
    (datetime64[D] values, mask of texts read). For the few texts pandas cannot hold."""
    out = np.full(len(texts), _NAT, dtype="datetime64[D]")
    hit = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        for fmt in formats:
            try:
                out[i] = np.datetime64(dt.datetime.strptime(text, fmt).date(), "D")
            except ValueError:
                continue
            hit[i] = True
            break
    return out, hit


def _numbers_to_dates(nums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Excel serials (1900 system) or yyyymmdd numbers -> (datetime64[D], status)."""
    with np.errstate(over="ignore", invalid="ignore"):
        nums = np.asarray(nums, dtype=np.float64)
    n = len(nums)
    out = np.full(n, _NAT, dtype="datetime64[D]")
    status = np.full(n, BAD_NUMBER, dtype=np.int8)
    finite = np.isfinite(nums) & (np.abs(nums) < 1e12)
    whole = np.floor(np.where(finite, nums, 0)).astype(np.int64)
    dates, serial = serials_to_dates(np.where(finite, nums, np.nan))
    out[serial] = dates[serial].astype("datetime64[D]")
    status[serial] = OK
    status[finite & (whole == PHANTOM_LEAP_SERIAL)] = BAD_LEAP
    ymd = finite & (nums == whole) & (whole >= 19000101) & (whole <= 20991231)
    if ymd.any():
        parsed = _to_days(pd.to_datetime(
            pd.Series(whole[ymd].astype(str)), format="%Y%m%d", errors="coerce"
        ))
        idx = np.flatnonzero(ymd)
        good = ~np.isnat(parsed)
        out[idx[good]] = parsed[good]
        status[idx[good]] = OK
    return out, status


def _numeric_texts(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Mask of texts that are plain numbers, and their float values (inf when too long)."""
    numeric = texts.str.fullmatch(r"[0-9]+(\.[0-9]+)?").to_numpy(dtype=bool)
    vals = np.full(len(texts), np.nan)
    if numeric.any():
        nums = texts[numeric].to_numpy(dtype=object)
        vals[numeric] = [float(t) if len(t) < 40 else np.inf for t in nums]
    return numeric, vals


def parse_dates(s: pd.Series, *, dayfirst: bool | None = None) -> Parsed:
    """Parse a date column of any dtype (see the module docstring for what is accepted).

    ``dayfirst``: True reads "03/04/1997" as 3 April, False as March 4, None infers the order
    from the column. The decision is in ``Parsed.note`` (a :class:`DateOrder`).
    """
    order = DateOrder(None, "inferred" if dayfirst is None else f"dayfirst={dayfirst}")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = _to_days(s)
        status = np.where(np.isnat(values), MISSING, OK).astype(np.int8)
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        nums = s.to_numpy(dtype=np.float64, na_value=np.nan)
        values, status = _numbers_to_dates(nums)
        status[np.isnan(nums)] = MISSING
    else:
        codes, uniq = factorize(s)
        u_vals = np.full(len(uniq), _NAT, dtype="datetime64[D]")
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
        nums = np.full(len(uniq), np.nan)
        num_kind = np.flatnonzero(kinds == "n")
        if len(num_kind):
            with np.errstate(over="ignore"):
                nums[num_kind] = [float(v) if abs(v) < 1e300 else np.inf for v in uniq[num_kind]]
        text_idx = np.flatnonzero(kinds == "s")
        if len(text_idx):
            texts = ascii_digits(pd.Series(uniq[text_idx], dtype=object).astype(str).str.strip())
            numeric, vals = _numeric_texts(texts)
            kinds[text_idx[numeric]] = "n"
            nums[text_idx[numeric]] = vals[numeric]
            rest = text_idx[~numeric]
            u_vals[rest], u_stat[rest], order = _text_to_dates(
                texts[~numeric].to_numpy(), dayfirst
            )
        num_idx = np.flatnonzero(kinds == "n")
        if len(num_idx):
            u_vals[num_idx], u_stat[num_idx] = _numbers_to_dates(nums[num_idx])
        dt_idx = np.flatnonzero(kinds == "d")
        if len(dt_idx):
            try:  # vectorised; pandas keeps such cells at microseconds (years 1-9999)
                days = _to_days(pd.to_datetime(pd.Series(list(uniq[dt_idx]), dtype=object),
                                               errors="coerce"))
                u_vals[dt_idx] = days
                u_stat[dt_idx] = np.where(np.isnat(days), BAD_TYPE, OK)
                # pandas 2 coerces a year outside 1677-2262 to NaT: read those cell by cell.
                far = dt_idx[np.isnat(days)]
                if len(far):
                    u_vals[far], u_stat[far] = _cells_to_days(uniq[far])
            except (ValueError, TypeError, OverflowError):  # mixed time zones and the like
                u_vals[dt_idx], u_stat[dt_idx] = _cells_to_days(uniq[dt_idx])
        values = take(u_vals, codes, _NAT)
        status = take_status(u_stat, codes)
    out_of_range = (status == OK) & ((values < EARLIEST) | (values > LATEST))
    status = np.where(out_of_range, BAD_RANGE, status).astype(np.int8)
    values = np.where(status == OK, values, _NAT).astype("datetime64[D]").astype("datetime64[ns]")
    return Parsed(values=values, status=status, reasons=_reasons_for(order), note=order)


def _cells_to_days(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Python/NumPy/pandas date and datetime cells as whole days (any year, no overflow)."""
    out = np.full(len(cells), _NAT, dtype="datetime64[D]")
    status = np.full(len(cells), BAD_TYPE, dtype=np.int8)
    for i, v in enumerate(cells):
        try:
            if isinstance(v, np.datetime64):
                day = v.astype("datetime64[D]")
            elif isinstance(v, pd.Timestamp):
                day = np.datetime64(v.date(), "D")
            else:  # datetime.datetime or datetime.date
                day = np.datetime64(v.date() if hasattr(v, "hour") else v, "D")
        except (ValueError, OverflowError, TypeError):
            continue
        if not np.isnat(day):
            out[i], status[i] = day, OK
    return out, status


def _reasons_for(order: DateOrder) -> dict[int, str]:
    dayfirst = order.order == DAY_FIRST
    return {**REASONS, BAD_ORDER: _order_reason(dayfirst, order.how)}
