"""Readers: a workbook sheet, a CSV file or a DataFrame -> three raw columns plus row numbers.

Each reader finds the header row (:func:`~cltv_xl.loading.headers.find_header`), picks the three
columns and returns them *uncleaned*; :func:`~cltv_xl.loading.clean.clean_columns` does the rest.

Workbooks are read with fastexcel (calamine, Rust) straight to Arrow, the fastest reader measured
here (see ``bench/bench_read.py``). The id column is read as text (so "00001" keeps its zeros and
a number cell reads as "1", not "1.0"); the date and amount columns are read in the type fastexcel
infers, and if any cell does not fit that type (a text date among real dates, say) both are read
again as text so that no value is lost to coercion.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .headers import HEADER_SEARCH_ROWS, ROLES, HeaderMatch, excel_letter, find_header
from .preflight import check_workbook
from .xlsxhead import head_rows

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUFFIXES = (*EXCEL_SUFFIXES, ".csv")
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP = b"PK\x03\x04"


@dataclass
class RawColumns:
    """Three uncleaned columns, their source row numbers, header names and a source label."""

    ids: pd.Series
    dates: pd.Series
    amounts: pd.Series
    rows: np.ndarray
    names: dict[str, str]
    source: str


def _check_distinct(match: HeaderMatch) -> None:
    pos = list(match.columns.values())
    if len(set(pos)) != len(pos):
        same = ", ".join(f"{r}={excel_letter(p)}" for r, p in match.columns.items())
        raise InputError(f"customer_col, date_col and amount_col must be different columns; {same}")


def check_file(path: Path) -> str:
    """Validate a source path; returns its lower-case suffix or raises a one-line InputError."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"{path.name}: unsupported file type '{path.suffix or '(none)'}'; "
            "use .xlsx, .xlsm or .csv (save .xls/.ods files as .xlsx first)"
        )
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty")
    if suffix in EXCEL_SUFFIXES:
        with path.open("rb") as fh:
            head = fh.read(8)
        if head == _OLE2:
            raise InputError(
                f"{path.name}: the workbook is password-protected/encrypted (or an old .xls "
                "renamed); open it in Excel, remove the password and save it as .xlsx"
            )
        if not head.startswith(_ZIP):
            raise InputError(f"{path.name}: not an Excel workbook (an .xlsx file is a zip archive)")
    return suffix


# --------------------------------------------------------------------------- workbooks


def _open_workbook(path: Path):
    import fastexcel

    try:
        return fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for corrupt files
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path.name}: cannot read the workbook ({first})") from exc


def read_workbook(path: Path, sheet: str | int | None, overrides: dict) -> RawColumns:
    """Read the transaction columns of one sheet of an .xlsx/.xlsm workbook."""
    check_workbook(path)  # bounded checks first: the native reader aborts on hostile files
    reader = _open_workbook(path)
    names = list(reader.sheet_names)
    if not names:
        raise InputError(f"{path.name}: the workbook has no sheets")
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        candidates = names
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise InputError(
                f"{path.name}: sheet index {sheet} out of range (0-{len(names) - 1}); "
                f"sheets: {listing}"
            )
        candidates = [names[sheet]]
    else:
        wanted = [n for n in names if n == sheet] or [
            n for n in names if n.casefold() == str(sheet).strip().casefold()
        ]
        if not wanted:
            raise InputError(f"{path.name}: no sheet named {sheet!r}; sheets: {listing}")
        candidates = wanted[:1]

    first_error: InputError | None = None
    for name in candidates:
        grid = head_rows(path, name, HEADER_SEARCH_ROWS)
        where = f"sheet '{name}' of {path.name}"
        if not grid:
            first_error = first_error or InputError(f"{path.name}: sheet '{name}' is empty")
            continue
        try:
            match = find_header(grid, overrides, where=where)
        except InputError as exc:
            first_error = first_error or exc
            continue
        _check_distinct(match)
        return _read_sheet_columns(reader, path, name, match)
    assert first_error is not None
    raise first_error


def _read_sheet_columns(reader, path: Path, sheet: str, match: HeaderMatch) -> RawColumns:
    skip = 0 if match.row is None else match.row + 1
    use = ",".join(excel_letter(match.columns[r]) for r in ROLES)

    def load(dtypes):
        # header_row=None with an explicit skip_rows: row i of the result is sheet row skip+1+i.
        return reader.load_sheet(
            sheet, header_row=None, skip_rows=skip, use_columns=use, dtypes=dtypes
        )

    sheet_data = load(None)
    batch, errors = sheet_data.to_arrow_with_errors()
    if errors is not None and len(errors.errors):
        # A cell did not fit the type inferred from the first rows: read the three as text.
        sheet_data = load("string")
        batch = sheet_data.to_arrow()
    by_abs = {c.absolute_index: c.name for c in sheet_data.selected_columns}
    col_names = [by_abs[match.columns[r]] for r in ROLES]
    frame = batch.to_pandas()
    n = len(frame)
    if n == 0 or frame.isna().all(axis=None):
        where = f"row {skip}" if skip else "the top"
        raise InputError(
            f"{path.name}: sheet '{sheet}' has a header ({where}) but no data rows under it"
        )
    rows = np.arange(skip + 1, skip + 1 + n, dtype=np.int64)
    return RawColumns(
        ids=frame[col_names[0]],
        dates=frame[col_names[1]],
        amounts=frame[col_names[2]],
        rows=rows,
        names=dict(match.names),
        source=f"{path.name} [{sheet}]",
    )


