"""Readers: a workbook sheet, a delimited text file, a Parquet file or a DataFrame -> raw
columns plus row numbers.

Each reader finds the header row (:func:`~cltv_xl.loading.headers.find_header`), picks the
mapped columns (customer, date, amount or quantity and unit price, and an order id and status
when present) and returns them *uncleaned*; :func:`~cltv_xl.loading.clean.clean_columns` does
the rest.

Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) are read with fastexcel (calamine, Rust) straight to
Arrow, the fastest reader measured here (see ``bench/bench_read.py``). The id column is read as
text (so "00001" keeps its zeros and a number cell reads as "1", not "1.0"); the other columns
are read in the type fastexcel infers, and if any cell does not fit that type (a text date among
real dates, say) they are read again as text so that no value is lost to coercion.

Text files (.csv, .tsv, .txt) are decoded by their byte-order mark (UTF-8, UTF-16, UTF-32), or
as UTF-8 when the *whole* file is valid UTF-8 (checked by streaming it), else as Windows-1252
(Latin-1 when a byte is undefined there). The delimiter is the one of , ; tab | under which a
header row is found.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .headers import ALL_ROLES, HEADER_SEARCH_ROWS, HeaderMatch, excel_letter, find_header
from .preflight import CHECKED_SUFFIXES, check_workbook
from .xlsxhead import head_rows

#: Workbooks read by fastexcel; the first two have a cheap streamed header reader.
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = (*EXCEL_SUFFIXES, *TEXT_SUFFIXES, *PARQUET_SUFFIXES)
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP = b"PK\x03\x04"
#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHUNK = 1 << 20


@dataclass
class RawColumns:
    """Uncleaned columns by role, their source row numbers, header names and a source label.

    ``columns`` always holds ``customer`` and ``date``, and ``amount`` or both ``quantity`` and
    ``price``; ``order`` and ``status`` when the source has them. ``reading`` describes how the
    file was read (container, encoding, delimiter) and ``text_cells`` is True when every cell
    was text in the file (CSV), so that number-like ids are normalised as a spreadsheet would.
    """

    columns: dict[str, pd.Series]
    rows: np.ndarray
    names: dict[str, str]
    source: str
    reading: dict[str, str] = field(default_factory=dict)
    text_cells: bool = False


def _check_distinct(match: HeaderMatch) -> None:
    pos = list(match.columns.values())
    if len(set(pos)) != len(pos):
        same = ", ".join(f"{r}={excel_letter(p)}" for r, p in match.columns.items())
        raise InputError(f"each role needs its own column (customer_col, date_col, amount_col, "
                         f"quantity_col, price_col, order_col); {same}")


def _roles(match: HeaderMatch) -> list[str]:
    return [r for r in ALL_ROLES if r in match.columns]


def check_file(path: Path) -> str:
    """Validate a source path; returns its lower-case suffix or raises a one-line InputError.

    A workbook's first bytes must fit its type: a zip archive for .xlsx/.xlsm/.xlsb/.ods, an
    OLE2 compound file for .xls (an OLE2 file named .xlsx is an encrypted workbook). A ".xls"
    that is really delimited text (as many systems export) is returned as ".txt".
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"{path.name}: unsupported file type '{path.suffix or '(none)'}'; use "
            ".xlsx, .xlsm, .xlsb, .xls, .ods, .csv, .tsv, .txt or .parquet"
        )
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty")
    with path.open("rb") as fh:
        head = fh.read(512)
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods"):
        if head.startswith(_OLE2):
            raise InputError(
                f"{path.name}: the workbook is password-protected/encrypted (or an old .xls "
                "renamed); open it in Excel, remove the password and save it as .xlsx"
            )
        if not head.startswith(_ZIP):
            raise InputError(f"{path.name}: not an Excel workbook (an .xlsx file is a zip archive)")
    elif suffix == ".xls" and not head.startswith(_OLE2):
        if head.startswith(_ZIP):
            raise InputError(f"{path.name}: an .xlsx workbook named .xls; rename it to .xlsx")
        stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t").lower()
        if stripped.startswith((b"<", b"\x3c")):
            raise InputError(
                f"{path.name}: an HTML/XML page named .xls, not a workbook; open it in Excel "
                "and save it as .xlsx or .csv"
            )
        return ".txt"  # tab-separated text saved with an .xls name
    elif suffix in PARQUET_SUFFIXES and not head.startswith(b"PAR1"):
        raise InputError(f"{path.name}: not a Parquet file (it does not start with PAR1)")
    return suffix


# --------------------------------------------------------------------------- workbooks


