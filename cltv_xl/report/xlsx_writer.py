"""Offline writer: fill the template with a :class:`~cltv_xl.report.model.Report`.

Two steps:

1. openpyxl fills everything small through defined names and table names: the scalar cells of
   :meth:`Report.cells` (except the live KPI formulas), and the small tables (segments,
   cohorts, model parameters, tracking, chart data). Tables grow or shrink from their header
   row; chart series and colour-scale ranges that point into a table follow it, and a chart
   whose table is empty (no holdout) is removed. The large tables (:data:`LARGE_TABLES`) are
   left with their header and one styled prototype row.
2. The saved package is copied into the output zip, and the large tables' rows are streamed
   straight into their worksheets' ``<sheetData>`` (:mod:`cltv_xl.report.fastxml`), keeping
   each column's style from the prototype row; the table ``ref``, its ``autoFilter`` and the
   sheet ``dimension`` are set to the new size. The KPI formula cells also get the Python
   value as their cached value, so previewers that do not calculate show the numbers;
   Excel and LibreOffice recalculate on open (``fullCalcOnLoad``). Every edit of a part is
   made by :mod:`cltv_xl.report.partxml` (defusedxml's SAX parser; prefixes and namespace
   declarations written back as they were), never by text substitution.

The result opens in Excel, LibreOffice and openpyxl (checked by the tests).
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from copy import copy
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from defusedxml import ElementTree as DefusedET
from openpyxl import Workbook
from openpyxl.chart.reference import Reference
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    range_boundaries,
    range_to_tuple,
)
from openpyxl.worksheet.table import TableColumn

from ..errors import TemplateError
from ..safety import OOXML_ESCAPE, atomic_write, clean_text, fit_cells, set_text
from . import fastxml, limits
from .model import (
    DATA_TEXT_COLUMNS,
    FORMULA_NAMES,
    HIDDEN_WHEN_EMPTY,
    LARGE_TABLES,
    NOT_ESTIMATED,
    VARIABLE_COLUMN_TABLES,
    Report,
)
from .partxml import MAIN, Element, PartEditor, edit_part, rewrite
from .retention import RETENTION_VALUE_NAMES
from .template import TableRef, find_tables, load_template, name_cell

EXCEL_MAX_ROWS = limits.EXCEL_MAX_ROWS  # the one definition is report.limits
#: Cells of a large table turned into XML at a time (about 15 MB of XML for Transactions and
#: for Customers), and the most rows at a time: memory stays bounded whatever the width.
CHUNK_CELLS = 262_144
CHUNK_ROWS = 65_536
#: Threads building chunks of row XML ahead of the compressor.
BUILDERS = 2
#: Bytes handed to the compressor per write.
WRITE_BYTES = 1 << 24
#: python-isal's level for the large sheets (its levels are 0-3; 1 is its fast default).
ISAL_LEVEL = 1
#: zlib level of the large sheets.
COMPRESS_LEVEL = 1


@dataclass
class _Pending:
    """A large table whose rows are streamed after openpyxl has saved the package."""

    sheet: str
    table: str
    first_col: int
    header_row: int
    frame_columns: list[pd.Series]
    n_cols: int
    #: The report's frame and the frame column of each sheet column (for rows built ahead).
    frame: pd.DataFrame | None = None
    order: tuple[str | None, ...] = ()


# ------------------------------------------------------------------------------ cells
def _cell_value(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_value(cell: Any, value: Any) -> None:
    value = _cell_value(value)
    if isinstance(value, str):
        set_text(cell, value)
    else:
        cell.value = value


def fill_cells(wb: Workbook, report: Report) -> None:
    """Write every defined-name cell except the live formulas (:data:`FORMULA_NAMES`); a KPI
    the report could not estimate gets the text "not estimated: <reason>" instead of its
    formula (:meth:`Report.not_estimated`), rather than a 0 or a #DIV/0!: the tile reads
    "not estimated" and the cell's note gives the reason (the Model sheet, the terminal and the
    JSON give it too)."""
    gaps = report.not_estimated()
    as_values = bool(report.extras.get("kpis_as_values"))
    note = report.extras.get("dashboard_note")
    for defined, value in report.cells().items():
        if defined in FORMULA_NAMES and as_values and defined not in gaps:
            # the Customers table holds only the top rows: the formulas would sum those
            _write_value(name_cell(wb, defined), value)
            continue
        if defined in FORMULA_NAMES:
            if defined in gaps:  # the tile is narrow: the label, and the reason as a note
                cell = name_cell(wb, defined)
                set_text(cell, NOT_ESTIMATED)
                cell.comment = Comment(clean_text(gaps[defined]), "cltv-xl", width=320,
                                       height=120)
            continue
        _write_value(name_cell(wb, defined), value)
    if note:  # e.g. the engine path: where every customer is, what the sheets show
        name_cell(wb, "KPI_CUSTOMERS").comment = Comment(clean_text(note), "cltv-xl",
                                                         width=360, height=160)
    for defined, value in report.retention_cells.items():  # optional in a template
        if defined in RETENTION_VALUE_NAMES and defined in wb.defined_names:
            _write_value(name_cell(wb, defined), value)


# ------------------------------------------------------------------------------ tables
def _ordered_columns(ref: TableRef, tname: str, frame: pd.DataFrame) -> list[str | None]:
    """Frame column for each template column (by header text); ``None`` for extra columns."""
    headers = ref.headers()
    missing = [c for c in frame.columns if c not in headers]
    if tname not in VARIABLE_COLUMN_TABLES and missing:
        raise TemplateError(f"table {tname} lacks columns: {', '.join(map(str, missing))}")
    return [h if h in frame.columns else None for h in headers]


def _set_table_size(ref: TableRef, last_col: int, last_row: int) -> str:
    c0, r0, _, _ = ref.bounds
    new = f"{get_column_letter(c0)}{r0}:{get_column_letter(last_col)}{last_row}"
    ref.table.ref = new
    if ref.table.autoFilter is not None:
        ref.table.autoFilter.ref = new
    return new


def _clear_rows(ws, first_row: int, last_row: int, c0: int, c1: int) -> None:
    for r in range(first_row, last_row + 1):
        for c in range(c0, c1 + 1):
            ws.cell(row=r, column=c).value = None


def write_small_table(ref: TableRef, tname: str, frame: pd.DataFrame) -> tuple[int, int]:
    """Write ``frame`` into the table with openpyxl; return the new (last_col, last_row)."""
    ws = ref.ws
    c0, r0, c1, r1 = ref.bounds
    if tname in VARIABLE_COLUMN_TABLES:
        headers = [str(c) for c in frame.columns]
        fixed = ref.headers()[:2]
        if headers[:2] != fixed:
            raise TemplateError(f"table {tname} must start with columns {fixed}")
        head_style = ws.cell(row=r0, column=c1)._style
        body_style = ws.cell(row=r0 + 1, column=c1)._style
        width = ws.column_dimensions[get_column_letter(c1)].width
        for j, h in enumerate(headers):
            cell = ws.cell(row=r0, column=c0 + j)
            if j >= 2:
                cell._style = copy(head_style)
                ws.cell(row=r0 + 1, column=c0 + j)._style = copy(body_style)
                ws.column_dimensions[get_column_letter(c0 + j)].width = width
            set_text(cell, h)
        for c in range(c0 + len(headers), c1 + 1):
            ws.cell(row=r0, column=c).value = None
        ref.table.tableColumns = [TableColumn(id=j + 1, name=h) for j, h in enumerate(headers)]
        order: list[str | None] = list(frame.columns)
    else:
        order = _ordered_columns(ref, tname, frame)
    last_col = c0 + len(order) - 1
    styles = [copy(ws.cell(row=r0 + 1, column=c0 + j)._style) for j in range(len(order))]
    n = len(frame)
    _clear_rows(ws, r0 + 1, r1, c0, max(c1, last_col))
    cols = [None if c is None else frame[c].tolist() for c in order]
    for i in range(n):
        r = r0 + 1 + i
        for j, values in enumerate(cols):
            cell = ws.cell(row=r, column=c0 + j)
            cell._style = copy(styles[j])
            if values is not None:
                v = values[i]
                if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
                    continue
                _write_value(cell, v)
    last_row = r0 + max(n, 1)
    _set_table_size(ref, last_col, last_row)
    return last_col, last_row


def _stretch_colour_scales(ws, c0: int, r0: int, last_col: int, last_row: int) -> None:
    """Extend conditional formats that start inside a table's body to the whole body width
    from their first column and to every body row."""
    old = ws.conditional_formatting
    new = ConditionalFormattingList()
    for cf in old:
        ranges = []
        for rng in cf.sqref.ranges:
            a, b, _c, _d = rng.bounds
            if a >= c0 and b == r0 + 1 and a <= last_col:
                ranges.append(f"{get_column_letter(a)}{b}:{get_column_letter(last_col)}"
                              f"{last_row}")
            else:
                ranges.append(rng.coord)
        for rule in cf.rules:
            new.add(" ".join(ranges), rule)
    ws.conditional_formatting = new


def _chart_refs(series) -> list[Any]:
    holders = []
    for attr in ("val", "cat", "tx", "xVal", "yVal"):
        obj = getattr(series, attr, None)
        if obj is None:
            continue
        for sub in ("numRef", "strRef"):
            ref = getattr(obj, sub, None)
            if ref is not None and getattr(ref, "f", None):
                holders.append(ref)
    return holders


def _retarget_charts(wb: Workbook, moved: dict[str, tuple[str, int, int, int, int]]) -> None:
    """Point chart series that read a table's body at the table's new body rows.

    ``moved`` maps table name -> (sheet, first col, last col, first body row, new last body
    row; below the first body row when the table is empty). A chart whose every series reads
    an empty table (the holdout chart without a holdout) is removed.
    """
    for ws in wb.worksheets:
        keep = []
        for chart in ws._charts:
            has_data = False
            # Every series of a combined chart (bar + line), not the first's.
            for series in (s for sub in getattr(chart, "_charts", [chart]) for s in sub.series):
                val_empty = False
                for holder in _chart_refs(series):
                    sheet, (a, b, c, _d) = range_to_tuple(holder.f)
                    for sh, c0, c1, body, last in moved.values():
                        if sh == sheet and c0 <= a and c <= c1 and b >= body:
                            holder.f = str(Reference(wb[sheet], min_col=a, min_row=b,
                                                     max_col=c, max_row=max(last, b)))
                            if series.val is not None and holder is series.val.numRef:
                                val_empty = last < body
                has_data = has_data or not val_empty
            if has_data:
                keep.append(chart)
        ws._charts = keep


def _hide_empty_blocks(wb: Workbook, report: Report) -> None:
    """Hide the rows of a template block (:data:`HIDDEN_WHEN_EMPTY`, a
    defined name over a range) when its table is empty, e.g. the holdout section without
    ``--holdout-start``. A template without the name shows the empty table instead."""
    tables = report.tables()
    for tname, block in HIDDEN_WHEN_EMPTY.items():
        dn = wb.defined_names.get(block)
        if dn is None or tname not in tables or len(tables[tname]) > 0:
            continue
        for sheet, coord in dn.destinations:
            _c0, r0, _c1, r1 = range_boundaries(coord.replace("$", ""))
            for r in range(r0, r1 + 1):
                wb[sheet].row_dimensions[r].hidden = True


# ------------------------------------------------------------------------------ package
def _large_table(ref: TableRef, tname: str, frame: pd.DataFrame) -> _Pending:
    """Leave the table as header + one styled prototype row; remember the rows to stream."""
    ws = ref.ws
    c0, r0, c1, r1 = ref.bounds
    hint = " (use --no-transactions)" if tname == "Transactions" else ""
    limits.check_table_rows(len(frame), tname, r0, hint)
    order = _ordered_columns(ref, tname, frame)
    _clear_rows(ws, r0 + 1, r1, c0, c1)
    for r in range(r0 + 2, r1 + 1):
        for c in range(c0, c1 + 1):
            ws.cell(row=r, column=c)._style = copy(ws.cell(row=r0 + 1, column=c)._style)
    _set_table_size(ref, c1, r0 + 1)
    # Data text columns get Excel's quote prefix in their style, so that editing a cell such
    # as "=HYPERLINK(...)" in Excel keeps it text (the inline string already is text).
    text_columns = set(DATA_TEXT_COLUMNS.get(tname, ()))
    for j, column in enumerate(order):
        if column in text_columns:
            ws.cell(row=r0 + 1, column=c0 + j).quotePrefix = True
    return _Pending(ws.title, tname, c0, r0, table_columns(frame, order), len(order), frame,
                    tuple(order))


def table_columns(frame: pd.DataFrame, order: list[str | None]) -> list[pd.Series]:
    """The columns of a large table as streamed: ``frame``'s columns in sheet ``order``
    (``None``: an empty column), text longer than an Excel cell holds cut with a visible
    marker (:func:`~cltv_xl.safety.fit_cells`)."""
    empty = pd.Series([None] * len(frame), dtype=object)
    columns = [empty if c is None else frame[c].reset_index(drop=True) for c in order]
    return [fit_cells(c) if fastxml.is_text(c) else c for c in columns]


def prototype_styles(wb: Workbook, ref: TableRef, tname: str, order: list[str | None]) -> list:
    """The style index each streamed column will have, as :func:`_large_table` leaves the
    prototype row and openpyxl saves it: the cell's style, with Excel's quote prefix for a
    data text column, as its index among the workbook's cell formats (openpyxl only appends to
    that list, so an index taken now holds at save); None for a cell without a style."""
    c0, r0, _c1, _r1 = ref.bounds
    text_columns = set(DATA_TEXT_COLUMNS.get(tname, ()))
    styles: list[int | None] = []
    for j, column in enumerate(order):
        style = copy(ref.ws.cell(row=r0 + 1, column=c0 + j)._style)
        if column in text_columns:
            style.quotePrefix = True
        styles.append(wb._cell_styles.add(style) if any(style) else None)
    return styles



_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _parse(z: zipfile.ZipFile, part: str):
    """A package part parsed with defusedxml (no entity expansion, no external fetches)."""
    return DefusedET.fromstring(z.read(part))


def _sheet_paths(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> worksheet part name (from workbook.xml and its relationships)."""
    wb = _parse(z, "xl/workbook.xml")
    rels = _parse(z, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{_PKG_REL}}}Relationship")}
    out = {}
    for sheet in wb.iter(f"{{{MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{_REL}}}id")].lstrip("/")
        out[sheet.get("name")] = target if target.startswith("xl/") else "xl/" + target
    return out


