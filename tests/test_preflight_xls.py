"""The pre-flight count of legacy .xls workbooks (``cltv_xl.loading.preflight_xls``).

calamine reserves memory from an .xls sheet's DIMENSIONS record and allocates one grid from
the first to the last row and column its cells name; an edited record or cell aborted the
process (21.9 TB and 137 GB asked for). The files here are LibreOffice-written .xls files with
one record edited in place (``hostile.edit_xls``); the bounds are checked against fastexcel's.
"""

from __future__ import annotations

import struct

import openpyxl
import pytest
from hostile import edit_xls, lo_xls

from cltv_xl.errors import InputError
from cltv_xl.loading import read_transactions
from cltv_xl.loading.preflight import Limits, check_workbook


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return lo_xls(tmp_path_factory.mktemp("xls"))


def _first(records, *types):
    return next(at for typ, at, _n in records if typ in types)


def test_a_libreoffice_xls_passes_with_its_used_range(source):
    [(rows, cols)] = check_workbook(source).sheets.values()
    ws = openpyxl.load_workbook(source.parent.parent / "orders.xlsx").worksheets[0]
    assert (rows, cols) == (ws.max_row, ws.max_column)


@pytest.mark.parametrize(("row", "col"), [(9_000, 20), (40, 200), (65_535, 3)])
def test_the_measured_range_is_the_one_fastexcel_returns(source, tmp_path, row, col):
    import fastexcel

    def edit(data, records):
        struct.pack_into("<HH", data, _first(records, 0x0203, 0x027E), row, col)

    path = edit_xls(source, tmp_path / "moved.xls", edit)
    [(rows, cols)] = check_workbook(path).sheets.values()
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None)
    assert (rows, cols) == (sheet.height, sheet.width) == (max(row + 1, 6927), max(col + 1, 4))


@pytest.mark.parametrize(
    ("values", "fragment"),
    [((0, 0x7FFFFFF0, 0, 255), "claims 547,608,326,160 cells"),
     ((10, 5, 0, 4), "claims 17,179,869,164 cells"),  # the end before the start wraps round
     ((0, 40_000, 0, 1_000), "claims 40,000,000 cells")],
)
def test_a_dimensions_record_claiming_too_much_is_refused(source, tmp_path, no_native_reader,
                                                          values, fragment):
    def edit(data, records):
        at = next(at for typ, at, n in records if typ == 0x0200 and n == 14)
        struct.pack_into("<IIHH", data, at, *values)

    path = edit_xls(source, tmp_path / "dims.xls", edit)
    with pytest.raises(InputError, match=r"^dims.xls: stream 'Workbook': a sheet's DIMENSIONS "
                                         r"record " + fragment):
        read_transactions(path)


def test_a_cell_far_away_is_refused_and_the_limits_apply(source, tmp_path, no_native_reader):
    def edit(data, records):
        struct.pack_into("<HH", data, _first(records, 0x0203, 0x027E), 0xFFFF, 0xFFFF)

    path = edit_xls(source, tmp_path / "far.xls", edit)
    with pytest.raises(InputError, match=r"span 65,536 rows x 65,536 columns = 4,294,967,296 "
                                         r"cells \(rows 1-65,536, columns 1-65,536\)"):
        read_transactions(path)
    with pytest.raises(InputError, match=r"a sheet's used range reaches column 65,536, beyond the "
                                         r"limit of 16,384 columns"):
        check_workbook(path, Limits(max_cells=1 << 33))


def test_an_encrypted_xls_is_left_to_the_reader(source, tmp_path):
    """FILEPASS: the records after it are ciphertext, so the scan stops and the reader refuses
    the workbook with its own (catchable) error, shown as one line."""
    def encrypt(data, _sheet_records):
        from cltv_xl.loading.preflight_xls import _records

        at = next(at for typ, at, n in _records(bytes(data), 0) if typ == 0x0042 and n == 2)
        struct.pack_into("<H", data, at - 4, 0x002F)  # CODEPAGE becomes FILEPASS (non-zero)

    path = edit_xls(source, tmp_path / "locked.xls", encrypt)
    assert check_workbook(path).sheets == {}
    with pytest.raises(InputError) as exc:
        read_transactions(path)
    assert "\n" not in str(exc.value) and "locked.xls" in str(exc.value)
