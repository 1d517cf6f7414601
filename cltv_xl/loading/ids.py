"""Customer id cells -> text ids.

Rules: text is kept as written (leading zeros, and text that looks like a formula such as
``=A1`` or ``+44...``, stay exactly as given) apart from surrounding whitespace; a number cell
becomes the digits a person sees (``1.0`` -> ``"1"``, ``12345678901`` -> ``"12345678901"``),
never ``"1.0"``. Ids from text files (CSV), where every cell is text, get the same treatment:
a number written with a zero fraction ("17850.0", as pandas writes float ids) becomes
"17850", so a CSV and a workbook of the same data give the same ids; other text (leading zeros
"00017", "17850.5") is kept. Labels such as "Total" or "Grand total" are flagged as summary rows.
Control characters that an Excel file cannot hold (XML 1.0 forbids them) are removed, and the
row is marked doubtful, so the id in the report is exactly the id the analysis used.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..safety import XML_ILLEGAL
from .parsed import (
    MISSING,
    OK,
    Parsed,
    display,
    factorize,
    format_number,
    is_number,
    is_text_dtype,
    take,
    take_status,
)

#: Id text (case-insensitive) that marks a summary row rather than a customer.
TOTAL_LABEL = re.compile(
    r"^(grand\s*total|sub\s*total|total|totals|sum|summe|gesamt|overall(\s+total)?|"
    r"total\s+(amount|sales|revenue|value)|grand\s*total\s+\w+)\s*[:.]?$",
    re.IGNORECASE,
)


#: :data:`TOTAL_LABEL` matching one whole label inside the labels joined by NUL (which no
#: label holds once :data:`~cltv_xl.safety.XML_ILLEGAL` characters are removed): one search
#: tells whether any label is a total, before the label-by-label match.
_TOTAL_IN_JOINED = re.compile(
    r"(?:^|(?<=\x00))(?:" + TOTAL_LABEL.pattern.removeprefix("^").removesuffix("$")
    + r")(?=\x00|$)",
    TOTAL_LABEL.flags,
)


#: Words one of which every :data:`TOTAL_LABEL` match holds, once case-folded (each alternative
#: of the pattern spells one; ``tests/test_loading_parsers.py`` holds the two together).
TOTAL_WORDS = ("total", "sum", "gesamt", "overall")


def _may_hold_total(labels: np.ndarray) -> bool:
    """False when no label can be a total: none holds a word of :data:`TOTAL_WORDS`, compared
    case-folded as :data:`TOTAL_LABEL` compares case-insensitively ("\u017fum" is "sum").
    Four substring searches of the joined text, where the regular expression of
    :data:`_TOTAL_IN_JOINED` must try every position (18 ms for 42,000 ids)."""
    try:
        folded = "\x00".join(labels).casefold()
    except TypeError:  # not all text: let the exact pass decide
        return True
    return any(word in folded for word in TOTAL_WORDS)


def _any_match(pattern: re.Pattern, labels: np.ndarray, sep: str) -> bool:
    """Whether ``pattern`` matches somewhere in the text labels joined by ``sep``: a single
    C-level search instead of one Python call per label (a no is certain; a yes sends the
    caller to its exact label-by-label pass). ``sep`` must be a character the pattern cannot
    match on its own, or every join would match."""
    try:
        joined = sep.join(labels)
    except TypeError:  # not all text: let the exact pass decide
        return True
    return pattern.search(joined) is not None


#: Doubt code and reason for an id that lost such characters.
DOUBT_CONTROL = 1
REASON_CONTROL = "control characters removed from the id (an Excel file cannot hold them)"
#: ... and for one that, without them, equals another id of the column: one customer now.
DOUBT_CONTROL_MERGED = 2
REASON_CONTROL_MERGED = (
    "control characters removed from the id (an Excel file cannot hold them); without them it "
    "equals another id in the column, so their rows count as one customer"
)


def _id_text(v: object) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool | np.bool_):
        return "TRUE" if v else "FALSE"
    if is_number(v):
        return format_number(v)  # type: ignore[arg-type]
    return display(v).strip()


#: A whole number written with a zero fraction, as a float id is written to text ("17850.0").
_ZERO_FRACTION = re.compile(r"^(-?(?:[1-9]\d*|0))\.0+$")


def parse_ids(s: pd.Series, *, text_cells: bool = False) -> Parsed:
    """Parse a customer id column (any dtype) into text ids; flag total/summary labels.

    ``text_cells``: the column comes from a text file, so "17850.0" is the number 17850.
    """
    codes, uniq = factorize(s)
    if not is_text_dtype(s):  # mixed cells, numbers, dates: convert each distinct value
        uniq = np.array([_id_text(v) for v in uniq], dtype=object)
    labels = pd.Series(uniq, dtype=object)
    if text_cells and len(uniq):
        dotted = np.fromiter((isinstance(v, str) and "." in v for v in uniq), bool, len(uniq))
        if dotted.any():
            labels[dotted] = labels[dotted].str.replace(_ZERO_FRACTION, r"\1", regex=True)
            uniq = labels.to_numpy(dtype=object)
    uniq_doubt = np.zeros(len(uniq), dtype=np.int8)
    # One search of all labels first; a line feed is legal XML, so it cannot match.
    if len(uniq) and _any_match(XML_ILLEGAL, uniq, "\n"):
        dirty = labels.str.contains(XML_ILLEGAL).fillna(False).to_numpy(dtype=bool)
        if dirty.any():
            labels[dirty] = labels[dirty].str.replace(XML_ILLEGAL, "", regex=True).str.strip()
            uniq = labels.to_numpy(dtype=object)
            uniq_doubt[dirty] = DOUBT_CONTROL
            # A cleaned id equal to another distinct id (clean or cleaned) merges customers.
            shared = labels.duplicated(keep=False).to_numpy(dtype=bool) & (uniq != "")
            uniq_doubt[dirty & shared] = DOUBT_CONTROL_MERGED
    uniq_status = np.where(uniq == "", MISSING, OK).astype(np.int8)
    uniq_total = (
        labels.str.fullmatch(TOTAL_LABEL).fillna(False).to_numpy(dtype=bool)
        if len(uniq) and _may_hold_total(uniq) and _any_match(_TOTAL_IN_JOINED, uniq, "\x00")
        else np.zeros(len(uniq), bool)
    )
    values = take(uniq, codes, "")
    flag = take(uniq_total, codes, False).astype(bool)
    return Parsed(
        values=values,
        status=take_status(uniq_status, codes),
        flag=flag,
        doubt=take(uniq_doubt, codes, 0).astype(np.int8),
        doubt_reasons={DOUBT_CONTROL: REASON_CONTROL,
                       DOUBT_CONTROL_MERGED: REASON_CONTROL_MERGED},
        codes=codes,
        uniques=uniq,
    )
