"""cltv_xl.safety (text cells, atomic writes, output checks) and the CLI progress bar."""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl import Workbook

from cltv_xl.cli import STEPS, Progress
from cltv_xl.errors import InputError
from cltv_xl.safety import atomic_write, check_output, clean_text, lock_file, set_text

PAYLOADS = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
            "@SUM(1+1)", "#N/A", "\tx", "\rx", "plain"]


def test_set_text_keeps_payloads_as_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    for i, payload in enumerate(PAYLOADS, start=1):
        set_text(ws.cell(row=i, column=1), payload)
    path = tmp_path / "t.xlsx"
    wb.save(path)
    back = openpyxl.load_workbook(path).active
    for i, payload in enumerate(PAYLOADS, start=1):
        cell = back.cell(row=i, column=1)
        # XML parsers turn a raw CR into LF; the openpyxl path only writes short labels.
        assert cell.value == payload.replace("\r", "\n") and cell.data_type == "s"
        assert cell.quotePrefix == (payload != "plain")


def test_clean_text_drops_only_xml_illegal_characters():
    assert clean_text("a\x00b\x1fc\td\ne\rf\ufffe") == "abc\td\ne\rf"
    assert clean_text(12) == "12"


def test_atomic_write_replaces_or_leaves_untouched(tmp_path):
    dest = tmp_path / "out.xlsx"
    dest.write_text("old")
    atomic_write(dest, lambda tmp: tmp.write_text("new"))
    assert dest.read_text() == "new"

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(dest, fail)
    assert dest.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_atomic_write_gives_a_normal_file_mode(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        new = atomic_write(tmp_path / "new.xlsx", lambda tmp: tmp.write_text("x"))
        assert new.stat().st_mode & 0o777 == 0o644
        new.chmod(0o640)
        atomic_write(new, lambda tmp: tmp.write_text("y"))
        assert new.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(mask)


def test_check_output(tmp_path):
    src = tmp_path / "orders.xlsx"
    src.write_text("x")
    with pytest.raises(InputError, match="over its input"):
        check_output(tmp_path / "." / "orders.xlsx", src)
    with pytest.raises(InputError, match=r"\.xlsx"):
        check_output(tmp_path / "report.csv", src)
    with pytest.raises(InputError, match="does not exist"):
        check_output(tmp_path / "nope" / "r.xlsx", src)
    out = tmp_path / "r.xlsx"
    lock_file(out).write_text("")
    with pytest.raises(InputError, match="open in Excel"):
        check_output(out, src)
    assert check_output(tmp_path / "other.xlsx", src) == (tmp_path / "other.xlsx").resolve()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    tty = _Tty()
    bar = Progress(tty, enabled=True)
    for step in STEPS:
        bar(step)
    bar.close()
    text = tty.getvalue()
    assert "fitting the purchase" in text and "\r[" in text and "#" in text
    piped = io.StringIO()
    quiet = Progress(piped, enabled=True)
    quiet(STEPS[0])
    assert piped.getvalue() == ""
