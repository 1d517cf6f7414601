"""The pre-flight count of an OpenDocument spreadsheet's cells, as calamine will hold them.

An .ods sheet is XML in which one element can stand for many rows or cells
(``table:number-rows-repeated``, ``table:number-columns-repeated``), so a file of a kilobyte
can describe billions of cells. calamine (the Rust reader behind fastexcel) expands them into
memory: a 1,077-byte file asking for 99,000 rows x 1,000 numbers made it allocate 3 GB and,
under a 3 GB address-space limit, abort the whole process (``memory allocation of 3145728000
bytes failed``), which no Python code can catch. Its own cap (100,000,000 cells, about 3 GB)
is far above what this package allows (:class:`~cltv_xl.loading.preflight.Limits`).

:class:`OdsScan` reads ``content.xml`` as it inflates, with expat, and counts what calamine
0.3x (``src/ods.rs``: ``read_table``, ``read_row``, ``get_range``) would build, before it
builds it:

* per XML row, the cells calamine pushes while it reads (every cell's repeats, capped at 16,384
  columns a row; a row's trailing run of empty cells is not pushed), summed over the table;
* per table, the rectangle it then allocates: from the first to the last row holding a value
  (repeats of the rows between, empty or not, included) by from the first to the last column
  holding one.

A cell counts as holding a value when it carries a value, a value type or a formula attribute
(calamine reads a string cell's text only when its type says string); that can only
over-count, never miss a cell calamine stores. A DOCTYPE or entity declaration is refused.
"""

from __future__ import annotations

from xml.parsers import expat

from ..errors import InputError

__all__ = ["OdsScan", "is_ods_package"]

#: calamine's caps on a sheet's rows and columns (Excel's grid).
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

#: Attributes that make calamine store a cell (``get_datatype``).
_VALUE_ATTRS = ("office:value", "office:string-value", "office:date-value", "office:time-value",
                "office:boolean-value", "office:value-type", "table:formula")
_CELLS = ("table:table-cell", "table:covered-table-cell")


def is_ods_package(names: list[str], mimetype: bytes) -> bool:
    """An OpenDocument spreadsheet package: a ``content.xml`` part and an OpenDocument
    ``mimetype`` (decided by content, not the file name: a renamed file is read by content)."""
    return "content.xml" in names and mimetype.startswith(b"application/vnd.oasis.opendocument")


def _count(attrs: dict, name: str) -> int:
    """A repeat count as calamine parses it; text it cannot parse makes calamine stop with a
    catchable error, so it counts as 1 here."""
    try:
        return max(int(attrs.get(name, 1)), 0)
    except (TypeError, ValueError):
        return 1


class OdsScan:
    """Feed ``content.xml`` in pieces (:meth:`feed`), then :meth:`close`; raises
    :class:`~cltv_xl.errors.InputError` as soon as a table needs more cells than
    ``max_cells``. Per table name, ``sheets`` holds its used range from A1 (rows, columns)
    and ``rectangles`` the (rows, columns) calamine allocates for it (its ``Range``: from the
    first to the last row and column holding a value)."""

    def __init__(self, max_cells: int, where: str):
        self.max_cells, self.where = max_cells, where
        self.sheets: dict[str, tuple[int, int]] = {}
        self.rectangles: dict[str, tuple[int, int]] = {}
        p = expat.ParserCreate(encoding="utf-8")  # the pieces arrive as UTF-8 (preflight._Utf8)
        p.buffer_text = True
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.StartDoctypeDeclHandler = self._refuse
        p.EntityDeclHandler = self._refuse
        self.parser = p
        self._table: str | None = None
        self._in_row = False

    # ------------------------------------------------------------------ expat callbacks
    def _refuse(self, *_args) -> None:
        raise InputError(f"{self.where} holds a DOCTYPE or entity declaration, which an "
                         "OpenDocument spreadsheet never has (possible XML entity bomb); refused")

    def _start(self, name: str, attrs: dict) -> None:
        if name in _CELLS:
            if self._in_row:
                self._cell(attrs)
        elif name == "table:table-row":
            if self._table is not None:
                self._row_start(attrs)
        elif name == "table:table":
            self._table_start(attrs.get("table:name", f"table {len(self.sheets) + 1}"))

    def _end(self, name: str) -> None:
        if name == "table:table-row":
            if self._in_row:
                self._row_end()
        elif name == "table:table" and self._table is not None:
            self._table_end()

    # ---------------------------------------------------------------------- the counting
    def _table_start(self, name: str) -> None:
        self._table = name
        self._through = 0  # rows so far, repeats included, capped at MAX_ROWS (read_table)
        self._pushed = 0  # cells read into memory so far (read_table's `cells`)
        self._lo: int | None = None  # rows before the first row holding a value
        self._hi = 0  # rows through the last row holding a value
        self._col_min = MAX_COLUMNS
        self._col_max = -1

    def _row_start(self, attrs: dict) -> None:
        repeats = min(_count(attrs, "table:number-rows-repeated"), MAX_ROWS - self._through)
        self._through += repeats
        self._repeats = repeats
        self._in_row = True
        self._width = 0  # cells pushed in this row
        self._empty_run = 0  # empty cells waiting to be pushed (pushed before the next cell)
        self._first = -1
        self._last = -1

    def _cell(self, attrs: dict) -> None:
        self._width += min(self._empty_run, MAX_COLUMNS - self._width)
        self._empty_run = 0
        repeats = min(_count(attrs, "table:number-columns-repeated"), MAX_COLUMNS - self._width)
        if any(a in attrs for a in _VALUE_ATTRS):
            if repeats:
                if self._first < 0:
                    self._first = self._width
                self._last = self._width + repeats - 1
            self._width += repeats
        else:
            self._empty_run = repeats

    def _row_end(self) -> None:
        self._in_row = False
        self._pushed += self._width
        if self._pushed > self.max_cells:
            raise InputError(
                f"{self.where}: sheet {self._table!r} makes the reader hold more than "
                f"{self.max_cells:,} cells while reading (repeated cells are expanded); "
                "refused as a cell bomb or an oversized sheet")
        if self._first < 0:
            return
        if self._lo is None:  # the rows before this one
            self._lo = self._through - self._repeats
        self._hi = self._through
        self._col_min = min(self._col_min, self._first)
        self._col_max = max(self._col_max, self._last)
        height = self._hi - self._lo
        width = self._col_max - self._col_min + 1
        if height * width > self.max_cells:
            raise InputError(
                f"{self.where}: sheet {self._table!r} spans {height:,} rows x {width:,} "
                f"columns = {height * width:,} cells once its repeated rows and cells are "
                f"expanded, more than the limit of {self.max_cells:,} (a reader allocates the "
                "whole rectangle)")

    def _table_end(self) -> None:
        name, self._table = self._table, None
        self.sheets[name] = (self._hi, self._col_max + 1)
        self.rectangles[name] = ((self._hi - self._lo, self._col_max - self._col_min + 1)
                                 if self._lo is not None else (0, 0))

    # ------------------------------------------------------------------------ interface
    def feed(self, piece: bytes) -> None:
        try:
            self.parser.Parse(piece, False)
        except expat.ExpatError as exc:
            raise InputError(f"{self.where} is not well-formed XML ({exc})") from None

    def close(self) -> None:
        try:
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise InputError(f"{self.where} is not well-formed XML ({exc})") from None
