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

import contextlib
import datetime as dt
import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from xlwings import XlwingsError

from ..errors import FitError, InputError
from ..numtext import NumberTextError, parse_number_text, separators
from ..transactions import REJECTED
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
#: Office.js ``ErrorCellValue.errorType`` of each code (Excel JavaScript API, ExcelApi 1.16).
OFFICEJS_ERROR_TYPES: dict[str, str] = {
    "#DIV/0!": "Div0",
    "#N/A": "NotAvailable",
    "#NAME?": "Name",
    "#NULL!": "Null",
    "#NUM!": "Num",
    "#REF!": "Ref",
    "#VALUE!": "Value",
}
#: COM error value (``CVErr``) of each code, the inverse of :data:`COM_ERRORS`.
COM_ERROR_CODES: dict[str, int] = {code: number for number, code in COM_ERRORS.items()}
#: ``pythoncom.VT_ERROR``: the VARIANT type of an Excel error value.
VT_ERROR = 10

logger = logging.getLogger("cltv_xl.excel")


class ExcelError(InputError, XlwingsError):
    """A worksheet-function argument or result error, with the Excel error code it maps to.

    ``str(error)`` is ``"<code> <message>"``, e.g. ``"#VALUE! churn_rate must be a number"``.
    It is an :class:`xlwings.XlwingsError`, which xlwings Server answers with HTTP 400 and
    this text (any other exception becomes HTTP 500 "An error occurred." in production, and
    its JavaScript client retries 5xx answers).
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code} {message}")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def officejs_request() -> dict[str, Any] | None:
    """The body of the Office.js worksheet-function call being answered, or None.

    xlwings Server and xlwings Lite run a function from ``custom_functions_call(data, ...)``
    (in :mod:`xlwings.pro.udfs_officejs`), whose ``data`` is the request Excel sent: it
    carries ``culture_info_name`` and the custom-functions ``runtime`` version, which
    xlwings does not pass to the function itself. This walks up the call stack to find it.
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "custom_functions_call" and str(
            frame.f_globals.get("__name__", "")
        ).startswith("xlwings"):
            data = frame.f_locals.get("data")
            if isinstance(data, dict) and "func_name" in data:
                return data
        frame = frame.f_back
    return None


def culture() -> str | None:
    """The caller's culture name (``"de-DE"``) under Office.js, else None (unknown)."""
    request = officejs_request()
    name = request.get("culture_info_name") if request else None
    return str(name) if name else None


def error_mode() -> str:
    """How a worksheet function reports an error in the running runtime.

    * ``"officejs"`` inside an xlwings Server or xlwings Lite call (see :func:`error_result`);
    * ``"com"`` under classic desktop xlwings on Windows (no ``XLWINGS_ON_SERVER``);
    * ``"raise"`` otherwise, e.g. a plain Python call: the :class:`ExcelError` is raised.
    """
    if officejs_request() is not None:
        return "officejs"
    if sys.platform == "win32" and os.environ.get("XLWINGS_ON_SERVER") != "true":
        return "com"
    return "raise"


def com_error_value(code: str) -> Any:
    """A COM VARIANT holding Excel's error value ``code`` (classic xlwings on Windows).

    pywin32 turns a ``win32com.client.VARIANT`` into that VARIANT when it returns it to the
    VBA wrapper xlwings generates, so the cell holds a real ``#DIV/0!`` (``CVErr``).
    """
    from win32com.client import VARIANT  # type: ignore[import-not-found]

    return VARIANT(VT_ERROR, COM_ERROR_CODES.get(code, COM_ERROR_CODES[VALUE]))


def error_result(error: ExcelError, mode: str | None = None) -> Any:
    """Report ``error`` the way the runtime shows it best (raise it, or return an error value).

    * Office.js (Server, Lite): ``#VALUE!`` is raised; xlwings Server answers HTTP 400 with
      the text and its JavaScript shows ``#VALUE!`` with the message on the error flag (the
      only error code whose message the server's client can show). ``#DIV/0!``, ``#NUM!`` and
      ``#N/A`` are returned as real error values (``{"type": "Error", "errorType": "Div0"}``,
      custom-functions runtime 1.4+), so ``IFERROR``, ``ISNA`` and ``ERROR.TYPE`` work; their
      message goes to the server log. Before runtime 1.4 every error is raised.
    * Classic COM: a real error value of the same code; the message goes to the log.
    * Otherwise the error is raised.
    """
    mode = mode or error_mode()
    if mode == "officejs":
        request = officejs_request() or {}
        try:
            runtime = float(request.get("runtime") or 0)
        except (TypeError, ValueError):
            runtime = 0.0
        if error.code != VALUE and runtime >= 1.4 and error.code in OFFICEJS_ERROR_TYPES:
            logger.warning("%s", error)
            return [[{"type": "Error", "errorType": OFFICEJS_ERROR_TYPES[error.code]}]]
        raise error
    if mode == "com":
        logger.warning("%s", error)
        return [[com_error_value(error.code)]]
    raise error


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
            return error_result(to_excel_error(exc))

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
    if code is not None:  # an error in an argument propagates, as in Excel's own functions
        raise ExcelError(code if code in OFFICEJS_ERROR_TYPES else VALUE, f"{name} is {code}")
    if isinstance(value, dict):  # Office.js rich value, e.g. a FormattedNumber
        value = value.get("basicValue")
    return value


