"""Hostile input files for issue 12, generated small and fast, and a crash-proof CLI runner.

Every category of issue 12 has a generator here: dates outside pandas' range, a cell at
XFD1048576, zip bombs of whitespace and of one shared string (2 GiB and 1.5 GiB inflated, about
2 MB on disk, written by repeating one compressed block: a deflate stream restarts at a full
flush), truncated sheet XML, ``<row r="0">``, ``ZZZZZZZZZZZZ1``, a UTF-16 sheet with a DOCTYPE,
XML entity bombs, encrypted files, a 64 MiB CSV field, a 400-digit date, Arabic-Indic and
full-width digits, text over Excel's 32,767 characters, ``_x003D_`` text, formula-injection
payloads, an unbounded horizon and a 200-year order span.

:class:`Driver` runs ``cltv_xl.cli.main`` on them in a child process, one case after another
(one import of pandas for all), so that a native abort kills the child, not the test run: it
is then reported as the case's exit code (negative: the signal) and the child is restarted.
``tests/test_hostile_corpus.py`` asserts on the results; ``bench/bench_hostile.py`` measures time
and peak memory per case with the same driver.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import select
import struct
import subprocess
import sys
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------- zip and xlsx parts

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    b"</Types>"
)
WORKBOOK = (
    b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
ROOT_RELS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
RELS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)
SHEET_HEAD = (
    b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main"><sheetData>'
)
ROWS = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>amount</t></is></c></row>'
    b'<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>9.5</v></c></row>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def build_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """Write a zip by hand from (name, raw deflate data, declared size, crc) entries, so that
    a test can declare any size it likes."""
    out = bytearray()
    central = bytearray()
    for name, data, size, crc in entries:
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                           len(raw), 0) + raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       len(out), 0)
    path.write_bytes(bytes(out + central + eocd))
    return path


def deflate(data: bytes) -> tuple[str, bytes, int, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return ("", c.compress(data) + c.flush(), len(data), zlib.crc32(data))


def workbook(path: Path, sheet_xml: bytes, extra: list[tuple[str, bytes]] = ()) -> Path:
    """A one-sheet workbook ("Orders") with ``sheet_xml`` as its sheet and ``extra`` parts."""
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", RELS),
        ("xl/worksheets/sheet1.xml", sheet_xml),
        *extra,
    ]
    return build_zip(path, [(n, *deflate(x)[1:]) for n, x in parts])


def repeated(head: bytes, unit: bytes, count: int, tail: bytes) -> tuple[bytes, int]:
    """Deflate data of ``head + unit * count + tail`` (``unit`` 1 MiB), made by repeating one
    compressed block; returns the data and its uncompressed size."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    assert again == block  # after a full flush the compressor restarts: blocks repeat exactly
    last = c.compress(tail) + c.flush()
    return first + block * count + last, len(head) + count * len(unit) + len(tail)


def whitespace_bomb(path: Path, gib: int = 2, declared: int | None = None) -> Path:
    """A workbook whose sheet holds ``gib`` GiB of spaces before its data, ~1 KB per MiB; its
    header declares the true size, or ``declared``. The CRC is left at 0: the checks refuse
    it long before a reader would verify it."""
    data, size = repeated(SHEET_HEAD, b" " * (1 << 20), gib * 1024, ROWS + SHEET_TAIL)
    parts = [
        ("[Content_Types].xml", *deflate(CONTENT_TYPES)[1:]),
        ("xl/workbook.xml", *deflate(WORKBOOK)[1:]),
        ("xl/_rels/workbook.xml.rels", *deflate(RELS)[1:]),
        ("xl/worksheets/sheet1.xml", data, size if declared is None else declared, 0),
    ]
    return build_zip(path, parts)


