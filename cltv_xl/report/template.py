"""Find the report template, check it, and resolve its defined names and tables.

Code addresses the template only through workbook-level defined names and Excel table names
(lists in :mod:`cltv_xl.report.model`). This module turns a name into ``(worksheet, cell)``
and a table name into ``(worksheet, Table)``; nothing else in the package knows an address.

Template search order: the ``template`` argument (``--template``), the ``CLTV_XL_TEMPLATE``
environment variable, the ``templates/`` folder beside the package (repository and editable
installs), then ``cltv_xl/templates/`` inside the installed package (wheel installs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import TemplateError
from .model import REQUIRED_NAMES, REQUIRED_TABLES, TABLE_COLUMNS, VARIABLE_COLUMN_TABLES

TEMPLATE_FILE = "cltv_report.xlsx"
ENV_VAR = "CLTV_XL_TEMPLATE"


def default_template() -> Path:
    """Path of the bundled template (see the module docstring for the search order)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    package = Path(__file__).resolve().parents[1]
    for folder in (package.parent / "templates", package / "templates"):
        if (folder / TEMPLATE_FILE).is_file():
            return folder / TEMPLATE_FILE
    raise TemplateError(
        f"the report template {TEMPLATE_FILE} was not found beside the package "
        f"({package.parent / 'templates'}); pass --template PATH or set {ENV_VAR}"
    )


def template_path(template: str | os.PathLike | None = None) -> Path:
    """The template to use: ``template`` when given, else :func:`default_template`."""
    path = Path(template) if template is not None else default_template()
    if not path.is_file():
        raise TemplateError(f"template {path} does not exist or is not a file")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise TemplateError(f"template {path} must be an .xlsx or .xlsm workbook")
    return path


def load_template(template: str | os.PathLike | None = None) -> Workbook:
    """Load and validate the template (raises :class:`TemplateError` listing every problem)."""
    path = template_path(template)
    try:
        wb = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    except Exception as exc:  # openpyxl raises many types for a broken package
        raise TemplateError(f"template {path} cannot be opened as a workbook: {exc}") from exc
    validate(wb, str(path))
    return wb


@dataclass(frozen=True)
class TableRef:
    """Where a table sits: its sheet, its openpyxl object and its current bounds."""

    ws: Worksheet
    table: Table

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """``(min_col, min_row, max_col, max_row)`` of the table, header row included."""
        return range_boundaries(self.table.ref)

    def headers(self) -> list[str]:
        """Header texts as they stand in the sheet's header row."""
        c0, r0, c1, _ = self.bounds
        return [str(self.ws.cell(row=r0, column=c).value or "") for c in range(c0, c1 + 1)]


def find_tables(wb: Workbook) -> dict[str, TableRef]:
    """Every Excel table of the workbook by name."""
    found: dict[str, TableRef] = {}
    for ws in wb.worksheets:
        for tab in ws.tables.values():
            found[tab.displayName] = TableRef(ws, tab)
    return found


def name_cell(wb: Workbook, defined: str) -> Cell:
    """The single cell a workbook-level defined name points at."""
    dn = wb.defined_names.get(defined)
    if dn is None:
        raise TemplateError(f"the template has no defined name {defined}")
    dests = list(dn.destinations)
    if len(dests) != 1:
        raise TemplateError(f"defined name {defined} must refer to one cell; it is {dn.value}")
    sheet, coord = dests[0]
    if sheet not in wb.sheetnames:
        raise TemplateError(f"defined name {defined} refers to a missing sheet {sheet!r}")
    coord = coord.replace("$", "")
    if ":" in coord:
        first, last = coord.split(":")
        if first != last:
            raise TemplateError(f"defined name {defined} must refer to one cell; it is {coord}")
        coord = first
    return wb[sheet][coord]


def validate(wb: Workbook, label: str = "template") -> None:
    """Raise :class:`TemplateError` listing every missing name, table or table column."""
    problems: list[str] = []
    missing = [n for n in REQUIRED_NAMES if n not in wb.defined_names]
    if missing:
        problems.append(f"missing defined names: {', '.join(missing)}")
    bad = []
    for n in REQUIRED_NAMES:
        if n in wb.defined_names:
            try:
                name_cell(wb, n)
            except TemplateError as exc:
                bad.append(str(exc))
    problems.extend(bad)
    tables = find_tables(wb)
    missing_t = [t for t in REQUIRED_TABLES if t not in tables]
    if missing_t:
        problems.append(f"missing tables: {', '.join(missing_t)}")
    for tname, ref in tables.items():
        if tname not in TABLE_COLUMNS:
            continue
        need = TABLE_COLUMNS[tname]
        if tname in VARIABLE_COLUMN_TABLES:
            need = need[:2]
        have = ref.headers()
        absent = [c for c in need if c not in have]
        if absent:
            problems.append(f"table {tname} lacks columns: {', '.join(absent)}")
    if problems:
        raise TemplateError(f"{label} cannot be used as a report template: " + "; ".join(problems))