_CALLER = object()


def number(
    value: Any, name: str, default: float | None = None, *, culture_name: Any = _CALLER
) -> float:
    """Parse one numeric argument: a number, a numeric text, or blank (then ``default``).

    A text is read with the separators of the caller's culture (:mod:`cltv_xl.numtext`;
    ``culture_name`` overrides it, None means unknown); an ambiguous text is an error.
    """
    if is_blank(value):
        if default is None:
            raise ExcelError(VALUE, f"{name} is required; the cell is blank")
        return float(default)
    value = _basic(value, name)
    if not isinstance(value, (int, float, np.integer, np.floating, str)):
        raise ExcelError(VALUE, f"{name} must be a number; got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_number_text(value, culture() if culture_name is _CALLER else culture_name)
        except NumberTextError as exc:
            raise ExcelError(VALUE, f"{name}: {exc}") from None
    raise ExcelError(VALUE, f"{name} must be a number; got {value!r}")


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
    where = culture()
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            out[i, j] = number(cell, f"{name} (cell {i + 1},{j + 1})", default, culture_name=where)
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


def cells(value: Any, name: str, keep_errors: bool = False) -> np.ndarray:
    """Flatten a one-column or one-row range argument to a 1-D object array of raw cells.

    One NumPy conversion for the whole range, then a type census (``set(map(type, ...))``, at C
    speed) decides whether any cell needs fixing: Office.js dicts (error or formatted cells),
    Pyodide ``JsNull``, COM error codes and pywin32's time-zone-aware datetimes. Plain ranges of
    text, numbers and dates pass through untouched. An error cell raises its own error (it
    propagates, naming its row) unless ``keep_errors``, which turns it into its code text.
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
            if not keep_errors:
                _raise_cell_error(name, int(np.argmax(is_error)), COM_ERRORS[flat[is_error][0]])
            flat = flat.copy()
            flat[is_error] = [COM_ERRORS[v] for v in flat[is_error]]
    aware = any(issubclass(k, dt.datetime) for k in kinds) and any(
        v.tzinfo is not None for v in flat if isinstance(v, dt.datetime)
    )
    if dict in kinds or aware or (_JsNull is not None and _JsNull in kinds):
        if dict in kinds and not keep_errors:
            for i, v in enumerate(flat):
                if isinstance(v, dict) and v.get("type") == "Error":
                    _raise_cell_error(name, i, _cell_error(v) or VALUE)
        flat = np.fromiter((_plain_cell(v) for v in flat), dtype=object, count=len(flat))
    return flat


def _raise_cell_error(name: str, index: int, code: str) -> None:
    """An error cell in a range propagates: the result is that error, naming the cell."""
    raise ExcelError(
        code if code in OFFICEJS_ERROR_TYPES else VALUE, f"{name} row {index + 1} is {code}"
    )


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


def columns(keep_errors: bool = False, **ranges: Any) -> pd.DataFrame:
    """Flatten same-length range arguments into one frame of raw cells, one column per range."""
    arrays = {name: cells(value, name, keep_errors) for name, value in ranges.items()}
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ExcelError(VALUE, f"the ranges must have the same number of cells: {detail}")
    return pd.DataFrame(arrays)


@dataclass(frozen=True)
class Orders:
    """Cleaned range arguments: the transactions, and whether the ids were number cells."""

    tx: Any
    numeric_ids: bool
    key: str


def _localise_amounts(amounts: np.ndarray, culture_name: str | None) -> np.ndarray:
    """Amount texts that are numbers in the caller's culture, read as numbers.

    Only under a known culture (Office.js); other texts go to the loader unchanged, which
    reads or rejects them by its own documented rules.
    """
    if culture_name is None or separators(culture_name) is None:
        return amounts
    is_text = np.fromiter((isinstance(v, str) for v in amounts), dtype=bool, count=len(amounts))
    if not is_text.any():
        return amounts
    out = amounts.copy()
    for i in np.flatnonzero(is_text):
        with contextlib.suppress(NumberTextError):
            out[i] = parse_number_text(out[i], culture_name)
    return out


def _blank_cells(column: pd.Series) -> np.ndarray:
    """Mask of empty cells (None, NaN, blank text) in a column of raw cells."""
    return column.map(
        lambda v: v is None or (isinstance(v, str) and not v.strip())
        or (isinstance(v, float) and v != v)
    ).to_numpy(dtype=bool)


def _is_numeric_ids(ids: np.ndarray) -> bool:
    kinds = set(map(type, ids))
    numeric = {int, float, np.int64, np.float64}
    present = kinds - {type(None), str}
    if not present or not present <= numeric:
        return False
    if str in kinds:  # blank cells ("") are fine; any other text makes the ids text
        return all(v == "" for v in ids if isinstance(v, str))
    return True


def orders(ids: Any, dates: Any, amounts: Any, *, keep_errors: bool = False) -> Orders:
    """Clean id, date and amount ranges (cached per content and culture; see :mod:`.cache`).

    All cleaning is :func:`cltv_xl.loading.clean_columns`'s, the one cleaning step of
    :func:`cltv_xl.loading.read_transactions`. Row numbers count from 1 at the first cell of
    the ranges. ``dates`` may be ``None`` for functions that only need ids and amounts: every
    row then gets the same placeholder date, which no result of those functions depends on.
    """
    from ..loading import clean_columns
    from .cache import CACHE, digest

    if dates is None:
        frame = columns(keep_errors, ids=ids, amounts=amounts)
        used = ~(_blank_cells(frame["ids"]) & _blank_cells(frame["amounts"]))
        frame.insert(1, "dates", np.where(used, PLACEHOLDER_DATE, None))
    else:
        frame = columns(keep_errors, ids=ids, dates=dates, amounts=amounts)
    where = culture()
    key = digest(frame["ids"].to_numpy(), frame["dates"].to_numpy(), frame["amounts"].to_numpy(),
                 where, keep_errors)

    def build() -> Orders:
        amounts_ = _localise_amounts(frame["amounts"].to_numpy(), where)
        tx = clean_columns(
            frame["ids"], frame["dates"], pd.Series(amounts_, dtype=object),
            rows=np.arange(1, len(frame) + 1),
            names={"customer": "ids", "date": "dates", "amount": "amounts"},
            source="worksheet ranges",
        )
        return Orders(tx=tx, numeric_ids=_is_numeric_ids(frame["ids"].to_numpy()), key=key)

    return CACHE.get(("orders", key), build)


def rejected_message(tx) -> str | None:
    """``"2 rows rejected: row 3 amounts 'abc': unreadable amount; ..."``, or None."""
    issues = tx.issues
    bad = issues[issues["severity"] == REJECTED]
    count = int(tx.counts.get("rejected", 0))
    if count == 0 or bad.empty:
        return None
    first = bad.iloc[0]
    rows = "row" if count == 1 else "rows"
    return (
        f"{count} {rows} rejected: row {int(first['row'])} {first['column']} "
        f"{first['value']!r}: {first['reason']}. DATA_ISSUES lists them; "
        "set skip_bad_rows to TRUE to leave them out"
    )


def checked_orders(ids: Any, dates: Any, amounts: Any, skip_bad_rows: Any = None) -> Orders:
    """:func:`orders`, with every row used: a rejected row is an error unless skipped.

    The error reads ``#VALUE! 1 row rejected: row 3 amounts 'abc': unreadable amount ...``;
    ``skip_bad_rows`` TRUE leaves the rejected rows out instead. An error cell in a range
    propagates (see :func:`cells`).
    """
    found = orders(ids, dates, amounts)
    if not flag(skip_bad_rows, "skip_bad_rows"):
        message = rejected_message(found.tx)
        if message:
            raise ExcelError(VALUE, message)
    return found


def transactions(ids: Any, dates: Any, amounts: Any, skip_bad_rows: Any = None):
    """The :class:`~cltv_xl.transactions.Transactions` of :func:`checked_orders`."""
    return checked_orders(ids, dates, amounts, skip_bad_rows).tx


def flag(value: Any, name: str) -> bool:
    """A TRUE/FALSE argument; blank is FALSE. Accepts TRUE/FALSE, 1/0 and their texts."""
    if is_blank(value):
        return False
    value = _basic(value, name)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE", "1", "0"):
        return value.strip().upper() in ("TRUE", "1")
    raise ExcelError(VALUE, f"{name} must be TRUE or FALSE; got {value!r}")


def typed_ids(frame: pd.DataFrame, numeric: bool, column: str = "customer_id") -> pd.DataFrame:
    """Ids as the user typed them: numbers (sorted numerically) when every id cell was a number.

    The loader keeps ids as text ("1", "10", "100"); when the id cells were numbers, the
    result gives them back as numbers so that lookups against the source column match.
    """
    if not numeric or frame.empty:
        return frame
    out = frame.copy()
    values = pd.to_numeric(out[column], errors="coerce")
    if values.isna().any():
        return frame
    if (values == values.round()).all():
        values = values.astype(np.int64)
    out[column] = values
    return out.sort_values(column, kind="stable").reset_index(drop=True)


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