def shared_string_bomb(path: Path, mib: int = 1536, declared: int | None = None) -> Path:
    """A workbook with one shared string of ``mib`` MiB (issue 12: 1.5 GiB)."""
    start = b'<?xml version="1.0"?><sst count="1" uniqueCount="1"><si><t>'
    data, size = repeated(start, b"A" * (1 << 20), mib, b"</t></si></sst>")
    sheet = SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL
    parts = [
        ("[Content_Types].xml", *deflate(CONTENT_TYPES)[1:]),
        ("xl/workbook.xml", *deflate(WORKBOOK)[1:]),
        ("xl/_rels/workbook.xml.rels", *deflate(RELS)[1:]),
        ("xl/sharedStrings.xml", data, size if declared is None else declared, 0),
        ("xl/worksheets/sheet1.xml", *deflate(sheet)[1:]),
    ]
    return build_zip(path, parts)


def openpyxl_workbook(path: Path, rows: list[list] | None = None) -> Path:
    """A real workbook ("Orders") saved by openpyxl: a header and ``rows`` (default 50)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["customer", "date", "amount"])
    if rows is None:
        rows = [[f"C{i}", f"2024-01-{i % 28 + 1:02d}", i * 1.5] for i in range(1, 51)]
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def rewrite_sheet(src: Path, dst: Path, edit: Callable[[bytes], bytes]) -> Path:
    """Copy a workbook, passing its first sheet's XML through ``edit``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(item, data)
    return dst


# ------------------------------------------------------------------------- base orders


def base_orders() -> list[list]:
    """Real orders (CDNOW customers 1-150, 1997-98): enough repeat buyers for every model."""
    from cltv_xl.datasets import load_cdnow

    orders = load_cdnow()
    orders = orders[orders["customer_id"].astype(int) <= 150]
    return [[str(c), d.date().isoformat(), float(a)]
            for c, d, a in zip(orders["customer_id"], orders["date"], orders["amount"],
                               strict=True)]


def orders_csv(path: Path, extra: list[list] = ()) -> tuple[Path, list[int]]:
    """The base orders plus ``extra`` rows as a CSV file; returns it and the row numbers of the
    extra rows (CSV row numbers are line numbers, the header is line 1)."""
    rows = base_orders()
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("customer,date,amount\n")
        for row in [*rows, *extra]:
            fh.write(",".join(_csv_field(v) for v in row) + "\n")
    return path, list(range(len(rows) + 2, len(rows) + 2 + len(extra)))


def _csv_field(value) -> str:
    text = str(value)
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def orders_xlsx(path: Path, extra: list[list] = ()) -> tuple[Path, list[int]]:
    """The base orders plus ``extra`` rows as a workbook saved by openpyxl (same row numbers
    as :func:`orders_csv`)."""
    rows = base_orders()
    return (openpyxl_workbook(path, [*rows, *extra]),
            list(range(len(rows) + 2, len(rows) + 2 + len(extra))))


# ------------------------------------------------------------------------- the cases


@dataclass
class Case:
    """One hostile input: ``build(folder)`` writes it and returns (path, hostile row numbers)."""

    name: str
    build: Callable[[Path], tuple[Path, list[int]]]
    #: "error": a one-line error, exit 1; "report": exit 0 with the hostile rows listed;
    #: "either": one of the two.
    expect: str
    #: a regular expression the one-line error must match, or (report) the reason every
    #: hostile row is listed with; empty: the hostile rows may be used or listed
    pattern: str = ""
    args: tuple[str, ...] = ()
    #: the branch whose work makes this case pass (None: it passes on this branch)
    needs: str | None = None
    timeout: float = 120.0
    #: extra check on the written report (path of the output .xlsx, the JSON summary)
    check: Callable[[Path, dict], None] | None = None
    notes: str = ""


def _xlsx_edit(edit: Callable[[bytes], bytes], name: str):
    def build(folder: Path):
        src, _ = orders_xlsx(folder / "src.xlsx")
        return rewrite_sheet(src, folder / name, edit), []
    return build


def _append_rows(xml: bytes) -> Callable[[bytes], bytes]:
    return lambda x: x.replace(b"</sheetData>", xml + b"</sheetData>")


