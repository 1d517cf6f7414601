"""Turn raw worksheet-function arguments into arrays, and results and errors back into cells.

This is the one conversion layer between Excel and the package for the worksheet functions in
:mod:`cltv_xl.udfs`. It serves the three xlwings runtimes with the same code:

* classic desktop xlwings (Windows COM): a range arrives as a tuple of tuples, a single cell as
  a scalar, dates as ``datetime`` (pywin32 adds a time zone), blank cells as ``None`` and error
  cells as negative ``int`` COM error codes;
* xlwings Server and xlwings Lite (Office.js): every argument is a 2-D list (a single cell or a
  single row is unwrapped by xlwings first), dates are Excel serial numbers, blank cells are
  ``""`` (or Pyodide's ``JsNull``) and error or rich cells may be dicts.

The UDFs declare their range arguments with xlwings' ``"raw"`` converter, so xlwings does no
per-cell work (its default Office.js conversion costs seconds per 100,000 cells); this module
flattens a range with one NumPy call and hands the cells to :func:`cltv_xl.loading.
read_transactions`, the package's single cleaning path for ids, dates and amounts. Only the
scalar arguments (rates, counts, a single ``as_of`` date) are parsed here, one value at a time.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..errors import FitError, InputError
from ..validation import to_float
from .excel_dates import dates_to_serials, serials_to_dates

try:  # Pyodide >= 0.28 (xlwings Lite) surfaces JS null as a JsNull sentinel.
    from pyodide.ffi import JsNull as _JsNull  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - only importable inside Pyodide
    _JsNull = None

_F = TypeVar("_F", bound=Callable[..., Any])

#: Excel's day zero for serial numbers (the 1900 date system, Lotus leap-year bug included).

#: COM error codes (``CVErr`` values) that classic xlwings passes for error cells in "raw" mode.
COM_ERRORS: dict[int, str] = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
}

#: Excel error codes a worksheet function reports.
VALUE, NUM, DIV0, NA = "#VALUE!", "#NUM!", "#DIV/0!", "#N/A"


class ExcelError(InputError):
    """A worksheet-function argument or result error, with the Excel error code it maps to.

    ``str(error)`` is ``"<code> <message>"``, e.g. ``"#NUM! churn_rate must be > 0; got 0"``:
    that text is what Excel shows (the hover text of a #VALUE! cell under Office.js, the cell
    text under classic COM).
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code} {message}")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def error_mode() -> str:
    """How a worksheet function reports an error in the running runtime.

    * ``"raise"`` under xlwings Server and xlwings Lite (``XLWINGS_ON_SERVER=true`` or Pyodide):
      the exception reaches xlwings' Office.js layer, and Excel shows ``#VALUE!`` with the
      message on the error flag. It is also the mode for plain Python calls on Linux.
    * ``"text"`` under classic desktop xlwings (Windows/macOS without ``XLWINGS_ON_SERVER``): an
      exception would put the whole Python traceback into the cell, so the function returns the
      text ``"#NUM! churn_rate must be > 0"`` instead.
    """
    if os.environ.get("XLWINGS_ON_SERVER") == "true" or sys.platform == "emscripten":
        return "raise"
    if sys.platform in ("win32", "darwin"):
        return "text"
    return "raise"


def to_excel_error(exc: BaseException) -> ExcelError:
    """Map an exception raised below the UDF layer to the Excel error that describes it.

    ``ZeroDivisionError`` is ``#DIV/0!``; a fitting failure or a value outside a formula's
    domain (``ValueError`` from :mod:`cltv_xl.metrics`, ``FitError``) is ``#NUM!``; bad data or
    arguments (``InputError``) and anything else is ``#VALUE!``. The message is the exception's
    own text, never a traceback.
    """
    if isinstance(exc, ExcelError):
        return exc
    message = str(exc) or type(exc).__name__
    if isinstance(exc, ZeroDivisionError):
        return ExcelError(DIV0, message)
    if isinstance(exc, (FitError, FloatingPointError, OverflowError)):
        return ExcelError(NUM, message)
    if isinstance(exc, InputError):
        return ExcelError(VALUE, message)
    if isinstance(exc, ValueError):
        return ExcelError(NUM, message)
    return ExcelError(VALUE, f"{type(exc).__name__}: {message}")


