"""The pre-flight count of a legacy Excel workbook (.xls, BIFF in an OLE2 compound file).

calamine (the Rust reader behind fastexcel) trusts two things in an .xls sheet that a file can
make arbitrarily large:

* the ``DIMENSIONS`` record (MS-XLS 2.4.90): calamine reserves room for rows x columns cells
  from it. A LibreOffice-written .xls whose record was edited to claim 2,147,483,632 rows made
  it reserve 21,904,333,046,400 bytes and abort the whole process (``memory allocation of
  21904333046400 bytes failed``), which no Python code can catch;
* the cells' own row and column numbers: at the end of a sheet calamine allocates one grid from
  the first to the last row and column any cell names (``Range::from_sparse``), and a record
  may name column 65,535, far beyond the 256 of the format.

:func:`check_xls` reads the workbook stream with olefile and walks its records the way calamine
0.3x does (``src/xls.rs``): each sheet from the stream offset its ``BoundSheet8`` record gives,
up to its ``EOF``, skipping nested substreams (embedded charts) and folding ``CONTINUE``
records into the record before them. It holds to ``max_cells`` the rows x columns a
``DIMENSIONS`` record claims (with calamine's unsigned arithmetic: an end before the start
wraps round to billions), the cells a sheet's records push, and the grid they span. An
encrypted workbook (``FILEPASS``) is left to the reader, which refuses it with a catchable
error.
"""

from __future__ import annotations

import struct
from pathlib import Path

from ..errors import InputError

__all__ = ["OLE2_MAGIC", "check_xls", "span_error"]

#: The first bytes of an OLE2 compound file.
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

_HEAD = struct.Struct("<HH")  # a record's type and length
_U32 = struct.Struct("<I")
_MASK32 = 0xFFFFFFFF

#: Cell records calamine reads at (row u16, column u16) from their first four bytes.
_CELL_AT_START = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006})
_FORMULA, _MULRK, _STRING, _DIMENSIONS = 0x0006, 0x00BD, 0x0207, 0x0200
_BOF, _EOF, _CONTINUE, _BOUNDSHEET, _FILEPASS = 0x0809, 0x000A, 0x003C, 0x0085, 0x002F


def check_xls(path: Path, lim, name: str) -> dict[int, tuple[int, int]]:
    """Check the .xls file ``path`` against the :class:`~cltv_xl.loading.preflight.Limits`
    ``lim``; returns {sheet offset in the stream: (rows, columns) of its cells from A1} and
    raises a one-line :class:`~cltv_xl.errors.InputError` when a sheet claims or spans more
    than ``lim.max_cells`` cells, or reaches beyond ``lim.max_rows`` / ``lim.max_columns``."""
    import olefile

    max_cells, max_stream_bytes = lim.max_cells, lim.max_part_bytes
    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream_name = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream_name is None:
                return {}  # not a BIFF workbook (an encrypted .xlsx, say): the reader says so
            if ole.get_size(stream_name) > max_stream_bytes:
                raise InputError(
                    f"{name}: the workbook stream declares {ole.get_size(stream_name):,} bytes, "
                    f"more than the limit of {max_stream_bytes:,}")
            data = ole.openstream(stream_name).read(max_stream_bytes + 1)
    except InputError:
        raise
    except Exception as exc:  # olefile's own errors on a damaged container
        raise InputError(f"{name}: cannot read the workbook ({exc})") from None
    where = f"{name}: stream {stream_name!r}"
    offsets = []
    for typ, at, length in _records(data, 0):  # the globals, up to their EOF
        if typ == _EOF:
            break
        if typ == _FILEPASS:
            return {}  # encrypted: the records after it are ciphertext
        if typ == _BOUNDSHEET and length >= 4:
            offsets.append(_U32.unpack_from(data, at)[0])
    from .preflight import _Bounds  # the limits on a used range, as for every workbook

    bounds = _Bounds(lim, where)
    sheets = {}
    for offset in dict.fromkeys(offsets):  # each sheet once
        rows, cols = sheets[offset] = _check_sheet(data, offset, max_cells, where)
        bounds.check(rows, cols, "a sheet's used range")
    return sheets