def _truncated(folder: Path):
    src, _ = orders_xlsx(folder / "src.xlsx")
    return rewrite_sheet(src, folder / "truncated.xlsx",
                         lambda x: x[: len(x) // 2]), []


def _utf16_doctype(folder: Path):
    xml = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE worksheet [<!ENTITY a "1">]>'
           + (SHEET_HEAD.split(b"?>", 1)[1] + ROWS + SHEET_TAIL).decode())
    return workbook(folder / "utf16.xlsx", b"\xff\xfe" + xml.encode("utf-16-le")), []


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def _entity_bomb_sheet(folder: Path):
    xml = LAUGHS + SHEET_HEAD.split(b"?>", 1)[1] + (
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>') + SHEET_TAIL
    return workbook(folder / "laughs.xlsx", xml), []


def _entity_bomb_sst(folder: Path):
    sst = LAUGHS + b'<sst count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    sheet = SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL
    return workbook(folder / "laughs-sst.xlsx", sheet, [("xl/sharedStrings.xml", sst)]), []


def _ole2(folder: Path):
    path = folder / "encrypted.xlsx"
    # The start of an OLE2 compound file: what Excel writes for a password-protected workbook.
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 4088)
    return path, []


def _zip_encrypted(folder: Path):
    path = workbook(folder / "zipcrypto.xlsx", SHEET_HEAD + ROWS + SHEET_TAIL)
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 8] |= 1  # the "encrypted" flag of every part, in the central directory
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path, []


def _csv_big_field(folder: Path):
    path, _ = orders_csv(folder / "bigfield.csv")
    row = len(base_orders()) + 2
    with path.open("a", encoding="utf-8") as fh:
        fh.write("X" * (64 << 20) + ",1997-03-01,10\n")
    return path, [row]


def _cohort_span(folder: Path):
    rows = []
    for i in range(240):  # 240 customers with orders from 1900 to 2099
        year = 1900 + (i * 199) // 239
        rows.append([f"S{i}", f"{year}-06-15", 10.0])
        rows.append([f"S{i}", f"{min(year + 1, 2099)}-01-15", 12.0])
    path = folder / "span.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("customer,date,amount\n")
        for row in rows:
            fh.write(",".join(str(v) for v in row) + "\n")
    return path, []


#: Formula-injection payloads: the dangerous leading characters of OWASP ASVS.
PAYLOADS = (
    "=1+1", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1", "\x00=1+1",
    '=HYPERLINK("http://127.0.0.1/x","click")', "=cmd|' /C calc'!A0",
)


def _injection(folder: Path):
    # a CSV file: an .xlsx cannot even hold NUL or a bare CR
    extra = [[p, "1997-03-01", 10.0] for p in PAYLOADS]
    extra += [[p, "1997-04-01", 12.0] for p in PAYLOADS]  # repeat buyers, in every table
    return orders_csv(folder / "injection.csv", extra)


def _check_injection(output: Path, summary: dict) -> None:
    """No cell of the report holds a formula made from a payload; the ids are text."""
    from openpyxl import load_workbook

    wb = load_workbook(output)
    markers = ("1+1", "SUM(1,1)", "HYPERLINK", "cmd|")
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if (isinstance(value, str) and any(m in value for m in markers)
                        and ws.title in ("Customers", "Transactions", "Data issues")):
                    seen += 1
                    assert cell.data_type == "s", (ws.title, cell.coordinate, value)
    assert seen >= len(PAYLOADS), seen


def _check_long_text(output: Path, summary: dict) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(output, read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and len(value) > 32_767), ws.title


def _check_escape(output: Path, summary: dict) -> None:
    """``_x003D_1+1`` is stored escaped (``_x005F_x003D_1+1``), so a reader that follows the
    OOXML spec reads the text back, not ``=1+1``."""
    with zipfile.ZipFile(output) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml"))
    assert b"_x005F_x003D_1+1" in xml, "not escaped"
    assert xml.count(b"_x003D_1+1") == xml.count(b"_x005F_x003D_1+1"), "escaped only in part"


