"""Hostile and extreme input (issue 12): every file is generated here, small, never checked in.

Each case must end in one line ``cltv-xl: error: ...`` (or a written report) with a documented
exit code, never a traceback: truncated sheet XML, ``<row r="0">``, a cell reference
``ZZZZZZZZZZZZ1``, a UTF-16 sheet with a DOCTYPE, a 400-digit number as a date, a CSV field
larger than the csv module's limit; unbounded horizons on every front door.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cltv_xl import cli


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def one_line_error(err: str) -> str:
    assert err.startswith("cltv-xl: error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------------ generators
def orders_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer ID", "Date", "Amount"])
    for i in range(6):
        ws.append([f"c{i % 3}", dt.datetime(2024, 1 + i, 3), 10.0 + i])
    wb.save(path)
    return path


def with_sheet(src: Path, dest: Path, change) -> Path:
    """A copy of ``src`` whose first worksheet's XML is ``change(xml bytes)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            zout.writestr(info, data)
    return dest


def _utf16_doctype(xml: bytes) -> bytes:
    text = re.sub(r"^<\?xml[^>]*\?>", "", xml.decode())
    text = ('<?xml version="1.0" encoding="UTF-16"?>'
            '<!DOCTYPE worksheet [<!ENTITY a "x">]>' + text)
    return text.encode("utf-16")


SHEET_CHANGES = {
    "truncated sheet XML": lambda d: d[: len(d) // 2],
    "row 0": lambda d: d.replace(b'<row r="1"', b'<row r="0"'),
    "cell ZZZZZZZZZZZZ1": lambda d: d.replace(b'r="A1"', b'r="ZZZZZZZZZZZZ1"'),
    "UTF-16 sheet with a DOCTYPE": _utf16_doctype,
}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return orders_xlsx(tmp_path_factory.mktemp("hostile") / "base.xlsx")


@pytest.mark.parametrize("case", sorted(SHEET_CHANGES))
def test_hostile_workbooks_give_one_line_errors(base, tmp_path, case):
    bad = with_sheet(base, tmp_path / "bad.xlsx", SHEET_CHANGES[case])
    code, _out, err = run("report", str(bad), "-o", str(tmp_path / "r.xlsx"))
    one_line_error(err)
    assert code == cli.EXIT_INPUT
    assert not (tmp_path / "r.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]  # no temp file


def test_a_400_digit_number_as_a_date(tmp_path):
    src = tmp_path / "orders.csv"
    src.write_text("customer,date,amount\na," + "9" * 400 + ",10\nb,2024-01-02,5\n"
                   "b,2024-03-02,5\n")
    code, _out, err = run("report", str(src), "-o", str(tmp_path / "r.xlsx"))
    if code in (cli.EXIT_OK, cli.EXIT_GAPS):  # the row is rejected with its reason
        return
    assert code == cli.EXIT_INPUT
    assert "orders.csv" in one_line_error(err)


def test_a_csv_field_beyond_the_csv_module_limit(tmp_path):
    src = tmp_path / "orders.csv"
    field = "b" * (1 << 20)  # 1 MiB: 8 times the csv module's default field limit
    src.write_text(f"customer,date,amount\na,2024-01-01,10\n{field},2024-01-02,5\n"
                   "a,2024-05-02,5\n")
    code, _out, err = run("report", str(src), "-o", str(tmp_path / "r.xlsx"))
    if code != cli.EXIT_OK:
        one_line_error(err) if code != cli.EXIT_GAPS else None
        assert code in (cli.EXIT_INPUT, cli.EXIT_GAPS), err
    assert "Traceback" not in err


# ------------------------------------------------------------------------ last resort
@pytest.mark.parametrize(
    ("exc", "code", "text"),
    [
        (MemoryError("Unable to allocate 56.0 GiB"), cli.EXIT_INPUT, "out of memory"),
        (OSError(28, "No space left on device"), cli.EXIT_INPUT, "No space left"),
        (OverflowError("int too large to convert to float"), cli.EXIT_INTERNAL,
         "internal error"),
        (RuntimeError("boom\nsecond line"), cli.EXIT_INTERNAL, "RuntimeError: boom second"),
        (KeyError("x"), cli.EXIT_INTERNAL, "KeyError"),
        (RecursionError(), cli.EXIT_INTERNAL, "RecursionError"),
    ],
)
def test_every_exception_is_one_line_with_its_exit_code(base, tmp_path, monkeypatch, exc,
                                                         code, text):
    def boom(*a, **k):
        raise exc

    monkeypatch.setattr("cltv_xl.pipeline.run", boom)
    got, _out, err = run("report", str(base), "-o", str(tmp_path / "r.xlsx"))
    assert got == code
    assert text in one_line_error(err)


def test_an_exception_while_reading_names_the_file(base, tmp_path, monkeypatch):
    import zipfile as zf

    def boom(*a, **k):
        raise zf.BadZipFile("Bad CRC-32 for file 'xl/worksheets/sheet1.xml'")

    monkeypatch.setattr("cltv_xl.loading.api.read_workbook", boom)
    code, _out, err = run("report", str(base), "-o", str(tmp_path / "r.xlsx"))
    assert code == cli.EXIT_INPUT
    assert "base.xlsx: cannot read the file (BadZipFile: Bad CRC-32" in one_line_error(err)


def test_debug_keeps_the_traceback(base, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise MemoryError("Unable to allocate")

    monkeypatch.setattr("cltv_xl.pipeline.run", boom)
    with pytest.raises(MemoryError):
        cli.main(["report", str(base), "-o", str(tmp_path / "r.xlsx"), "--debug"])


# ------------------------------------------------------------------------ horizons
@pytest.mark.parametrize(
    "options",
    [["--horizon", "1e9"], ["--time-unit", "days", "--horizon", "36500"],
     ["--horizon", "inf"], ["--time-unit", "months", "--horizon", "1e9"]],
)
def test_an_unbounded_horizon_is_a_clear_error(base, tmp_path, options):
    code, _out, err = run("report", str(base), "-o", str(tmp_path / "r.xlsx"), *options)
    assert code == cli.EXIT_INPUT
    assert "horizon" in one_line_error(err) and "--horizon" in err


def test_clv_predict_with_a_huge_horizon_is_a_readable_excel_error():
    from cltv_xl.excel import udfs

    ids = [["a"], ["a"], ["b"], ["b"], ["c"]]
    dates = [[45000], [45030], [45010], [45100], [45050]]
    amounts = [[10], [12], [5], [7], [9]]
    with pytest.raises(Exception, match="horizon must be at most") as info:
        udfs.clv_predict(ids, dates, amounts, [[1e9]])
    assert "MemoryError" not in str(info.value)


def test_a_refresh_horizon_cell_of_1e9_is_refused():
    from cltv_xl.assumptions import Assumptions
    from cltv_xl.errors import InputError

    cells = Assumptions().cells()
    cells["ASSUME_HORIZON"] = 1e9
    with pytest.raises(InputError, match=r"horizon must be at most .*Assumptions cell "
                                         "ASSUME_HORIZON"):
        Assumptions.from_cells(cells)