# --------------------------------------------------------------------------- CSV files


def _decode_sample(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()[: 1 << 16]
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as exc:
            if enc == "utf-8-sig" and exc.start > len(raw) - 4:  # a character cut by the sample
                return raw[: exc.start].decode(enc), enc
    return raw.decode("latin-1"), "latin-1"


def read_csv_file(path: Path, overrides: dict) -> RawColumns:
    """Read the transaction columns of a CSV file (delimiter , ; tab or |; UTF-8 or cp1252).

    Every cell is read as text; the row number of a cell is its line number (quoted fields that
    span lines are not supported for numbering).
    """
    sample, encoding = _decode_sample(path)
    lines = sample.splitlines()[:HEADER_SEARCH_ROWS]
    if not any(line.strip() for line in lines):
        raise InputError(f"{path.name}: the file has no data (the first lines are empty)")
    order = sorted(",;\t|", key=lambda d: -sample.count(d))
    first_error: InputError | None = None
    for delim in order:
        grid = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        try:
            match = find_header(grid, overrides, where=path.name)
        except InputError as exc:
            first_error = first_error or exc
            continue
        _check_distinct(match)
        break
    else:
        assert first_error is not None
        raise first_error
    skip = 0 if match.row is None else match.row + 1
    header_width = len(grid[match.row]) if match.row is not None else 0
    width = max(max(match.columns.values()) + 1, header_width)
    try:
        frame = pd.read_csv(
            path, sep=delim, header=None, names=list(range(width)),
            usecols=[match.columns[r] for r in ROLES], skiprows=skip, dtype=str,
            keep_default_na=False, skip_blank_lines=False, encoding=encoding, engine="c",
            index_col=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"{path.name}: cannot read the CSV file ({first})") from exc
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({c: pd.Series(dtype=str) for c in match.columns.values()})
    if frame.empty or (frame.fillna("").astype(str).apply(lambda c: c.str.strip()) == "").all(
        axis=None
    ):
        raise InputError(f"{path.name}: has a header (line {skip}) but no data rows under it")
    n = len(frame)
    return RawColumns(
        ids=frame[match.columns["customer"]],
        dates=frame[match.columns["date"]],
        amounts=frame[match.columns["amount"]],
        rows=np.arange(skip + 1, skip + 1 + n, dtype=np.int64),
        names=dict(match.names),
        source=path.name,
    )


# --------------------------------------------------------------------------- DataFrames


def read_frame(df: pd.DataFrame, overrides: dict, label: str = "DataFrame") -> RawColumns:
    """Pick the transaction columns of a frame of raw cell values.

    A frame with header names as columns is a sheet whose header is row 1 (first data row 2);
    title rows above the real header may still sit in its first rows. A frame with integer column
    labels (0, 1, 2, ...) has no header: its first row is row 1 and its header row, if any, is
    found among its first rows; columns are then given by position (1-based index or letter) or
    by the header names in that row.
    """
    if df.shape[1] == 0:
        raise InputError(f"{label}: the frame has no columns")
    headerless = all(isinstance(c, int | np.integer) for c in df.columns)
    head = df.iloc[:HEADER_SEARCH_ROWS].astype(object)
    grid = [list(r) for r in head.where(head.notna(), None).itertuples(index=False, name=None)]
    if not headerless:  # the column names are the header row (sheet row 1)
        grid = [[str(c) for c in df.columns], *grid[: HEADER_SEARCH_ROWS - 1]]
    grid = [[v if isinstance(v, str) or v is None else str(v) for v in r] for r in grid]
    match = find_header(grid, overrides, where=label)
    _check_distinct(match)
    # Grid row g is sheet row g + 1; for a named frame grid row 0 is the header, so frame row i
    # is grid row i + 1.
    start = 0 if match.row is None else match.row + 1  # first data row, in grid rows
    data = df.iloc[start - (0 if headerless else 1) :]
    if len(data) == 0:
        raise InputError(f"{label}: has a header but no data rows under it")
    n = len(data)
    rows = np.arange(start + 1, start + 1 + n, dtype=np.int64)
    return RawColumns(
        ids=data.iloc[:, match.columns["customer"]].reset_index(drop=True),
        dates=data.iloc[:, match.columns["date"]].reset_index(drop=True),
        amounts=data.iloc[:, match.columns["amount"]].reset_index(drop=True),
        rows=rows,
        names=dict(match.names),
        source=label,
    )
