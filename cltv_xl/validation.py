"""The one number and unit validation of the package.

Every front door (the command line, :func:`cltv_xl.build_report`, the refresh, the worksheet
functions) and every formula layer (:mod:`cltv_xl.metrics`, :class:`cltv_xl.Assumptions`)
checks its numeric arguments here, so a bad value gets the same message wherever it is typed:
``margin must be in (0, 1]; got 2``. Errors are :class:`~cltv_xl.errors.InputError` (a
``ValueError``) naming the argument and the allowed range.

This module imports nothing above :mod:`cltv_xl.errors` and :mod:`cltv_xl.timeunits`, so the
lowest layers can use it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InputError
from .timeunits import check_unit

__all__ = ["check_values", "choice", "fmt", "interval", "number", "to_float", "unit"]


def fmt(x: float) -> str:
    """A number as the messages show it: ``2``, ``0.5``, ``NaN``."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer():
        return str(int(x))
    return repr(x)


def interval(low: float = -math.inf, high: float = math.inf, low_open: bool = False,
             high_open: bool = False) -> str:
    """The allowed range in words: ``>= 0``, ``> 0``, ``in (0, 1]``, ``a finite number``."""
    if low == -math.inf and high == math.inf:
        return "a finite number"
    if high == math.inf:
        return f"> {fmt(low)}" if low_open else f">= {fmt(low)}"
    if low == -math.inf:
        return f"< {fmt(high)}" if high_open else f"<= {fmt(high)}"
    return f"in {'(' if low_open else '['}{fmt(low)}, {fmt(high)}{')' if high_open else ']'}"


def check_values(
    values: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
    hint: str = "",
    where: Any = None,
) -> np.ndarray:
    """Check that every value of a float array lies in the interval; return the array.

    NaN always fails; infinities fail unless ``allow_inf``. The first bad value is reported:
    ``{name} must be {interval}; got {value}{where}{note}``. ``where(flat_position)`` may add
    the position of the bad value in an array argument; ``hint`` is added when the bad value is
    one of the bounds (``(a churn of 0 means an infinite lifetime)``).
    """
    arr = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = (arr > low) if low_open else (arr >= low)
        ok &= (arr < high) if high_open else (arr <= high)
        if not allow_inf:
            ok &= np.isfinite(arr)
    if ok.all():
        return arr
    flat = int(np.flatnonzero(~ok.ravel())[0])
    bad = float(arr.ravel()[flat])
    text = interval(low, high, low_open, high_open)
    if not allow_inf and high == math.inf and low != -math.inf:
        text = "a finite number " + text
    place = where(flat) if where is not None else ""
    note = ""
    if math.isnan(bad):
        note = " (a missing value)"
    elif hint and bad in (low, high):
        note = f" ({hint})"
    raise InputError(f"{name} must be {text}; got {fmt(bad)}{place}{note}")


def to_float(value: Any, name: str) -> float:
    """One number from a number or a numeric text (``"0.3"``, ``"30%"``, ``"1,000"``)."""
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be a number; got {value!r}")
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        scale = 0.01 if text.endswith("%") else 1.0
        try:
            return float(text.rstrip("%")) * scale
        except ValueError:
            raise InputError(f"{name} must be a number; got {value!r}") from None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a number; got {value!r}") from exc


def number(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """One validated number: converted with :func:`to_float`, checked with
    :func:`check_values` (finite, inside the interval)."""
    x = to_float(value, name)
    check_values(x, name, low=low, high=high, low_open=low_open, high_open=high_open, hint=hint)
    return x


def choice(value: Any, name: str, aliases: dict[str, str], allowed: str) -> str:
    """The code of a named choice (``aliases``: lower-case spelling -> code); InputError
    ``{name} must be {allowed}; got {value!r}`` otherwise."""
    code = aliases.get(value.strip().lower()) if isinstance(value, str) else None
    if code is None:
        raise InputError(f"{name} must be {allowed}; got {value!r}")
    return code


def unit(value: Any, name: str = "time_unit") -> str:
    """A time unit ``"D"``, ``"W"`` or ``"M"`` (also ``days``, ``week``...); InputError else."""
    return check_unit(value, name)