def _table_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Table display name -> table part name."""
    out = {}
    for name in z.namelist():
        if name.startswith("xl/tables/") and name.endswith(".xml"):
            shown = _parse(z, name).get("displayName")
            if shown:
                out[shown] = name
    return out


class _TableRef(PartEditor):
    """Sets a table part's ``ref`` and its autoFilter's ``ref``."""

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def start(self, uri: str | None, local: str, attrs: dict[str, str]) -> dict[str, str]:
        depth = len(self._stack)
        if uri == MAIN and ((depth == 1 and local == "table")
                            or (depth == 2 and local == "autoFilter")):
            return {**attrs, "ref": self.ref}
        return attrs


def _resize_table_part(xml: bytes, ref: str, part: str = "table part") -> bytes:
    """A table part with its ``ref`` and its autoFilter's ``ref`` set to ``ref``."""
    return rewrite(xml, _TableRef(ref), part)


class _SheetSplit(PartEditor):
    """A large table's sheet cut where its streamed rows go.

    Rows up to the header row are kept; the prototype row under it gives each column's style
    (:attr:`styles`) and is kept only when the table is empty (``keep_prototype``); later
    rows are dropped. The ``<dimension>`` gets ``dimension``; the output is marked before
    ``</sheetData>``, so that :meth:`pieces` gives the head and the tail of the sheet."""

    def __init__(self, header_row: int, first_col: int, n_cols: int, dimension: str,
                 keep_prototype: bool) -> None:
        super().__init__()
        self.header_row, self.first_col, self.n_cols = header_row, first_col, n_cols
        self.dimension, self.keep_prototype = dimension, keep_prototype
        self.styles: list[int | None] = [None] * n_cols
        self._row = 0
        self._had_rows = False

    def start(self, uri: str | None, local: str, attrs: dict[str, str]) -> dict[str, str]:
        if uri == MAIN and local == "dimension":
            return {**attrs, "ref": self.dimension}
        return attrs

    def capture(self, uri: str | None, local: str, attrs: dict[str, str]) -> bool:
        return uri == MAIN and local == "row" and self.parent() == (MAIN, "sheetData")

    def captured(self, el: Element) -> Iterable[Element | str]:
        self._had_rows = True
        self._row = int(el.attrs["r"]) if "r" in el.attrs else self._row + 1
        if self._row <= self.header_row:
            return (el,)
        if self._row == self.header_row + 1:
            self._read_styles(el)
            return (el,) if self.keep_prototype else ()
        return ()

    def _read_styles(self, row: Element) -> None:
        col = 0
        for c in row.children:
            if not (isinstance(c, Element) and c.uri == MAIN and c.local == "c"):
                continue
            col = (column_index_from_string(coordinate_from_string(c.attrs["r"])[0])
                   if "r" in c.attrs else col + 1)
            j = col - self.first_col
            if 0 <= j < self.n_cols and "s" in c.attrs:
                self.styles[j] = int(c.attrs["s"])

    def before_end(self, uri: str | None, local: str) -> None:
        if uri == MAIN and local == "sheetData":
            if not self._had_rows:
                raise TemplateError("a table sheet has no rows")
            self.mark()


