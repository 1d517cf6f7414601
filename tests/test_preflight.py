"""Pre-flight checks on hostile workbooks, generated here; no native reader is ever called.

The hostile files reproduce issue 12's findings: one cell at XFD1048576 (the Rust reader then
allocates 1,048,576 x 16,384 x 32 bytes and aborts the process), a declared ``<dimension>`` of
the whole sheet, and zip bombs of about 2 MB holding 2 GiB of whitespace. The bombs are written
by repeating one compressed block of whitespace (a deflate stream can be restarted at a full
flush), so making them costs a fraction of a second. Their CRC is left at 0: the checks refuse
them long before a reader would verify it.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from cltv_xl.errors import InputError
from cltv_xl.loading.preflight import Limits, check_workbook

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


def workbook(path: Path, sheet_xml: bytes) -> Path:
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", RELS),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ]
    return build_zip(path, [(n, *deflate(x)[1:]) for n, x in parts])


def whitespace_bomb(path: Path, gib: int = 2, declared: int | None = None) -> Path:
    """A workbook whose sheet holds ``gib`` GiB of spaces before its data, ~1 KB per MiB."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(SHEET_HEAD) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b" " * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(b" " * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    assert again == block  # after a full flush the compressor restarts: blocks repeat exactly
    n_blocks = gib * 1024
    tail = c.compress(ROWS + SHEET_TAIL) + c.flush()
    data = head + block * n_blocks + tail
    size = len(SHEET_HEAD) + n_blocks * (1 << 20) + len(ROWS) + len(SHEET_TAIL)
    parts = [
        ("[Content_Types].xml", *deflate(CONTENT_TYPES)[1:]),
        ("xl/workbook.xml", *deflate(WORKBOOK)[1:]),
        ("xl/_rels/workbook.xml.rels", *deflate(RELS)[1:]),
        ("xl/worksheets/sheet1.xml", data, size if declared is None else declared, 0),
    ]
    return build_zip(path, parts)


def openpyxl_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["customer", "date", "amount"])
    for i in range(1, 51):
        ws.append([f"C{i}", f"2024-01-{i % 28 + 1:02d}", i * 1.5])
    wb.save(path)
    return path