def excel_errors(func: _F) -> _F:
    """Decorate a worksheet function so every failure becomes a readable Excel error.

    Apply it below ``@xw.func``/``@xw.arg``; :func:`functools.wraps` keeps the signature, the
    defaults and the docstring that xlwings reads for Excel's function help.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            error = to_excel_error(exc)
            if error_mode() == "text":
                return [[str(error)]]
            raise error from None

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Scalar arguments
# --------------------------------------------------------------------------------------------


def unwrap(value: Any) -> Any:
    """A single cell from a 1x1 (or 1-long) list/tuple, else the value itself."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value


def is_blank(value: Any) -> bool:
    """True for what an empty cell or an omitted argument looks like in any runtime."""
    value = unwrap(value)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return True
    return _JsNull is not None and isinstance(value, _JsNull)


def _cell_error(value: Any) -> str | None:
    """The Excel error code an error cell carries, or ``None`` if it is not an error cell."""
    if isinstance(value, dict) and value.get("type") == "Error":
        return str(value.get("basicValue") or value.get("errorType") or VALUE)
    if isinstance(value, int) and not isinstance(value, bool) and value in COM_ERRORS:
        return COM_ERRORS[value]
    if isinstance(value, str) and value.strip().upper() in {*COM_ERRORS.values(), "#DATA!"}:
        return value.strip().upper()
    return None


def _basic(value: Any, name: str) -> Any:
    value = unwrap(value)
    if isinstance(value, (list, tuple)):
        raise ExcelError(VALUE, f"{name} must be a single cell; got a range of {len(value)}")
    code = _cell_error(value)
    if code is not None:
        raise ExcelError(VALUE, f"{name} refers to an error cell ({code})")
    if isinstance(value, dict):  # Office.js rich value, e.g. a FormattedNumber
        value = value.get("basicValue")
    return value


def number(value: Any, name: str, default: float | None = None) -> float:
    """Parse one numeric argument: a number, a numeric text, or blank (then ``default``)."""
    if is_blank(value):
        if default is None:
            raise ExcelError(VALUE, f"{name} is required; the cell is blank")
        return float(default)
    value = _basic(value, name)
    if not isinstance(value, (int, float, np.integer, np.floating, str)):
        raise ExcelError(VALUE, f"{name} must be a number; got {value!r}")
    try:
        return to_float(value, name)  # the package's one number parser ("50%", "1,000")
    except InputError as exc:
        raise ExcelError(VALUE, str(exc)) from None


def numbers(value: Any, name: str, default: float | None = None) -> float | np.ndarray:
    """Parse a numeric argument that may be one cell or a range (for element-wise formulas).

    Returns a float for one cell and a 2-D float array for a range, so the metric formulas
    broadcast over it the way Excel's own arithmetic does over arrays.
    """
    value = unwrap(value)
    if not isinstance(value, (list, tuple)):
        return number(value, name, default)
    rows = value if value and isinstance(value[0], (list, tuple)) else [value]
    out = np.empty((len(rows), len(rows[0]) if rows else 0))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            out[i, j] = number(cell, f"{name} (cell {i + 1},{j + 1})", default)
    return out


def date(value: Any, name: str) -> pd.Timestamp | None:
    """Parse one date argument: a date, an Excel serial number, an ISO text, or blank (None)."""
    if is_blank(value):
        return None
    value = _basic(value, name)
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, (int, float, np.integer, np.floating)):
            dates, valid = serials_to_dates([float(value)])
            if not valid[0]:
                raise ValueError
            return pd.Timestamp(dates[0])
        if isinstance(value, dt.datetime):
            return pd.Timestamp(value.replace(tzinfo=None)).normalize()
        if isinstance(value, (dt.date, str)):
            ts = pd.Timestamp(value)
            if ts is not pd.NaT:
                return ts.normalize()
    except (TypeError, ValueError, OverflowError):
        pass
    raise ExcelError(VALUE, f"{name} must be a date or an Excel date number; got {value!r}")