def _split_sheet(xml: bytes, p: _Pending, n: int, part: str) -> tuple[str, str, list]:
    """Head and tail of a large table's sheet (the streamed rows go between them) and the
    prototype row's style index per column."""
    last_col = p.first_col + p.n_cols - 1
    last_row = p.header_row + max(n, 1)
    dimension = f"A1:{get_column_letter(last_col)}{last_row}"
    editor = _SheetSplit(p.header_row, p.first_col, p.n_cols, dimension, n == 0)
    edit_part(xml, editor, part)
    pieces = editor.pieces()
    if len(pieces) != 2:
        raise TemplateError(f"{part} has no <sheetData> to hold table {p.table}")
    head, tail = pieces
    return head, tail, editor.styles


class _CachedValues(PartEditor):
    """Gives formula cells (coordinate -> value) a cached ``<v>`` value: text with
    ``t="str"``, a number without ``t``; a cell without a formula, or whose value is None or
    not finite, is left as it is."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__()
        self.values = values

    def capture(self, uri: str | None, local: str, attrs: dict[str, str]) -> bool:
        return uri == MAIN and local == "c" and attrs.get("r") in self.values

    def captured(self, el: Element) -> Iterable[Element | str]:
        v = self.values[el.attrs["r"]]
        formula = el.child("f")
        if formula is None or v is None or (isinstance(v, float) and not math.isfinite(v)):
            return (el,)
        attrs = {k: a for k, a in el.attrs.items() if k != "t"}
        if isinstance(v, str):
            attrs["t"] = "str"
            text = OOXML_ESCAPE.sub(r"_x005F_\1", v)  # the value is an ST_Xstring
        else:
            text = repr(float(v))
        value = Element(el.sibling_name("v"), MAIN, "v", {}, [text])
        children: list[Element | str] = []
        for c in el.children:
            if isinstance(c, Element) and c.uri == MAIN and c.local == "v":
                continue
            children.append(c)
            if c is formula:
                children.append(value)
        return (Element(el.name, el.uri, el.local, attrs, children),)


def _cache_formula_values(xml: bytes, values: dict[str, Any], part: str = "sheet") -> bytes:
    """Add ``<v>`` cached values to formula cells (coordinate -> value)."""
    return rewrite(xml, _CachedValues(values), part)


def _assemble(src: bytes, dest: Path, pending: list[_Pending],
              cached: dict[str, dict[str, Any]], ahead: dict[str, Any] | None = None) -> None:
    """Copy the openpyxl package to ``dest``, streaming the large tables' rows into their
    sheets in chunks (:func:`chunk_rows`): a worker thread builds the next chunk's XML while
    the current one is checksummed and compressed (pyarrow and ISA-L both release the GIL),
    so at most two chunks of XML exist at a time. A table in ``ahead`` (table name ->
    :class:`~cltv_xl.report.rows_ahead.RowsAhead`) whose rows were built and compressed
    while the models fitted is copied in compressed, if it is the table being written."""
    ahead = ahead or {}
    with zipfile.ZipFile(io.BytesIO(src)) as zin, ThreadPoolExecutor(max_workers=BUILDERS) as pool:
        sheets = _sheet_paths(zin)
        tables = _table_parts(zin)
        table_xml: dict[str, bytes] = {}
        jobs: dict[str, _Pending] = {}
        for p in pending:
            part = tables[p.table]
            n = len(p.frame_columns[0]) if p.frame_columns else 0
            last_row = p.header_row + max(n, 1)
            new = (f"{get_column_letter(p.first_col)}{p.header_row}:"
                   f"{get_column_letter(p.first_col + p.n_cols - 1)}{last_row}")
            table_xml[part] = _resize_table_part(zin.read(part), new, part)
            jobs[sheets[p.sheet]] = p
        cached_parts = {sheets[s]: v for s, v in cached.items() if v}
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED,
                             compresslevel=COMPRESS_LEVEL) as zout:
            for info in zin.infolist():
                name = info.filename
                if name in jobs:
                    p = jobs.pop(name)
                    built = ahead.get(p.table)
                    n = len(p.frame_columns[0]) if p.frame_columns else 0
                    if built is not None and n:
                        head, tail, styles = _split_sheet(zin.read(name), p, n, name)
                        if built.write(zout, _member_info(info), head, tail, p, styles):
                            continue
                    head, tail, body = _sheet_job(zin.read(name), p, name, pool)
                    _stream(zout, info, head, body, tail)
                elif name in table_xml:
                    zout.writestr(info, table_xml[name])
                elif name in cached_parts:
                    zout.writestr(info, _cache_formula_values(zin.read(name), cached_parts[name],
                                                              name))
                else:
                    zout.writestr(info, zin.read(name))


def _sheet_job(xml: bytes, p: _Pending, part: str,
               pool: ThreadPoolExecutor) -> tuple[str, str, Iterator[Any]]:
    """Head and tail of a large table's sheet, and its rows' XML chunk by chunk."""
    n = len(p.frame_columns[0]) if p.frame_columns else 0
    head, tail, styles = _split_sheet(xml, p, n, part)
    body: Iterator[Any] = _chunks(p, styles, pool) if n else iter(())
    return head, tail, body


def chunk_rows(n_cols: int) -> int:
    """Rows per chunk of a table ``n_cols`` wide (:data:`CHUNK_CELLS`, :data:`CHUNK_ROWS`)."""
    return max(1, min(CHUNK_ROWS, CHUNK_CELLS // max(n_cols, 1)))


def _chunks(p: _Pending, styles: list[int | None], pool: ThreadPoolExecutor) -> Iterator[Any]:
    """The table's row XML in chunks, in order. :data:`BUILDERS` chunks are built ahead in
    ``pool`` while the current one is consumed (building costs about twice as much as ISA-L's
    deflate, so two builders and the compressor share the two cores), so at most
    ``BUILDERS + 1`` chunks exist at a time."""
    n = len(p.frame_columns[0])
    step = chunk_rows(p.n_cols)
    starts = iter(range(0, n, step))

    def build(start: int) -> Any:
        part = [c.iloc[start:start + step] for c in p.frame_columns]
        return fastxml.rows_xml(part, p.first_col, p.header_row + 1 + start, styles)

    ahead: deque[Future] = deque(pool.submit(build, s) for s in islice(starts, BUILDERS))
    while ahead:
        current = ahead.popleft()
        for s in islice(starts, 1):
            ahead.append(pool.submit(build, s))
        yield current.result()
        del current


def _fast_compressor() -> Any:
    """A raw-deflate compressor at :data:`COMPRESS_LEVEL`: python-isal's (ISA-L, about 3.5x
    zlib's speed at level 1 for a slightly smaller output; see ``bench/bench_deflate.py``)
    when installed, else None (zipfile's own zlib)."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)


def _member_sink(fh: Any, compressor: Any = None) -> Callable[[Any], Any]:
    """A function writing bytes into the open zip member ``fh``.

    With python-isal, ISA-L's raw deflate and its CRC-32 (about 6x zlib's speed) replace
    zipfile's: the function does what ``zipfile._ZipWriteFile.write`` does (Python 3.11 to
    3.13: count the bytes, update the CRC, compress, write), so that zipfile's ``close``
    writes the same header fields. Without python-isal, or with a zipfile lacking those
    attributes, it is ``fh.write`` (zlib). ``compressor``: an ISA-L compressor to use in place
    of a new one."""
    fast = compressor if compressor is not None else _fast_compressor()
    if fast is None or not all(hasattr(fh, a) for a in _ZIP_WRITER_FIELDS):
        return fh.write
    from isal import isal_zlib

    fh._compressor = fast  # zipfile's close() flushes it
    crc32, compress, raw = isal_zlib.crc32, fast.compress, fh._fileobj.write

    def write(data: Any) -> None:
        data = memoryview(data)
        fh._file_size += data.nbytes
        fh._crc = crc32(data, fh._crc)
        out = compress(data)
        fh._compress_size += len(out)
        raw(out)

    return write


_ZIP_WRITER_FIELDS = ("_compressor", "_file_size", "_crc", "_compress_size", "_fileobj")


def _member_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A deflated member named and dated as ``info``, at :data:`COMPRESS_LEVEL`."""
    out_info = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    out_info.compress_type = zipfile.ZIP_DEFLATED
    # Level 1: a third of the time of the default level 6 for a few percent more bytes. The
    # attribute is ``_compresslevel`` up to Python 3.12 and ``compress_level`` from 3.13.
    out_info._compresslevel = COMPRESS_LEVEL
    if hasattr(out_info, "compress_level"):
        out_info.compress_level = COMPRESS_LEVEL
    return out_info


def _stream(zout: zipfile.ZipFile, info: zipfile.ZipInfo, head: str, body: Iterator[Any],
            tail: str) -> None:
    with zout.open(_member_info(info), "w", force_zip64=True) as fh:
        write = _member_sink(fh)
        write(head.encode())
        for chunk in body:
            view = memoryview(chunk)
            for i in range(0, len(view), WRITE_BYTES):
                write(view[i:i + WRITE_BYTES])
        write(tail.encode())


# ------------------------------------------------------------------------------ entry point
def fill_workbook(wb: Workbook, report: Report) -> tuple[list[_Pending], dict[str, dict]]:
    """Fill ``wb`` (a loaded template) with openpyxl; return the large tables still to stream
    and the cached KPI values per sheet."""
    fill_cells(wb, report)
    tables = find_tables(wb)
    pending: list[_Pending] = []
    moved: dict[str, tuple[str, int, int, int, int]] = {}
    optional = {t: f for t, f in report.retention_tables.items() if t in tables}
    for tname, frame in {**report.tables(), **optional}.items():
        ref = tables[tname]
        c0, r0, c1, _r1 = ref.bounds
        if tname in LARGE_TABLES:
            pending.append(_large_table(ref, tname, frame))
            continue
        last_col, last_row = write_small_table(ref, tname, frame)
        if len(frame) == 0:
            last_row = r0
        moved[tname] = (ref.ws.title, c0, max(c1, last_col), r0 + 1, last_row)
        if tname in VARIABLE_COLUMN_TABLES:
            _stretch_colour_scales(ref.ws, c0, r0, last_col, max(last_row, r0 + 1))
    _retarget_charts(wb, moved)
    for tname, note in report.table_notes.items():  # e.g. the partial cohort month
        c0, r0, _c1, _r1 = tables[tname].bounds
        tables[tname].ws.cell(row=r0, column=c0).comment = Comment(
            clean_text(note), "cltv-xl", width=360, height=140)
    _hide_empty_blocks(wb, report)
    wb.calculation.fullCalcOnLoad = True
    cached: dict[str, dict[str, Any]] = {}
    gaps = report.not_estimated()
    for defined, value in report.cells().items():
        if report.extras.get("kpis_as_values"):
            break  # written as values by fill_cells
        if defined in FORMULA_NAMES and defined not in gaps:
            cell = name_cell(wb, defined)
            cached.setdefault(cell.parent.title, {})[cell.coordinate] = value
    return pending, cached


def write_report(report: Report, output: str | os.PathLike,
                 template: str | os.PathLike | None = None, *,
                 loaded: Workbook | None = None, ahead: dict[str, Any] | None = None) -> Path:
    """Fill the template with ``report`` and write it atomically to ``output`` (.xlsx).

    ``loaded`` is the template already loaded by :func:`load_template` (used once: it is
    filled in place); by default ``template`` is loaded here. ``ahead``: large tables whose
    rows :func:`cltv_xl.report.rows_ahead.start_rows` built and compressed meanwhile (table
    name -> its result), used where they match the table written. (The other large tables are
    not started here: built in one thread while openpyxl fills and saves the workbook, which
    holds the GIL, the Customers rows made the 1M-row write 0.25-0.35 s slower than the
    writer's own two builders; ``python bench/bench_report.py ab 1000000 ... --each``.)"""
    wb = loaded if loaded is not None else load_template(template)
    pending, cached = fill_workbook(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    src = buf.getvalue()
    del wb, buf
    return atomic_write(output, lambda tmp: _assemble(src, tmp, pending, cached, ahead))

