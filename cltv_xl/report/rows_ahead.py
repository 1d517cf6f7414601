"""A large table's rows built and compressed while the models fit.

The Transactions sheet's rows depend only on the cleaned transactions, not on the models, yet
the writer used to build and deflate them last. :func:`start_rows` starts that work in a
thread as soon as the data are read and the template is loaded: :func:`fastxml.rows_xml
<cltv_xl.report.fastxml.rows_xml>` (pyarrow) and ISA-L's deflate both release the GIL, so it
runs on the second core while the summary, the fits and the segments hold the first. At 1M
rows this is 0.7 s of CPU (0.5 s building 217 MB of XML, 0.23 s deflating it to 31 MB:
``python bench/bench_write.py``) taken out of the write.

The rows become one raw-deflate stream ended by a sync flush (byte-aligned, not final), with
its CRC-32 and length. :meth:`RowsAhead.write` puts it into the zip member between the
sheet's head, deflated and sync-flushed by a compressor of its own, and its tail, deflated by
a third compressor whose final block ends the member: a deflate stream may be any sequence of
blocks, and each compressor refers back only to its own data. The member's CRC-32 is that of
the head combined with the rows' (:func:`crc32_combine`).

Nothing is trusted blindly: the stream is used only if the table written is built from the
very frame the rows came from (the same object), at the same place, from the same columns and
with the same style indices as the prototype row that openpyxl saved. Otherwise, and without
python-isal, the writer builds the rows itself as before.
"""

from __future__ import annotations

import threading
import zipfile
from typing import Any

import pandas as pd
from openpyxl import Workbook

from . import fastxml, xlsx_writer
from .template import find_tables
from .xlsx_writer import (
    _ZIP_WRITER_FIELDS,
    ISAL_LEVEL,
    WRITE_BYTES,
    _member_sink,
    _ordered_columns,
    chunk_rows,
    prototype_styles,
    table_columns,
)

__all__ = ["RowsAhead", "crc32_combine", "start_rows"]

#: The CRC-32 polynomial (reflected), as zlib and the zip format use it.
_POLY = 0xEDB88320


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    i = 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``A + B`` from ``crc1 = crc32(A)``, ``crc2 = crc32(B)`` and ``len(B)``.

    CRC-32 is linear over GF(2): appending ``len2`` bytes maps the register through the
    (8 x ``len2``)-th power of the one-zero-bit operator, applied here by repeated squaring of
    that 32 x 32 bit matrix (the method of zlib's ``crc32_combine``, M. Adler; Python's zlib
    does not expose it). About 32 squarings for a gigabyte."""
    if len2 <= 0:
        return crc1
    op = _gf2_square(_gf2_square([_POLY] + [1 << n for n in range(31)]))  # four zero bits
    while len2:  # op becomes 1, 2, 4, ... zero bytes: apply it for each set bit of len2
        op = _gf2_square(op)
        if len2 & 1:
            crc1 = _gf2_times(op, crc1)
        len2 >>= 1
    return crc1 ^ crc2


class RowsAhead:
    """The rows of one large table, being built and deflated in a thread."""

    def __init__(self, table: str, frame: pd.DataFrame, first_col: int, header_row: int,
                 order: list[str | None], styles: list[int | None]) -> None:
        self.table = table
        self.frame = frame
        self.first_col = first_col
        self.header_row = header_row
        self.order = tuple(order)
        self.styles = list(styles)
        self.pieces: list[bytes] = []
        self.size = 0
        self.crc = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, args=(table_columns(frame, order),),
                                       name="cltv-xl rows", daemon=True)
        self.thread.start()

    def _work(self, columns: list[pd.Series]) -> None:
        from isal import isal_zlib

        try:
            deflate = isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)
            step = chunk_rows(len(columns))
            for start in range(0, len(columns[0]), step):
                part = [c.iloc[start:start + step] for c in columns]
                xml = fastxml.rows_xml(part, self.first_col, self.header_row + 1 + start,
                                       self.styles)
                self.crc = isal_zlib.crc32(xml, self.crc)
                self.size += xml.size
                self.pieces.append(deflate.compress(xml))
                del xml, part
            self.pieces.append(deflate.flush(isal_zlib.Z_SYNC_FLUSH))
        except BaseException as exc:  # raised again by write()
            self.error = exc

    def matches(self, pending: Any, styles: list[int | None]) -> bool:
        """Whether these rows are those of ``pending`` (the writer's table to stream) with the
        prototype row's saved ``styles``."""
        return (pending.table == self.table and pending.frame is self.frame
                and pending.first_col == self.first_col
                and pending.header_row == self.header_row and pending.order == self.order
                and list(styles) == self.styles)

    def write(self, zout: zipfile.ZipFile, info: zipfile.ZipInfo, head: str, tail: str,
              pending: Any, styles: list[int | None]) -> bool:
        """Write the member ``info``: ``head``, these rows, ``tail``; False (nothing written)
        when the rows do not match ``pending`` or the zip writer lacks the fields used."""
        from isal import isal_zlib

        if not self.matches(pending, styles):
            return False
        self.thread.join()
        if self.error is not None:
            raise self.error
        with zout.open(info, "w", force_zip64=True) as fh:
            if not all(hasattr(fh, a) for a in _ZIP_WRITER_FIELDS):
                raise RuntimeError("zipfile's member writer lacks the fields rows_ahead uses")
            raw = fh._fileobj.write
            first = isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)
            data = head.encode()
            fh._file_size += len(data)
            fh._crc = isal_zlib.crc32(data, fh._crc)
            for out in (first.compress(data), first.flush(isal_zlib.Z_SYNC_FLUSH)):
                fh._compress_size += len(out)
                raw(out)
            for out in self.pieces:
                fh._compress_size += len(out)
                raw(out)
            fh._file_size += self.size
            fh._crc = crc32_combine(fh._crc, self.crc, self.size)
            # The tail's compressor becomes the member's: zipfile's close() ends its stream.
            write = _member_sink(fh, isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15))
            data = tail.encode()
            for i in range(0, len(data), WRITE_BYTES):
                write(data[i:i + WRITE_BYTES])
        self.pieces = []
        return True


def _writer_fields() -> bool:
    """Whether zipfile's member writer has the fields :meth:`RowsAhead.write` sets (Python
    3.11 to 3.13 have them)."""
    import io

    with zipfile.ZipFile(io.BytesIO(), "w") as z, z.open("probe", "w") as fh:
        return all(hasattr(fh, a) for a in _ZIP_WRITER_FIELDS)


def start_rows(wb: Workbook, table: str, frame: pd.DataFrame) -> RowsAhead | None:
    """Start building and deflating the rows of ``table`` (a large table of the loaded
    template ``wb``) from ``frame``, the frame the report will hold for it; None when
    python-isal is missing, the table is empty or not in the template."""
    if len(frame) == 0 or xlsx_writer._fast_compressor() is None or not _writer_fields():
        return None
    ref = find_tables(wb).get(table)
    if ref is None:
        return None
    c0, r0, _c1, _r1 = ref.bounds
    order = _ordered_columns(ref, table, frame)
    return RowsAhead(table, frame, c0, r0, order, prototype_styles(wb, ref, table, order))
