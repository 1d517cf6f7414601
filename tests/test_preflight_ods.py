"""The pre-flight count of OpenDocument spreadsheets (``cltv_xl.loading.preflight_ods``).

calamine expands an .ods sheet's repeated rows and cells in memory; a 1 KB file can ask for
gigabytes and abort the process. The count is checked against calamine itself (fastexcel reads
the same small files) and against files LibreOffice writes.
"""

from __future__ import annotations

import zipfile

import pytest
from hostile import ods_row as _row
from hostile import write_ods
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lo import convert

from cltv_xl.errors import InputError
from cltv_xl.loading import read_transactions
from cltv_xl.loading.preflight import Limits, check_workbook
from cltv_xl.loading.preflight_ods import OdsScan

ROWS = st.lists(
    st.tuples(st.integers(1, 4), st.lists(st.tuples(st.integers(1, 4), st.one_of(
        st.none(), st.integers(1, 9).map(float))), max_size=4)),
    max_size=7)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_the_count_is_the_rectangle_calamine_allocates(tmp_path_factory, rows):
    """On small random sheets (rows and cells repeated, empty or not) the rectangle counted
    is the one fastexcel (calamine) returns."""
    import fastexcel

    path = write_ods(tmp_path_factory.mktemp("ods") / "r.ods", [_row(r, c) for r, c in rows])
    scan = OdsScan(10**9, "r.ods")
    scan.feed(zipfile.ZipFile(path).read("content.xml"))
    scan.close()
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None)
    assert scan.rectangles["S"] == (sheet.height, sheet.width)
    assert check_workbook(path).sheets["content.xml#S"] == scan.sheets["S"]


def test_repeated_rows_of_values_are_refused_before_the_reader(tmp_path, no_native_reader):
    """The 1 KB file that made calamine allocate 3 GB and abort under a 3 GB limit."""
    path = write_ods(tmp_path / "rows.ods", [
        _row(1, [(1, 1.0)]), _row(99_000, [(1_000, 1.0)])])
    assert path.stat().st_size < 2_000
    with pytest.raises(InputError, match=r"^rows.ods: part 'content.xml': sheet 'S' spans "
                                         r"99,001 rows x 1,000 columns = 99,001,000 cells"):
        read_transactions(path)


def test_empty_rows_between_values_count_but_trailing_ones_do_not(tmp_path):
    """calamine expands empty rows only between rows holding values; LibreOffice ends every
    sheet with a run of up to a million empty rows, which must pass."""
    trailing = write_ods(tmp_path / "t.ods", [
        _row(1, [(1, 1.0), (2, 2.0)]), _row(1_048_570, [(1_024, None)])])
    assert check_workbook(trailing).sheets["content.xml#S"] == (1, 3)
    between = write_ods(tmp_path / "b.ods", [
        _row(1, [(40, 1.0)]), _row(1_000_000, [(1_024, None)]), _row(1, [(1, 1.0)])])
    with pytest.raises(InputError, match=r"spans 1,000,002 rows x 40 columns"):
        check_workbook(between)


def test_cells_pushed_while_reading_are_bounded_too(tmp_path):
    """Values far to the right make a narrow rectangle, but calamine holds every cell before
    them while it reads: 3,000 rows x 16,001 cells."""
    path = write_ods(tmp_path / "wide.ods", [_row(1, [(16_000, None), (1, 1.0)])] * 3_000)
    scan = OdsScan(10**9, "wide.ods")
    scan.feed(zipfile.ZipFile(path).read("content.xml"))
    scan.close()
    assert scan.rectangles["S"] == (3_000, 1)
    with pytest.raises(InputError, match=r"sheet 'S' makes the reader hold more than "
                                         r"33,554,432 cells while reading"):
        check_workbook(path)
    assert check_workbook(path, Limits(max_cells=10**8)).sheets["content.xml#S"] == (3_000, 16_001)


def test_columns_and_rows_are_capped_like_calamine(tmp_path):
    """Repeats beyond Excel's grid are cut at 16,384 columns and 1,048,576 rows, as calamine
    cuts them (so a huge count is no larger than the grid)."""
    path = write_ods(tmp_path / "cap.ods", [_row(3, [(10**12, None), (5, 1.0)])])
    scan = OdsScan(10**9, "cap.ods")
    scan.feed(zipfile.ZipFile(path).read("content.xml"))
    scan.close()
    assert scan.sheets["S"] == (0, 0) and scan.rectangles["S"] == (0, 0)  # no room left
    path = write_ods(tmp_path / "cap2.ods", [_row(10**12, [(3, 1.0)])])
    scan = OdsScan(10**9, "cap2.ods")
    scan.feed(zipfile.ZipFile(path).read("content.xml"))
    scan.close()
    assert scan.rectangles["S"] == (1_048_576, 3)


def test_an_ods_named_xlsx_is_counted_as_ods(tmp_path, no_native_reader):
    path = write_ods(tmp_path / "disguised.xlsx", [_row(50_000, [(1_000, 1.0)])])
    with pytest.raises(InputError, match=r"spans 50,000 rows x 1,000 columns"):
        read_transactions(path)


def test_a_doctype_in_content_xml_is_refused(tmp_path):
    path = write_ods(tmp_path / "dtd.ods", [_row(1, [(1, 1.0)])],
                     head='<!DOCTYPE x [<!ENTITY a "aaaa">]>')
    with pytest.raises(InputError, match=r"DOCTYPE"):
        check_workbook(path)


def test_a_libreoffice_ods_passes_and_reads_like_its_source(tmp_path):
    """LibreOffice writes the demo orders as .ods; the checks pass and measure its sheet."""
    from cltv_xl.report.demo import write_demo_orders

    src = write_demo_orders(tmp_path / "orders.xlsx")
    ods = convert(src, "ods", tmp_path / "lo")
    import openpyxl

    found = check_workbook(ods).sheets
    [(rows, cols)] = [v for k, v in found.items() if k.startswith("content.xml#")]

    ws = openpyxl.load_workbook(src).worksheets[0]
    assert (rows, cols) == (ws.max_row, ws.max_column)
    assert read_transactions(ods).counts == read_transactions(src).counts