# ------------------------------------------------------------------------- OpenDocument

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')

ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')


def ods_cell(repeats: int, value: float | None) -> str:
    rep = f' table:number-columns-repeated="{repeats}"' if repeats != 1 else ""
    if value is None:
        return f"<table:table-cell{rep}/>"
    return (f'<table:table-cell{rep} office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>")


def ods_row(repeats: int, cells: list[tuple[int, float | None]]) -> str:
    rep = f' table:number-rows-repeated="{repeats}"' if repeats != 1 else ""
    return f"<table:table-row{rep}>{''.join(ods_cell(*c) for c in cells)}</table:table-row>"


def write_ods(path: Path, rows: list[str], *, head: str = "") -> Path:
    """A minimal .ods package whose one sheet holds the given row elements."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{head}<office:document-content {ODS_NS} '
               'office:version="1.2"><office:body><office:spreadsheet>'
               f'<table:table table:name="S">{"".join(rows)}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", ODS_MANIFEST)
    return path


def _ods_rows(folder: Path):
    """1 KB asking calamine for 99,001 rows x 1,000 numbers (3 GB: it aborted the process)."""
    return write_ods(folder / "rows.ods", [ods_row(1, [(1, 1.0)]),
                                           ods_row(99_000, [(1_000, 1.0)])]), []


def _ods_wide(folder: Path):
    """3,000 rows of one value after 16,000 empty cells: a narrow range, but calamine holds
    every cell before the value while it reads (48 million)."""
    return write_ods(folder / "wide.ods", [ods_row(1, [(16_000, None), (1, 1.0)])] * 3_000), []


# ------------------------------------------------------------------------- legacy .xls


def lo_xls(folder: Path) -> Path:
    """The demo orders written as .xls by LibreOffice (a real BIFF8 file to edit)."""
    from lo import convert

    from cltv_xl.report.demo import write_demo_orders

    return convert(write_demo_orders(folder / "orders.xlsx"), "xls", folder / "lo")


def edit_xls(src: Path, dst: Path, edit: Callable[[bytearray, list], None]) -> Path:
    """Copy ``src`` to ``dst`` with its workbook stream edited in place (same length):
    ``edit(stream, records)`` gets the stream and its records as (type, body offset, length),
    globals first, then the first sheet's (from its BoundSheet8 offset)."""
    import shutil
    import struct

    import olefile

    from cltv_xl.loading.preflight_xls import _records

    shutil.copyfile(src, dst)
    with olefile.OleFileIO(str(dst), write_mode=True) as ole:
        data = bytearray(ole.openstream("Workbook").read())
        sheet = next(struct.unpack_from("<I", data, at)[0]
                     for typ, at, _n in _records(bytes(data), 0) if typ == 0x0085)
        records = [r for r in _records(bytes(data), sheet)]
        edit(data, records)
        ole.write_stream("Workbook", bytes(data))
    return dst


def _xls_dimensions(folder: Path):
    """DIMENSIONS claiming 2,147,483,632 rows: calamine reserved 21.9 TB and aborted."""
    def edit(data: bytearray, records: list) -> None:
        import struct

        at = next(at for typ, at, n in records if typ == 0x0200 and n == 14)
        struct.pack_into("<IIHH", data, at, 0, 0x7FFFFFF0, 0, 255)

    return edit_xls(lo_xls(folder), folder / "dims.xls", edit), []


def _xls_far_cell(folder: Path):
    """One number moved to row 65,536, column 65,536: calamine's grid would be 4.3e9 cells."""
    def edit(data: bytearray, records: list) -> None:
        import struct

        at = next(at for typ, at, n in records if typ in (0x0203, 0x027E))
        struct.pack_into("<HH", data, at, 0xFFFF, 0xFFFF)

    return edit_xls(lo_xls(folder), folder / "far.xls", edit), []


# ------------------------------------------------------------------------- binary .xlsb

_XLSB_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType='
    '"application/vnd.ms-excel.sheet.binary.macroEnabled.main"/><Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
    "</Types>")
