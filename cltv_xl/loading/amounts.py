"""Amount cells -> float.

Number cells are used as they are. Text is cleaned of currency symbols and codes ($ € £ ¥ ₹,
USD, EUR, GBP, ...), spaces and apostrophes, and read with these sign forms: ``-12.50``,
``(12.50)`` (accounting), ``12.50-`` (trailing minus).

Decimal separators. A text with both "," and "." is read by its last separator
(``1,234.56`` and ``1.234,56`` are both 1234.56); ``12,5`` and ``1234,56`` (a comma followed by
other than exactly three digits) are decimal commas; ``1,234,567`` and ``1.234.567`` are
thousands groups. A single separator followed by exactly three digits (``1,234`` or ``1.234``) is
ambiguous: it is read the way the rest of the column writes decimals; when the column gives no
evidence it is read the English way (comma = thousands, dot = decimal point) and marked doubtful.

One style per column, never mixed: the style of a column is the one most of its distinct
unambiguous values use (``12.50``, ``1,234.56`` against ``12,50``, ``1.234,56``); values written
the other way are rejected with their reason (a tie rejects both). Unicode digits (Arabic-Indic,
full-width) are read as digits.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

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

BAD_TEXT = 2
BAD_AMBIGUOUS = 3
BAD_NONFINITE = 4
BAD_TYPE = 5
BAD_MIXED = 6
REASONS = {
    BAD_TEXT: "unreadable amount",
    BAD_AMBIGUOUS: "ambiguous decimal separator (the column mixes 1,234.56 and 1.234,56 styles)",
    BAD_NONFINITE: "amount is not a finite number",
    BAD_TYPE: "not an amount (a date or TRUE/FALSE cell)",
    BAD_MIXED: "decimal separator differs from the rest of the column (one style per column)",
}
DOUBT_COMMA = 1
DOUBT_DOT = 2
DOUBT_REASONS = {
    DOUBT_COMMA: "ambiguous separator: ',' read as a thousands separator",
    DOUBT_DOT: "ambiguous separator: '.' read as a decimal point",
}

_CURRENCY = re.compile(
    r"(US\$|USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|CNY|RMB|INR|SEK|NOK|DKK|PLN|ZAR|[$€£¥₹₩₽¢])",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’]")
_PLAIN = r"-?(?:\d+|\d*\.\d+)"
_AMBIG_DOT = r"-?[1-9]\d{0,2}\.\d{3}"

# Body classes (after sign and currency are removed).
_INT = re.compile(r"\d+")
_EN_BOTH = re.compile(r"\d{1,3}(,\d{3})+\.\d*")
_EU_BOTH = re.compile(r"\d{1,3}(\.\d{3})+,\d*")
_AMB_COMMA = re.compile(r"[1-9]\d{0,2},\d{3}")
_AMB_DOT = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_EN_DEC = re.compile(r"\d*\.\d+|\d+\.")
_EU_DEC = re.compile(r"\d*,\d+|\d+,")
_EN_THOUS = re.compile(r"\d{1,3}(,\d{3}){2,}")
_EU_THOUS = re.compile(r"\d{1,3}(\.\d{3}){2,}")
_SCI = re.compile(r"\d+(\.\d+)?[eE][+-]?\d+")


def _float(v: object) -> float:
    """float(v), or inf for a number too large for a float (a 400-digit text or integer)."""
    try:
        return float(v)  # type: ignore[arg-type]
    except OverflowError:
        return float("inf")


def _split(text: str) -> tuple[float, str] | None:
    """Sign and bare number body of a text amount, or None when it is not an amount."""
    t = _CURRENCY.sub("", text)
    t = _SPACES.sub("", t).replace("−", "-")
    sign = 1.0
    if t.startswith("(") and t.endswith(")"):
        sign, t = -1.0, t[1:-1]
    elif t.endswith("-") and not t.startswith("-"):
        sign, t = -1.0, t[:-1]
    if t.startswith("-"):
        sign, t = -sign, t[1:]
    elif t.startswith("+"):
        t = t[1:]
    t = _CURRENCY.sub("", t)  # "-$12" and "$-12" both end up here
    return (sign, t) if t else None


def _classify(body: str) -> str:
    """'int', 'en', 'eu', 'amb_comma', 'amb_dot' or 'bad'."""
    if _INT.fullmatch(body):
        return "int"
    if _AMB_COMMA.fullmatch(body):
        return "amb_comma"
    if _AMB_DOT.fullmatch(body):
        return "amb_dot"
    if _EN_BOTH.fullmatch(body) or _EN_DEC.fullmatch(body) or _EN_THOUS.fullmatch(body):
        return "en"
    if _SCI.fullmatch(body):
        return "en"
    if _EU_BOTH.fullmatch(body) or _EU_DEC.fullmatch(body) or _EU_THOUS.fullmatch(body):
        return "eu"
    return "bad"


def _to_float(body: str, style: str) -> float:
    if style == "en":
        return float(body.replace(",", ""))
    if style == "eu":
        return float(body.replace(".", "").replace(",", "."))
    return float(body)


def _parse_texts(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse distinct amount texts: (values, status, doubt)."""
    n = len(texts)
    values = np.full(n, np.nan)
    status = np.full(n, BAD_TEXT, dtype=np.int8)
    doubt = np.zeros(n, dtype=np.int8)
    if n == 0:
        return values, status, doubt
    s = ascii_digits(pd.Series(texts, dtype=object).astype(str).str.strip())
    plain = (s.str.fullmatch(_PLAIN) & ~s.str.fullmatch(_AMBIG_DOT)).to_numpy(dtype=bool)
    try:
        values[plain] = pd.to_numeric(s[plain]).to_numpy(dtype=np.float64)
    except (OverflowError, ValueError):  # a number too long for a float: that one is not
        # finite (pandas 2.2 says ValueError "Unable to parse string", later ones OverflowError)
        values[plain] = [_float(t) for t in s[plain]]
    status[plain] = OK
    # A plain "12.50" is evidence of the English style.
    plain_dot = plain & s.str.contains(".", regex=False).to_numpy(dtype=bool)
    rest = np.flatnonzero(~plain)
    styles: list[str] = []
    signs: list[float] = []
    bodies: list[str] = []
    for t in s.to_numpy(dtype=object)[rest]:
        split = _split(t)
        if split is None:
            styles.append("bad")
            signs.append(1.0)
            bodies.append("")
        else:
            signs.append(split[0])
            bodies.append(split[1])
            styles.append(_classify(split[1]))
    n_en = int(plain_dot.sum()) + sum(
        1 for st, b in zip(styles, bodies, strict=True) if st == "en" and not _SCI.fullmatch(b)
    )
    n_eu = styles.count("eu")
    column = "en" if n_en > n_eu else "eu" if n_eu > n_en else ("tie" if n_en else "none")
    if column in ("eu", "tie"):
        status[plain_dot] = BAD_MIXED if column == "eu" else BAD_AMBIGUOUS
        values[plain_dot] = np.nan
    for k, (style, sign, body) in enumerate(zip(styles, signs, bodies, strict=True)):
        i = rest[k]
        if style == "bad":
            continue
        if style in ("amb_comma", "amb_dot"):
            if column == "tie":
                status[i] = BAD_AMBIGUOUS
                continue
            if column == "none":
                doubt[i] = DOUBT_COMMA if style == "amb_comma" else DOUBT_DOT
                style = "en"
            else:
                style = column
        elif (
            style in ("en", "eu") and column in ("en", "eu", "tie") and style != column
            and not (style == "en" and _SCI.fullmatch(body))
        ):
            status[i] = BAD_MIXED if column != "tie" else BAD_AMBIGUOUS
            continue
        try:
            values[i] = sign * _to_float(body, style)
            status[i] = OK
        except ValueError:
            status[i] = BAD_TEXT
    return values, status, doubt