def _records(data: bytes, start: int):
    """(type, offset of the body, body length) of each record from ``start``, CONTINUE
    records folded away, until the stream ends or a record runs past it (where calamine stops
    with a catchable error)."""
    pos, end = start, len(data)
    unpack = _HEAD.unpack_from
    while pos + 4 <= end:
        typ, length = unpack(data, pos)
        if pos + 4 + length > end:
            return
        at = pos + 4
        pos = at + length
        while pos + 4 <= end and unpack(data, pos)[0] == _CONTINUE:
            pos += 4 + unpack(data, pos)[1]
        yield typ, at, length


def _claimed(data: bytes, at: int, length: int) -> int:
    """Cells calamine reserves for a DIMENSIONS record (``parse_dimensions``; u32 arithmetic
    that wraps round as in a release build)."""
    if length == 10:
        rf, rl, cf, cl = struct.unpack_from("<4H", data, at)
    elif length == 14:
        rf, rl, cf, cl = struct.unpack_from("<2I2H", data, at)
    else:
        return 0  # calamine stops with a catchable error
    if cf > 0xFF or cl < cf:
        cf = 0
    if rl < 1 or cl < 1:
        return 1
    rows = ((rl - 1) - rf + 1) & _MASK32
    cols = ((cl - 1) - cf + 1) & _MASK32
    return rows * cols


def _check_sheet(data: bytes, offset: int, max_cells: int, where: str) -> tuple[int, int]:
    """The records of the sheet at ``offset``, as calamine reads them: (rows, columns) of
    its cells from A1."""
    r0 = c0 = 1 << 32
    r1 = c1 = -1
    pushed = 0
    depth = 0
    seen_bof = False
    formula_at: tuple[int, int] | None = None
    unpack = _HEAD.unpack_from  # a cell's row and column are two u16 like a record head
    for typ, at, length in _records(data, offset):
        if depth:
            depth += (typ == _BOF) - (typ == _EOF)
            continue
        count = 1
        if typ in _CELL_AT_START and length >= 4:
            row, col = unpack(data, at)
            if typ == _FORMULA:
                formula_at = (row, col)
        elif typ == _MULRK and length >= 6:
            row, col = unpack(data, at)
            count = (length - 6) // 6
            if not count:
                continue
        elif typ == _STRING and formula_at is not None:
            row, col = formula_at
        elif typ == _BOF:
            depth = int(seen_bof)
            seen_bof = True
            continue
        elif typ == _EOF:
            break
        elif typ == _DIMENSIONS:
            claimed = _claimed(data, at, length)
            if claimed > max_cells:
                raise InputError(
                    f"{where}: a sheet's DIMENSIONS record claims {claimed:,} cells, more than "
                    f"the limit of {max_cells:,} (the reader reserves memory for all of them)")
            continue
        else:
            continue
        pushed += count
        if row < r0:
            r0 = row
        if row > r1:
            r1 = row
        if col < c0:
            c0 = col
        if col + count - 1 > c1:
            c1 = col + count - 1
        if pushed > max_cells or (r1 - r0 + 1) * (c1 - c0 + 1) > max_cells:
            raise span_error(f"{where}: a sheet", (r0, r1, c0, c1), pushed, max_cells)
    return (r1 + 1, c1 + 1) if r1 >= 0 else (0, 0)


def span_error(what: str, box: tuple[int, int, int, int], cells: int, limit: int) -> InputError:
    """The one-line refusal of a sheet whose cells (0-based first and last row and column in
    ``box``; ``cells`` of them read) make a reader hold or allocate more than ``limit`` cells.
    Shared by the .xls and .xlsb scans, whose record loops track the box inline (a call per
    cell would slow them)."""
    r0, r1, c0, c1 = box
    rows, cols = r1 - r0 + 1, c1 - c0 + 1
    if rows * cols <= limit:
        return InputError(f"{what} holds more than {limit:,} cells")
    return InputError(
        f"{what}'s cells span {rows:,} rows x {cols:,} columns = {rows * cols:,} cells (rows "
        f"{r0 + 1:,}-{r1 + 1:,}, columns {c0 + 1:,}-{c1 + 1:,}), more than the limit of "
        f"{limit:,} (a reader allocates the whole rectangle)")