_XLSB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://'
    'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
    '//schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target="{target}"/>'
    "</Relationships>")


def biff12(typ: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: its type (one byte, or two for 128 and above) and its length as
    7-bit groups, then the body (MS-XLSB 2.1.4)."""
    head = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    n, length = len(body), bytearray()
    while True:
        length.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return head + bytes(length) + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb_sheet(rows: list[tuple[int, list[tuple[int, object]]]], *, after: bytes = b"") -> bytes:
    """A sheet part: (row, [(column, text or number), ...]) rows of BrtCellSt / BrtCellReal
    cells between BrtBeginSheetData and BrtEndSheetData (then ``after``)."""
    out = bytearray(biff12(0x81) + biff12(0x94, bytes(16)) + biff12(0x91))
    for row, cells in rows:
        out += biff12(0x00, struct.pack("<I", row) + bytes(21))
        for col, value in cells:
            if isinstance(value, str):
                out += biff12(0x06, struct.pack("<II", col, 0) + _wide(value))
            else:
                out += biff12(0x05, struct.pack("<IId", col, 0, float(value)))
    return bytes(out + biff12(0x92) + after + biff12(0x82))


def write_xlsb(path: Path, sheet: bytes) -> Path:
    """A minimal .xlsb package (what fastexcel needs to read one sheet) holding ``sheet``."""
    book = (biff12(0x83) + biff12(0x8F) + biff12(0x9C, struct.pack("<II", 0, 1) + _wide("rId1")
            + _wide("Orders")) + biff12(0x90) + biff12(0x84))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _XLSB_CONTENT_TYPES)
        z.writestr("_rels/.rels", _XLSB_RELS.format(kind="officeDocument",
                                                     target="xl/workbook.bin"))
        z.writestr("xl/_rels/workbook.bin.rels", _XLSB_RELS.format(
            kind="worksheet", target="worksheets/sheet1.bin"))
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


def xlsb_orders() -> list[tuple[int, list[tuple[int, object]]]]:
    """The base orders as .xlsb rows: a header, then id, date text and amount."""
    rows = [(0, [(0, "Customer ID"), (1, "Order Date"), (2, "Amount")])]
    for i, (cid, day, amount) in enumerate(base_orders(), start=1):
        rows.append((i, [(0, cid), (1, day), (2, amount)]))
    return rows


def _xlsb_far(folder: Path):
    """One amount at column 16,777,216: calamine's grid for three rows failed to allocate."""
    rows = xlsb_orders()
    rows[1] = (1, [*rows[1][1][:2], (0xFF_FFFF, 9.5)])
    return write_xlsb(folder / "far.xlsb", xlsb_sheet(rows)), []


CASES: list[Case] = [
    # 1. dates outside pandas' nanosecond range
    Case("date-2502-text", lambda f: orders_csv(f / "d2502.csv", [["D1", "2502-05-01", 10]]),
         "report", "date"),
    Case("date-1453-text", lambda f: orders_csv(f / "d1453.csv", [["D1", "1453-05-29", 10]]),
         "report", "date"),
    Case("date-2502-cell", lambda f: orders_xlsx(f / "d2502.xlsx",
                                                 [["D1", dt.datetime(2502, 5, 1), 10]]),
         "report", "date"),
    Case("date-1453-cell", lambda f: orders_xlsx(f / "d1453.xlsx",
                                                 [["D1", dt.datetime(1453, 5, 29), 10]]),
         "report", "date"),
    Case("as-of-9999", lambda f: orders_csv(f / "asof.csv"), "error", "as.of",
         args=("--as-of", "9999-12-31")),
    # 2. native aborts
    Case("xfd1048576", _xlsx_edit(_append_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v>'
                                               b"</c></row>"), "far.xlsx"),
         "error", r"17,179,869,184 cells"),
    Case("dimension-whole-sheet", _xlsx_edit(
        lambda x: x.replace(b'<dimension ref="', b'<dimension ref="A1:XFD1048576" x="'),
        "dim.xlsx"), "error", r"dimension ref='A1:XFD1048576'"),
    Case("bomb-whitespace-2gib", lambda f: (whitespace_bomb(f / "bomb.xlsx"), []),
         "error", r"declares 2,147,48\d,\d+ bytes"),
    Case("bomb-whitespace-lying-header",
         lambda f: (whitespace_bomb(f / "liar.xlsx", declared=10_000), []),
         "error", r"inflates to more than 10,000 bytes"),
    Case("bomb-shared-string-1.5gib", lambda f: (shared_string_bomb(f / "sst.xlsx"), []),
         "error", r"sharedStrings\.xml' declares 1,610,61\d,\d+ bytes"),
    Case("bomb-shared-string-lying-header",
         lambda f: (shared_string_bomb(f / "sstliar.xlsx", declared=900 << 20), []),
         "error", r"sharedStrings\.xml.*(run of more than|inflates to more than)"),
    # 4. raw tracebacks
    Case("truncated-sheet-xml", _truncated, "error", r"truncated\.xlsx"),
    Case("row-0", lambda f: (workbook(f / "row0.xlsx", SHEET_HEAD + b'<row r="0"><c r="A0">'
                                      b"<v>1</v></c></row>" + ROWS[:0] + SHEET_TAIL), []),
         "error", "row 0"),
    Case("ref-zzzzzzzzzzzz1", lambda f: (workbook(f / "zzz.xlsx", SHEET_HEAD + b'<row r="1">'
                                                  b'<c r="ZZZZZZZZZZZZ1"><v>1</v></c></row>'
                                                  + SHEET_TAIL), []),
         "error", "ZZZZZZZZZZZZ1"),
    Case("utf16-sheet-with-doctype", _utf16_doctype, "error", r"utf16\.xlsx"),
    Case("csv-field-64mib", _csv_big_field, "either", r"bigfield\.csv|customer|id",
         notes="one 64 MiB id: a one-line error or a listed row"),
    Case("date-400-digits", lambda f: orders_csv(f / "d400.csv", [["D1", "9" * 400, 10]]),
         "report", "date"),
    # 5. Unicode digits
    Case("arabic-indic-digits", lambda f: orders_csv(
        f / "arabic.csv", [["١٢٣", "1997-03-01", "١٢٣"], ["A2", "٢٠٢٤-٠١-٠٥", 5]]),
         "report", ""),
    Case("full-width-digits", lambda f: orders_csv(
        f / "fullwidth.csv", [["F1", "1997-03-01", "１２３"], ["F2", "１９９７-０３-０１", 5]]),
         "report", ""),
    # 8. text at Excel's limits
    # A CSV: an .xlsx cell cannot hold more than 32,767 characters (writers cut it).
    Case("text-over-32767", lambda f: orders_csv(f / "long.csv",
                                                 [["L" * 40_000, "1997-03-01", 10]]),
         "report", "32,?767", check=_check_long_text),
    # A CSV holds the literal text: an .xlsx written without escaping would, by the OOXML
    # spec, hold "=1+1" (readers unescape _x003D_), which is then shown as inert text.
    Case("text-x003d-escape", lambda f: orders_csv(f / "xesc.csv",
                                                   [["_x003D_1+1", "1997-03-01", 10]]),
         "report", "", check=_check_escape),
    # injection, entity bombs, encryption: these held in issue 12; kept as regressions
    Case("formula-injection", _injection, "report", "", check=_check_injection),
    Case("entity-bomb-sheet", _entity_bomb_sheet, "error", r"laughs\.xlsx"),
    Case("entity-bomb-shared-strings", _entity_bomb_sst, "error", r"laughs-sst\.xlsx"),
    Case("encrypted-ole2", _ole2, "error", "password"),
    # OpenDocument: repeated rows and cells that calamine expands in memory
    Case("ods-repeated-rows-99m-cells", _ods_rows, "error", r"99,001,000 cells"),
    Case("ods-cells-held-while-reading", _ods_wide, "error", r"while reading"),
    Case("xls-dimensions-2-billion-rows", _xls_dimensions, "error",
         r"DIMENSIONS record claims 547,608,326,160 cells"),
    Case("xls-cell-at-column-65536", _xls_far_cell, "error",
         r"span 65,536 rows x 65,536 columns"),
    Case("xlsb-cell-at-column-16777216", _xlsb_far, "error", r"16,777,216 columns"),
    Case("encrypted-zip-parts", _zip_encrypted, "error", "encrypted"),
    # 3. unbounded horizon, 10. cohort span
    Case("horizon-1e9", lambda f: orders_csv(f / "h.csv"), "error", "horizon",
         args=("--horizon", "1e9")),
    Case("horizon-36500-days", lambda f: orders_csv(f / "hd.csv"), "either", "horizon",
         args=("--time-unit", "days", "--horizon", "36500")),
    Case("cohort-span-1900-2099", _cohort_span, "either", "cohort|span|date",
         timeout=30.0, notes="160 s and 700 MB before; stopped here after 30 s"),
]