def parse_amounts(s: pd.Series) -> Parsed:
    """Parse an amount column of any dtype (see the module docstring)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        status = np.where(
            np.isnan(values), MISSING, np.where(np.isfinite(values), OK, BAD_NONFINITE)
        ).astype(np.int8)
        doubt = np.zeros(len(values), dtype=np.int8)
    else:
        codes, uniq = factorize(s)
        u_vals = np.full(len(uniq), np.nan)
        u_stat = np.full(len(uniq), BAD_TYPE, dtype=np.int8)
        u_doubt = np.zeros(len(uniq), dtype=np.int8)
        if is_text_dtype(s):
            text_idx = np.arange(len(uniq))
        else:
            num = np.fromiter((is_number(v) for v in uniq), dtype=bool, count=len(uniq))
            if num.any():
                u_vals[num] = [_float(v) for v in uniq[num]]
                u_stat[num] = np.where(np.isfinite(u_vals[num]), OK, BAD_NONFINITE)
            is_text = np.fromiter((isinstance(v, str) for v in uniq), dtype=bool, count=len(uniq))
            dates = np.fromiter((is_datetime(v) for v in uniq), dtype=bool, count=len(uniq))
            u_stat[dates] = BAD_TYPE
            text_idx = np.flatnonzero(is_text)
        if len(text_idx):
            u_vals[text_idx], u_stat[text_idx], u_doubt[text_idx] = _parse_texts(uniq[text_idx])
        values = take(u_vals, codes, np.nan)
        status = take_status(u_stat, codes)
        doubt = take(u_doubt, codes, 0).astype(np.int8)
        bad_inf = (status == OK) & ~np.isfinite(values)
        status[bad_inf] = BAD_NONFINITE
    values = np.where(status == OK, values, np.nan)
    return Parsed(
        values=values,
        status=status,
        reasons=dict(REASONS),
        doubt=np.where(status == OK, doubt, 0).astype(np.int8),
        doubt_reasons=dict(DOUBT_REASONS),
    )
