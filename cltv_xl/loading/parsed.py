"""The result of parsing one raw column, and helpers shared by the three column parsers.

Parsers work on the *unique* values of a column (``pandas.factorize``), so a million rows with a
few thousand distinct dates cost a few thousand conversions, and they convert whole arrays at a
time; nothing loops over rows in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Status code of a cell that was read fine.
OK = 0
#: Status code of an empty cell (None, NaN, "", whitespace).
MISSING = 1


@dataclass
class Parsed:
    """One parsed column.

    ``values`` holds the converted values (NaN/NaT/"" where not OK); ``status`` holds, per row,
    :data:`OK`, :data:`MISSING` or a rejection code whose text is ``reasons[code]``; ``doubt``
    holds 0 or a code whose text is ``doubt_reasons[code]`` (value used, but worth a look).
    """

    values: np.ndarray
    status: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    doubt: np.ndarray | None = None
    doubt_reasons: dict[int, str] = field(default_factory=dict)
    #: Per-row flag a parser may set (the id parser marks "Total"-like labels).
    flag: np.ndarray | None = None
    #: A column-level note (the date parser's day/month order decision).
    note: object = None
    #: Per row, the index of its value in ``uniques`` (-1 for an empty cell), when the parser
    #: keeps them (the id parser: ``values == uniques[codes]`` where ``codes >= 0``).
    codes: np.ndarray | None = None
    uniques: np.ndarray | None = None

    @property
    def missing(self) -> np.ndarray:
        return self.status == MISSING

    @property
    def ok(self) -> np.ndarray:
        return self.status == OK


def as_series(values: object) -> pd.Series:
    """Any 1-D array-like (list, tuple, ndarray, Series, Arrow array) as a Series, index reset."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if hasattr(values, "to_pandas") and not isinstance(values, pd.DataFrame):
        return values.to_pandas().reset_index(drop=True)
    if isinstance(values, np.ndarray):
        return pd.Series(values.ravel() if values.ndim > 1 else values)
    return pd.Series(list(values), dtype=object)


_UNICODE_DIGIT = re.compile(r"\d")
_ARABIC_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ",", "\u2212": "-"})


def _ascii_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_SEPARATORS)
    return _UNICODE_DIGIT.sub(lambda m: str(unicodedata.digit(m.group(), m.group())), text)


def ascii_digits(s: pd.Series) -> pd.Series:
    """Text with Unicode digits as ASCII digits: Arabic-Indic "١٢٣" and full-width "１２３" ->
    "123" (NFKC normalisation, then each decimal digit by its Unicode value). Only non-ASCII
    texts are touched; the Arabic decimal and thousands separators become "." and ","."""
    if len(s) == 0:
        return s
    text = s.astype(str)
    wide = ~text.map(str.isascii).to_numpy(dtype=bool)
    if not wide.any():
        return s
    out = text.to_numpy(dtype=object).copy()
    out[wide] = [_ascii_text(t) for t in out[wide]]
    return pd.Series(out, index=s.index, dtype=object)


def is_text_dtype(s: pd.Series) -> bool:
    """True for the pandas string dtypes (pandas 3 ``str``, ``string[pyarrow]``)."""
    return isinstance(s.dtype, pd.StringDtype)


def factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and unique values (object array) of ``s``; code -1 marks missing cells.

    Text is stripped of surrounding whitespace first and empty text counts as missing. TRUE and
    FALSE cells stay apart from 1 and 0, and text holding NUL stays whole
    (:func:`exact_factorize`).
    """
    if is_text_dtype(s):
        s = s.str.strip()
        if getattr(s.dtype, "storage", "") == "pyarrow" or not _text_hash_stops_at_nul():
            codes, uniques = pd.factorize(s)
            uniq = np.asarray(uniques, dtype=object)
            empty = np.flatnonzero(uniq == "")
            if len(empty):
                codes = np.where(codes == empty[0], -1, codes)
            return codes, uniq
        s = s.astype(object)  # Python-held text on pandas 2.2: through the exact object path
    # An object column is factorized as an array: pandas 2.2 builds an Index of the uniques,
    # which raises OverflowError on an int beyond 64 bits (10**400) when all are numbers.
    if s.dtype == object:
        codes, uniq = exact_factorize(s.to_numpy(dtype=object), bools_apart=True)
    else:
        codes, uniques = pd.factorize(s)
        uniq = np.asarray(uniques, dtype=object)
    blank = np.fromiter((is_blank(v) for v in uniq), dtype=bool, count=len(uniq))
    if blank.any():
        remap = np.where(blank, -1, np.arange(len(uniq)))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return codes, uniq


def exact_factorize(
    values: np.ndarray, *, bools_apart: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize`` of a 1-D object array (codes, and the distinct values as an object
    array in order of first appearance), made exact where pandas is not:

    * text holding NUL is kept whole. pandas 2.2 hashes an all-text array as C strings, which
      end at the first NUL, so "A\x00B", "A\x00C" and "A" would be one value (pandas 3 is
      exact; the test runs once, :func:`_text_hash_stops_at_nul`);
    * with ``bools_apart``, TRUE and FALSE are kept apart from 1 and 0, which Python's ``==``
      and ``hash`` make equal.

    Either case re-keys the affected values as tuples with a private marker (a text marker
    could equal some cell's text), which sends pandas to its exact Python-object hash table.
    """
    codes, uniques = pd.factorize(values)
    uniq = np.asarray(uniques, dtype=object)
    bools = bools_apart and _may_hold_bools(uniq) and any(
        isinstance(v, bool | np.bool_) for v in values)
    nul = not bools and _text_hash_stops_at_nul() and _all_text_with_nul(values)
    if not (bools or nul):
        return codes, uniq

    def key(v: object) -> object:
        if isinstance(v, bool | np.bool_):
            return (_BOOL_KEY, bool(v))
        if nul and isinstance(v, str) and "\x00" in v:
            return (_NUL_KEY, v)
        return v

    keys = pd.Series(values, dtype=object).map(key).to_numpy(dtype=object)
    codes, _ = pd.factorize(keys)
    first = np.unique(codes[codes >= 0], return_index=True)[1]
    uniq = values[np.flatnonzero(codes >= 0)[first]] if len(first) else values[:0]
    return codes, np.asarray(uniq, dtype=object)


#: Mark a TRUE/FALSE cell's key, and a NUL-holding text's key, in :func:`exact_factorize`.
_BOOL_KEY = object()
_NUL_KEY = object()


@functools.cache
def _text_hash_stops_at_nul() -> bool:
    """Whether this pandas hashes text only up to its first NUL (pandas 2.2 does)."""
    probe = np.array(["a\x00b", "a\x00c"], dtype=object)
    return bool(pd.factorize(probe)[0][1] == 0)


def _all_text_with_nul(values: np.ndarray) -> bool:
    """An array of text only (what pandas hashes as C strings) in which some text holds NUL.
    One C-level join and search, not a Python call per value."""
    try:
        return "\x00" in "\x01".join(values)
    except TypeError:  # some value is not text: pandas uses its exact object table
        return False


def _may_hold_bools(uniq: np.ndarray) -> bool:
    """Whether a factorized object column may have merged TRUE/FALSE with 1/0: some distinct
    value is a bool, or a number equal to 0 or 1."""
    return any(
        isinstance(v, bool | np.bool_) or (is_number(v) and v in (0, 1)) for v in uniq
    )


def is_blank(v: object) -> bool:
    """An empty cell: None, NaN, NaT, pandas NA or whitespace-only text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, float | np.floating):
        return math.isnan(v)
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    return False


def is_number(v: object) -> bool:
    """A real number cell (int or float, not a bool)."""
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(
        v, bool | np.bool_
    )


def is_datetime(v: object) -> bool:
    """A date or datetime cell value."""
    return isinstance(v, dt.date | np.datetime64)


def format_number(v: float) -> str:
    """A number as a person reads it in a cell: 1.0 -> "1", 12345678901 -> "12345678901"."""
    if isinstance(v, int | np.integer):
        return str(int(v))  # exact, however long (float() overflows past 1e308)
    f = float(v)
    if math.isfinite(f) and f.is_integer() and abs(f) < 2**63:
        return str(int(f))
    return repr(f)


def display(v: object) -> str:
    """Text shown in the ``value`` column of an issue for a raw cell value."""
    if is_blank(v):
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool | np.bool_):
        return "TRUE" if v else "FALSE"
    if is_number(v):
        return format_number(v)  # type: ignore[arg-type]
    if isinstance(v, dt.datetime | pd.Timestamp | np.datetime64):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def take(uniq_values: np.ndarray, codes: np.ndarray, fill: object) -> np.ndarray:
    """Expand per-unique results to rows; rows with code -1 get ``fill``."""
    if len(uniq_values) == 0:
        return np.full(len(codes), fill, dtype=uniq_values.dtype)
    out = uniq_values[np.maximum(codes, 0)]
    if (codes < 0).any():
        out = out.copy()
        out[codes < 0] = fill
    return out


def take_status(uniq_status: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-row status from per-unique status; missing cells get :data:`MISSING`."""
    out = uniq_status[np.maximum(codes, 0)] if len(uniq_status) else np.zeros(len(codes), np.int8)
    return np.where(codes < 0, MISSING, out).astype(np.int8)