BY_NAME = {c.name: c for c in CASES}


# ------------------------------------------------------------------------- the driver


@dataclass
class Result:
    name: str
    code: int  # the CLI's exit code; negative: the child died of that signal
    stderr: str = ""
    traceback: str = ""
    seconds: float = 0.0
    peak_mb: float = 0.0
    aborted: bool = False
    timed_out: bool = False
    extra: dict = field(default_factory=dict)


def argv_for(case: Case, path: Path, folder: Path) -> list[str]:
    return ["report", str(path), "-o", str(folder / "report.xlsx"), "--json",
            str(folder / "summary.json"), "-q", *case.args]


class Driver:
    """A child process that runs ``cltv_xl.cli.main`` for one case at a time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        return subprocess.Popen(
            [sys.executable, "-u", __file__, "--drive"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(ROOT),
        )

    def run(self, name: str, argv: list[str], timeout: float) -> Result:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        proc.stdin.write((json.dumps({"name": name, "argv": argv}) + "\n").encode())
        proc.stdin.flush()
        line = self._readline(proc, timeout)
        if line is None:  # timed out
            proc.kill()
            proc.wait()
            self.proc = None
            return Result(name, code=-9, timed_out=True, seconds=timeout)
        if not line:  # the child died: a native abort, or killed for memory
            code = proc.wait()
            err = proc.stderr.read().decode("utf-8", "replace")[-4000:]
            self.proc = None
            return Result(name, code=code, stderr=err, aborted=True)
        data = json.loads(line)
        return Result(**data)

    @staticmethod
    def _readline(proc: subprocess.Popen, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        buf = b""
        fd = proc.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return buf
            buf += chunk
            if buf.endswith(b"\n"):
                return buf

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _drive() -> None:
    """The child: read one JSON request a line, run the CLI in-process, answer one line."""
    from cltv_xl.cli import main

    for line in sys.stdin:
        request = json.loads(line)
        with contextlib.suppress(OSError):  # reset the peak resident size: this case's peak
            Path("/proc/self/clear_refs").write_text("5")
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        tb = ""
        try:
            code = main(request["argv"], stdout=out, stderr=err)
        except BaseException:  # a traceback escaping the CLI is the finding
            code = 1
            tb = traceback.format_exc()
        result = {
            "name": request["name"], "code": code, "stderr": err.getvalue(), "traceback": tb,
            "seconds": time.perf_counter() - start, "peak_mb": _peak_mb(),
        }
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--drive"]:
    _drive()