def rewrite_sheet(src: Path, dst: Path, edit) -> Path:
    """Copy a workbook, passing its first sheet's XML through ``edit``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(item, data)
    return dst


# --------------------------------------------------------------------------------------------


def test_a_normal_workbook_passes_and_its_used_range_is_measured(tmp_path):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    result = check_workbook(path)
    assert result.sheets == {"xl/worksheets/sheet1.xml": (51, 3)}
    with zipfile.ZipFile(path) as zf:
        assert result.total_bytes == sum(i.file_size for i in zf.infolist())
        assert result.parts == len(zf.infolist())


def test_one_cell_at_xfd1048576_is_refused(tmp_path):
    src = openpyxl_workbook(tmp_path / "orders.xlsx")
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    path = rewrite_sheet(src, tmp_path / "far.xlsx", lambda x: x.replace(b"</sheetData>", far))
    assert path.stat().st_size < 40_000
    with pytest.raises(InputError) as info:
        check_workbook(path)
    message = str(info.value)
    assert "\n" not in message
    assert "far.xlsx" in message and "17,179,869,184 cells" in message


def test_a_declared_dimension_of_the_whole_sheet_is_refused(tmp_path):
    src = openpyxl_workbook(tmp_path / "orders.xlsx")
    path = rewrite_sheet(
        src, tmp_path / "dim.xlsx",
        lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x),
    )
    with pytest.raises(InputError, match=r"declared <dimension ref='A1:XFD1048576'>"):
        check_workbook(path)


def test_limits_are_configurable(tmp_path):
    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    with pytest.raises(InputError, match="row 51, beyond the limit of 50 rows"):
        check_workbook(path, Limits(max_rows=50))
    with pytest.raises(InputError, match="column 3, beyond the limit of 2 columns"):
        check_workbook(path, Limits(max_columns=2))
    with pytest.raises(InputError, match="more than the limit of 100"):
        check_workbook(path, Limits(max_cells=100))
    with pytest.raises(InputError, match="parts"):
        check_workbook(path, Limits(max_parts=3))


def test_zip_bomb_with_an_honest_header_is_refused_from_its_declared_size(tmp_path):
    path = whitespace_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2_500_000  # about 2 MB holding 2 GiB
    with pytest.raises(InputError, match=r"declares 2,147,483,\d+ bytes uncompressed"):
        check_workbook(path)


def test_zip_bomb_under_a_raised_part_limit_is_stopped_by_the_text_run_check(tmp_path):
    path = whitespace_bomb(tmp_path / "bomb.xlsx")
    limits = Limits(max_part_bytes=4 << 30, max_total_bytes=8 << 30)
    with pytest.raises(InputError, match="run of more than 33,554,432 bytes of text or white"):
        check_workbook(path, limits)


def test_zip_bomb_with_a_lying_header_is_refused_while_it_inflates(tmp_path):
    path = whitespace_bomb(tmp_path / "liar.xlsx", declared=10_000)
    with pytest.raises(InputError, match="inflates to more than 10,000 bytes"):
        check_workbook(path)


def test_a_small_honest_whitespace_run_is_fine(tmp_path):
    sheet = SHEET_HEAD + b" " * 100_000 + ROWS + SHEET_TAIL
    assert check_workbook(workbook(tmp_path / "ok.xlsx", sheet)).sheets == {
        "xl/worksheets/sheet1.xml": (2, 2)
    }


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        (b'<row r="0"><c r="A0"><v>1</v></c></row>', "row 0"),
        (b'<row r="1"><c r="ZZZZZZZZZZZZ1"><v>1</v></c></row>', "'ZZZZZZZZZZZZ1'"),
        (b'<row r="1"><c r="A99999999999"><v>1</v></c></row>', "'A99999999999'"),
        (b'<row r="1"><c r="A1x"><v>1</v></c></row>', "not valid"),
        (b'<row r="12345678901"><c r="A1"><v>1</v></c></row>', "row 12,345,678,901, beyond"),
    ],
)
def test_bad_references_are_one_line_errors(tmp_path, rows, fragment):
    path = workbook(tmp_path / "bad.xlsx", SHEET_HEAD + rows + SHEET_TAIL)
    with pytest.raises(InputError, match=re.escape(fragment)):
        check_workbook(path)


def test_cells_without_references_are_placed_one_after_another(tmp_path):
    # 20,000 cells in one row without r attributes: a reader puts them in columns 1..20,000.
    wide = b"<row>" + b"<c><v>1</v></c>" * 20_000 + b"</row>"
    with pytest.raises(InputError, match="column 16,385"):
        check_workbook(workbook(tmp_path / "wide.xlsx", SHEET_HEAD + wide + SHEET_TAIL))
    # Rows without r follow the previous row; a namespace prefix is read the same way.
    rows = b"<row><c><v>1</v></c><c><v>2</v></c></row>" * 3 + b'<row r="9"><c r="D9"/></row>'
    assert check_workbook(workbook(tmp_path / "pos.xlsx", SHEET_HEAD + rows + SHEET_TAIL)).sheets[
        "xl/worksheets/sheet1.xml"
    ] == (9, 4)
    prefixed = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="3"><x:c r="E3"><x:v>1</x:v></x:c></x:row></x:sheetData>'
        b"</x:worksheet>"
    )
    result = check_workbook(workbook(tmp_path / "prefixed.xlsx", prefixed))
    assert result.sheets["xl/worksheets/sheet1.xml"] == (3, 5)


def test_not_a_zip_encrypted_parts_and_truncation(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a zip" * 10)
    with pytest.raises(InputError, match=r"junk\.xlsx"):
        check_workbook(junk)
    good = openpyxl_workbook(tmp_path / "orders.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.xlsx"):
        check_workbook(cut)
    enc = bytearray(workbook(tmp_path / "enc.xlsx", SHEET_HEAD + ROWS + SHEET_TAIL).read_bytes())
    at = enc.find(b"PK\x01\x02")
    enc[at + 8] |= 1  # set the "encrypted" flag of the first part in the central directory
    (tmp_path / "enc.xlsx").write_bytes(bytes(enc))
    with pytest.raises(InputError, match="encrypted"):
        check_workbook(tmp_path / "enc.xlsx")


def test_one_huge_shared_string_is_refused_by_the_text_run_check(tmp_path):
    # 48 MiB in one shared string (issue 12 had 1.5 GiB; the limit is 32 MiB of text).
    start, end = b'<?xml version="1.0"?><sst count="1" uniqueCount="1"><si><t>', b"</t></si></sst>"
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(start) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b"A" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.compress(end) + c.flush()
    size = len(start) + 48 * (1 << 20) + len(end)
    parts = [
        ("xl/workbook.xml", *deflate(WORKBOOK)[1:]),
        ("xl/sharedStrings.xml", head + block * 48 + tail, size, 0),
        ("xl/worksheets/sheet1.xml", *deflate(SHEET_HEAD + ROWS + SHEET_TAIL)[1:]),
    ]
    path = build_zip(tmp_path / "sst.xlsx", parts)
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"sharedStrings\.xml.*run of more than 33,554,432"):
        check_workbook(path)


# ------------------------------------------------------------------ wired into read_transactions


@pytest.fixture
def no_native_reader(monkeypatch):
    """fastexcel.read_excel replaced by a trap: a hostile file that reached it would fail the
    test here instead of aborting the test process."""
    import fastexcel

    calls = []

    def trap(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the native reader was reached")

    monkeypatch.setattr(fastexcel, "read_excel", trap)
    return calls


def _far(tmp_path: Path) -> Path:
    src = openpyxl_workbook(tmp_path / "orders.xlsx")
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    return rewrite_sheet(src, tmp_path / "far.xlsx", lambda x: x.replace(b"</sheetData>", far))


@pytest.mark.parametrize("kind", ["far", "bomb", "liar"])
def test_read_transactions_runs_the_checks_before_the_native_reader(tmp_path, no_native_reader,
                                                                    kind):
    from cltv_xl.loading import read_transactions

    path = {
        "far": lambda: _far(tmp_path),
        "bomb": lambda: whitespace_bomb(tmp_path / "bomb.xlsx"),
        "liar": lambda: whitespace_bomb(tmp_path / "liar.xlsx", declared=10_000),
    }[kind]()
    with pytest.raises(InputError) as info:
        read_transactions(path)
    assert path.name in str(info.value) and "\n" not in str(info.value)
    assert no_native_reader == []


def test_limits_in_effect_apply_to_read_transactions(tmp_path):
    from cltv_xl.loading import preflight, read_transactions

    path = openpyxl_workbook(tmp_path / "orders.xlsx")
    assert read_transactions(path).counts["read"] == 50  # the defaults let it through
    with preflight.use_limits(Limits(max_rows=50)):
        assert preflight.limits_in_effect().max_rows == 50
        with pytest.raises(InputError, match="beyond the limit of 50 rows"):
            read_transactions(path)
    assert preflight.limits_in_effect() == Limits()
    try:
        preflight.set_limits(Limits(max_cells=100))
        with pytest.raises(InputError, match="more than the limit of 100"):
            read_transactions(path)
    finally:
        preflight.set_limits(None)
    assert preflight.limits_in_effect() == Limits()
    with pytest.raises(TypeError):
        preflight.use_limits({"max_rows": 5}).__enter__()