def _open_workbook(path: Path):
    import fastexcel

    try:
        return fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for corrupt files
        raise InputError(f"{path.name}: cannot read the workbook ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _fastexcel_head(reader, path: Path, sheet: str, n_rows: int) -> list[list[object]]:
    """The first rows of a sheet as text cells, by absolute column (for .xls/.xlsb/.ods)."""
    try:
        head = reader.load_sheet(
            sheet, header_row=None, skip_rows=0, n_rows=n_rows, dtypes="string"
        )
        frame = head.to_pandas()
        cols = [c.absolute_index for c in head.selected_columns]
    except Exception as exc:
        raise InputError(f"{path.name}: cannot read sheet '{sheet}' ({_first_line(exc)})") from exc
    if frame.empty:
        return []
    width = max(cols) + 1
    grid: list[list[object]] = []
    for values in frame.itertuples(index=False, name=None):
        row: list[object] = [None] * width
        for c, v in zip(cols, values, strict=True):
            row[c] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
        grid.append(row)
    while grid and all(v is None or str(v).strip() == "" for v in grid[-1]):
        grid.pop()
    return grid


def read_workbook(path: Path, sheet: str | int | None, overrides: dict) -> RawColumns:
    """Read the transaction columns of one sheet of an .xlsx/.xlsm workbook.

    A read of the same unchanged file, sheet and columns started ahead by
    :func:`cltv_xl.loading.ahead.start_read` is taken instead of reading again."""
    ahead = sys.modules.get("cltv_xl.loading.ahead")  # only when the CLI started one
    started = ahead.take_read(path, sheet, overrides) if ahead is not None else None
    if started is not None:
        reader, name, match, (sheet_data, batch) = started
    else:
        reader, name, match = locate_sheet(path, sheet, overrides)
        sheet_data, batch = load_sheet_columns(reader, path, name, match)
    return sheet_columns(path, name, match, sheet_data, batch)


def locate_sheet(path: Path, sheet: str | int | None, overrides: dict, *,
                 checked: bool = False):
    """The pre-flight checks (unless ``checked``: already passed), then the sheet and its
    header: ``(reader, sheet name, HeaderMatch)`` for :func:`load_sheet_columns`, or a
    one-line InputError."""
    if path.suffix.lower() in CHECKED_SUFFIXES and not checked:
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
    streamed = path.suffix.lower() in (".xlsx", ".xlsm")
    for name in candidates:
        if streamed:
            try:
                grid = head_rows(path, name, HEADER_SEARCH_ROWS)
            except InputError as exc:
                raise InputError(f"{path.name}: {exc}") from exc
        else:
            grid = _fastexcel_head(reader, path, name, HEADER_SEARCH_ROWS)
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
        return reader, name, match
    assert first_error is not None
    raise first_error


def _skip(match: HeaderMatch) -> int:
    return 0 if match.row is None else match.row + 1


def load_sheet_columns(reader, path: Path, sheet: str, match: HeaderMatch):
    """fastexcel's read of the mapped columns under the header: ``(sheet data, Arrow batch)``.

    Only fastexcel and Arrow run here, and fastexcel releases the GIL while it reads, so this
    can run in a thread beside Python work (:func:`cltv_xl.loading.ahead.start_read`)."""
    use = ",".join(excel_letter(match.columns[r]) for r in _roles(match))

    def load(all_text: bool):
        # header_row=None with an explicit skip_rows: row i of the result is sheet row skip+1+i.
        dtypes = "string" if all_text else None
        return reader.load_sheet(
            sheet, header_row=None, skip_rows=_skip(match), use_columns=use, dtypes=dtypes
        )

    try:
        sheet_data = load(False)
        batch, errors = sheet_data.to_arrow_with_errors()
        if errors is not None and len(errors.errors):
            # A cell did not fit the type inferred from the first rows: read them all as text.
            sheet_data = load(True)
            batch = sheet_data.to_arrow()
    except Exception as exc:  # fastexcel/calamine errors on a damaged sheet
        raise InputError(f"{path.name}: cannot read sheet '{sheet}' ({_first_line(exc)})") from exc
    return sheet_data, batch


def sheet_columns(path: Path, sheet: str, match: HeaderMatch, sheet_data, batch) -> RawColumns:
    """The :class:`RawColumns` of a sheet read by :func:`load_sheet_columns`."""
    skip = _skip(match)
    roles = _roles(match)
    by_abs = {c.absolute_index: c.name for c in sheet_data.selected_columns}
    missing = [r for r in roles if match.columns[r] not in by_abs]
    frame = batch.to_pandas()
    for r in missing:  # a column with a header but no cells below it
        by_abs[match.columns[r]] = f"__empty_{r}"
        frame[f"__empty_{r}"] = None
    n = len(frame)
    if n == 0 or frame.isna().all(axis=None):
        where = f"row {skip}" if skip else "the top"
        raise InputError(
            f"{path.name}: sheet '{sheet}' has a header ({where}) but no data rows under it"
        )
    rows = np.arange(skip + 1, skip + 1 + n, dtype=np.int64)
    return RawColumns(
        columns={r: frame[by_abs[match.columns[r]]] for r in roles},
        rows=rows,
        names=dict(match.names),
        source=f"{path.name} [{sheet}]",
        reading={"container": path.suffix.lower().lstrip("."), "sheet": sheet},
    )


# --------------------------------------------------------------------------- text files


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes fill every other byte of ``head`` (ASCII text
    in UTF-16 without a byte-order mark), else None."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decodes_fully(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """Stream the whole file through ``encoding``'s decoder; None, or the offset and byte of
    the first byte that does not decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start, exc.object[exc.start : exc.start + 1]
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset - len(exc.object) + exc.start, exc.object[exc.start : exc.start + 1]
    return None


def detect_encoding(path: Path) -> tuple[str, str]:
    """The encoding of a text file and a note on how it was chosen.

    A byte-order mark decides (UTF-32, UTF-8, UTF-16). Otherwise ASCII text with NUL bytes in
    every other position is UTF-16 without a mark; otherwise the whole file is streamed through
    the UTF-8 decoder and, only if some byte is not valid UTF-8, the file is read as
    Windows-1252 (or Latin-1 when a byte is undefined in Windows-1252).
    """
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc, f"{enc.replace('-sig', '')} (byte-order mark)"
    wide = _utf16_without_bom(head)
    if wide:
        return wide, f"{wide} (no byte-order mark; NUL bytes between characters)"
    bad = _decodes_fully(path, "utf-8")
    if bad is None:
        return "utf-8", "utf-8"
    why = f"not valid UTF-8: byte 0x{bad[1].hex()} at offset {bad[0]:,}"
    if _decodes_fully(path, "cp1252") is None:
        return "cp1252", f"cp1252 ({why})"
    return "latin-1", f"latin-1 ({why}; not valid Windows-1252 either)"


def _sample_text(path: Path, encoding: str) -> str:
    """The first 64 KiB of the file, decoded (a character cut at the end is left out)."""
    with path.open("rb") as fh:
        raw = fh.read(1 << 16)
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=False)


