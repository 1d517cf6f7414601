"""Explicit time units.

Every duration in this package carries its unit: ``"D"`` (days), ``"W"`` (weeks) or ``"M"``
(months). A week is exactly 7 days and a month is exactly 365.25 / 12 = 30.4375 days; nothing is
rounded and there is no hidden 30-day month (the trap of ``lifetimes`` issues #137, #194, #215).
"""

from __future__ import annotations

from typing import Literal

from .errors import InputError

TimeUnit = Literal["D", "W", "M"]

#: Length of one unit in days.
UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}

#: Human names, for labels in reports and error messages.
UNIT_NAMES: dict[str, str] = {"D": "days", "W": "weeks", "M": "months"}

_ALIASES = {
    "d": "D", "day": "D", "days": "D",
    "w": "W", "week": "W", "weeks": "W",
    "m": "M", "month": "M", "months": "M",
}


def check_unit(unit: str, name: str = "time_unit") -> str:
    """Return the canonical unit code for ``unit``, or raise
    :class:`~cltv_xl.errors.InputError` (a ``ValueError``) naming the argument and the choices."""
    from .validation import choice

    return choice(unit, name, _ALIASES, "one of 'D' (days), 'W' (weeks) or 'M' (months)")


def unit_days(unit: str) -> float:
    """Number of days in one ``unit``."""
    return UNIT_DAYS[check_unit(unit)]


def convert(value, from_unit: str, to_unit: str):
    """Convert a duration (scalar or array) from one unit to another."""
    return value * (unit_days(from_unit) / unit_days(to_unit))


def convert_rate(rate, from_unit: str, to_unit: str):
    """Convert a compound per-period rate (e.g. a discount rate) between units.

    ``(1 + rate) ** (length(to) / length(from)) - 1``: a 1% monthly rate is about 0.23% weekly.
    """
    return (1.0 + rate) ** (unit_days(to_unit) / unit_days(from_unit)) - 1.0


#: The supported date window (inclusive): dates outside it are rejected rows, and date
#: arguments outside it are refused (pandas' nanosecond timestamps wrap silently after 2262).
EARLIEST_DATE = "1900-01-01"
LATEST_DATE = "2099-12-31"


def as_date(value, name: str = "as_of", *, required: bool = False):
    """A date argument (string, date, datetime, Timestamp) as a midnight ``pd.Timestamp``.

    ``None`` stays ``None`` unless ``required``. Time zones are dropped (the wall-clock date is
    kept). Anything that is not a date raises :class:`~cltv_xl.errors.InputError` naming the
    argument: ``as_of must be a date such as '1997-09-30'; got 'soon'``.
    """
    import pandas as pd

    example = f"{name} must be a date such as '1997-09-30'; got {value!r}"
    if value is None and not required:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(example) from exc
    if ts is pd.NaT:
        raise InputError(example)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if not pd.Timestamp(EARLIEST_DATE) <= ts <= pd.Timestamp(LATEST_DATE) + pd.Timedelta(days=1):
        raise InputError(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE} (the "
                         f"supported date window); got {value!r}")
    return ts.normalize()