def text(value: Any, name: str, default: str | None = None) -> str:
    """Parse one text argument, e.g. a time unit; blank gives ``default``."""
    if is_blank(value):
        if default is None:
            raise ExcelError(VALUE, f"{name} is required; the cell is blank")
        return default
    value = _basic(value, name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --------------------------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------------------------


def is_range(value: Any) -> bool:
    """True when an argument holds more than one cell."""
    value = unwrap(value)
    return isinstance(value, (list, tuple, np.ndarray))


def cells(value: Any, name: str) -> np.ndarray:
    """Flatten a one-column or one-row range argument to a 1-D object array of raw cells.

    One NumPy conversion for the whole range, then a type census (``set(map(type, ...))``, at C
    speed) decides whether any cell needs fixing: Office.js dicts (error or formatted cells),
    Pyodide ``JsNull``, COM error codes and pywin32's time-zone-aware datetimes. Plain ranges of
    text, numbers and dates pass through untouched.
    """
    if isinstance(value, np.ndarray):
        arr = value.astype(object, copy=False)
    elif isinstance(value, (list, tuple)):
        shape: tuple[int, ...] = (len(value),)
        if value and isinstance(value[0], (list, tuple)):
            shape = (len(value), len(value[0]))
            if len(set(map(len, value))) > 1:
                raise ExcelError(VALUE, f"{name} must be a rectangular range")
        arr = np.empty(shape, dtype=object)
        arr[...] = value
    else:
        arr = np.empty(1, dtype=object)
        arr[0] = value
    if arr.ndim == 2:
        rows, cols = arr.shape
        if rows > 1 and cols > 1:
            raise ExcelError(
                VALUE, f"{name} must be a single column or row; got {rows} rows x {cols} columns"
            )
    flat = arr.ravel()
    kinds = set(map(type, flat))
    if int in kinds:  # classic COM error cells arrive as CVErr codes
        is_error = pd.Series(flat).isin(list(COM_ERRORS)).to_numpy()
        if is_error.any():
            flat = flat.copy()
            flat[is_error] = [COM_ERRORS[v] for v in flat[is_error]]
    aware = any(issubclass(k, dt.datetime) for k in kinds) and any(
        v.tzinfo is not None for v in flat if isinstance(v, dt.datetime)
    )
    if dict in kinds or aware or (_JsNull is not None and _JsNull in kinds):
        flat = np.fromiter((_plain_cell(v) for v in flat), dtype=object, count=len(flat))
    return flat


def _plain_cell(value: Any) -> Any:
    if _JsNull is not None and isinstance(value, _JsNull):
        return None
    code = _cell_error(value) if isinstance(value, (dict, int)) else None
    if code is not None:
        return code
    if isinstance(value, dict):
        return value.get("basicValue")
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def columns(**ranges: Any) -> pd.DataFrame:
    """Flatten same-length range arguments into one frame of raw cells, one column per range."""
    arrays = {name: cells(value, name) for name, value in ranges.items()}
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ExcelError(VALUE, f"the ranges must have the same number of cells: {detail}")
    return pd.DataFrame(arrays)


def transactions(ids: Any, dates: Any, amounts: Any):
    """Clean id, date and amount ranges into :class:`~cltv_xl.transactions.Transactions`.

    All cleaning is :func:`cltv_xl.loading.read_transactions`'s, the same as for a sheet or a
    file. ``dates`` may be ``None`` for functions that only need ids and amounts: every row
    then gets the same placeholder date, which no result of those functions depends on.
    """
    from ..loading import read_transactions

    if dates is None:
        frame = columns(ids=ids, amounts=amounts)
        frame.insert(1, "dates", PLACEHOLDER_DATE)
    else:
        frame = columns(ids=ids, dates=dates, amounts=amounts)
    return read_transactions(frame, customer_col="ids", date_col="dates", amount_col="amounts")


#: Date given to every row when a function reads only ids and amounts.
PLACEHOLDER_DATE = dt.datetime(2000, 1, 1)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _column_cells(series: pd.Series) -> list[Any]:
    """One result column as plain Python cell values (JSON- and COM-safe)."""
    values = series.to_numpy()
    if np.issubdtype(values.dtype, np.datetime64):
        serial = dates_to_serials(values)
        return [("" if np.isnan(v) else v) for v in serial.tolist()]
    if np.issubdtype(values.dtype, np.integer) or values.dtype == bool:
        return values.tolist()
    if np.issubdtype(values.dtype, np.floating):
        out = values.astype(np.float64).tolist()
        if np.isnan(values).any() or np.isinf(values).any():
            out = ["" if not np.isfinite(v) else v for v in out]
        return out
    return ["" if v is None or (isinstance(v, float) and not np.isfinite(v)) else str(v)
            for v in values.tolist()]


def table(frame: pd.DataFrame, header: Sequence[str] | None = None) -> list[list[Any]]:
    """A frame as a 2-D list with a header row, ready to spill.

    Dates become Excel serial numbers (format those columns as dates), missing values blank
    cells, NumPy scalars plain floats and ints. The work is one list per column plus one
    ``zip``, so a 100,000-row result costs milliseconds rather than xlwings' per-cell writer.
    """
    cols = [_column_cells(frame[c]) for c in frame.columns]
    head = list(header) if header is not None else [str(c) for c in frame.columns]
    return [head, *map(list, zip(*cols, strict=True))]