def read_csv_file(path: Path, overrides: dict, delimiters: str = ",;\t|") -> RawColumns:
    """Read the transaction columns of a delimited text file (.csv, .tsv, .txt).

    The encoding is found by :func:`detect_encoding`; the delimiter is the first of , ; tab |
    (most frequent in the first 64 KiB first) under which a header row is found. Every cell is
    read as text; the row number of a cell is its line number (quoted fields that span lines
    are not supported for numbering).
    """
    encoding, enc_note = detect_encoding(path)
    sample = _sample_text(path, encoding).lstrip("\ufeff")
    lines = sample.splitlines()[:HEADER_SEARCH_ROWS]
    if not any(line.strip() for line in lines):
        raise InputError(f"{path.name}: the file has no data (the first lines are empty)")
    order = sorted(delimiters, key=lambda d: -sample.count(d))
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
    roles = _roles(match)
    width = max(max(match.columns.values()) + 1, header_width)
    try:
        frame = pd.read_csv(
            path, sep=delim, header=None, names=list(range(width)),
            usecols=[match.columns[r] for r in roles], skiprows=skip, dtype=str,
            keep_default_na=False, skip_blank_lines=False, encoding=encoding, engine="c",
            index_col=False,
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({c: pd.Series(dtype=str) for c in match.columns.values()})
    except (pd.errors.ParserError, UnicodeError, ValueError) as exc:
        raise InputError(f"{path.name}: cannot read the file ({_first_line(exc)})") from exc
    if frame.empty or (frame.fillna("").astype(str).apply(lambda c: c.str.strip()) == "").all(
        axis=None
    ):
        raise InputError(f"{path.name}: has a header (line {skip}) but no data rows under it")
    n = len(frame)
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    return RawColumns(
        columns={r: frame[match.columns[r]] for r in roles},
        rows=np.arange(skip + 1, skip + 1 + n, dtype=np.int64),
        names=dict(match.names),
        source=path.name,
        reading={"container": path.suffix.lower().lstrip(".") or "text", "encoding": enc_note,
                 "delimiter": names[delim]},
        text_cells=True,
    )


# --------------------------------------------------------------------------- Parquet


def read_parquet_file(path: Path, overrides: dict) -> RawColumns:
    """Read a Parquet file with pyarrow; its column names are the header (row 1)."""
    try:
        import pyarrow.parquet as pq

        frame = pq.read_table(path).to_pandas()
    except ImportError as exc:
        raise InputError(f"{path.name}: reading Parquet needs pyarrow") from exc
    except Exception as exc:  # pyarrow's ArrowInvalid/OSError on a damaged file
        raise InputError(f"{path.name}: cannot read the Parquet file ({_first_line(exc)})") from exc
    raw = read_frame(frame, overrides, path.name)
    raw.reading = {"container": "parquet"}
    return raw


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
        columns={
            r: data.iloc[:, match.columns[r]].reset_index(drop=True) for r in _roles(match)
        },
        rows=rows,
        names=dict(match.names),
        source=label,
        reading={"container": "DataFrame"},
    )
