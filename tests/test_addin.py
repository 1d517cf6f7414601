"""The desktop add-in cltv_xl.xlam, built from xlwings' ribbon add-in template."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from cltv_xl import addin, refresh

NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return addin.build_addin(tmp_path_factory.mktemp("addin") / "out")


def test_build_writes_a_valid_zip_named_after_the_module(built):
    assert built.name == "cltv_xl.xlam"
    with zipfile.ZipFile(built) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
    with zipfile.ZipFile(addin.template_path()) as template:
        assert names == template.namelist()


def test_only_the_ribbon_xml_differs_from_the_template(built):
    with zipfile.ZipFile(built) as zf, zipfile.ZipFile(addin.template_path()) as template:
        for name in template.namelist():
            same = zf.read(name) == template.read(name)
            assert same == (name != addin.CUSTOM_UI), name


def test_ribbon_has_a_cltv_tab_with_refresh_report(built):
    with zipfile.ZipFile(built) as zf:
        root = ElementTree.fromstring(zf.read(addin.CUSTOM_UI))  # well-formed XML
    tabs = root.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["CLTV"]
    buttons = root.findall(".//ui:button", NS)
    assert "Refresh report" in [b.get("label") for b in buttons]
    assert all(b.get("onAction") for b in buttons)


def test_every_onaction_names_a_macro_of_the_vba_project(built):
    with zipfile.ZipFile(built) as zf:
        root = ElementTree.fromstring(zf.read(addin.CUSTOM_UI))
    procedures = addin.vba_procedures(built)
    assert "xlwings.RunPython" in procedures  # the reader finds the xlwings VBA module
    for button in root.findall(".//ui:button", NS):
        assert button.get("onAction") in procedures, button.get("onAction")


def test_the_vba_callback_runs_main_of_the_module_named_after_the_addin(built):
    source = addin.vba_sources(built)["RibbonMyAddin"]
    assert "Sub RunMain(control As IRibbonControl)" in source
    # mymodule = the workbook name without extension, then RunPython "import m; m.main()"
    assert "Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name" in source
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in source
    module_name = built.stem
    assert (module_name, "main") == (addin.ENTRY_MODULE, addin.ENTRY_FUNCTION)
    entry = getattr(importlib.import_module(module_name), addin.ENTRY_FUNCTION)
    assert entry is refresh.main
    assert list(inspect.signature(entry).parameters) == ["book"]  # callable with no argument


def test_build_is_repeatable(built, tmp_path):
    again = addin.build_addin(tmp_path)
    with zipfile.ZipFile(built) as a, zipfile.ZipFile(again) as b:
        assert [a.read(n) for n in a.namelist()] == [b.read(n) for n in b.namelist()]


def test_install_without_excel_explains_what_to_do():
    message = addin.install_addin(platform="linux", env={})
    assert "No desktop Excel" in message and "cltv-xl addin build" in message


def test_install_on_windows_copies_into_xlstart(tmp_path):
    excel = tmp_path / "Microsoft" / "Excel"
    excel.mkdir(parents=True)
    message = addin.install_addin(platform="win32", env={"APPDATA": str(tmp_path)})
    target = excel / "XLSTART" / "cltv_xl.xlam"
    assert target.is_file() and str(target) in message
    with zipfile.ZipFile(target) as zf:
        assert zf.read(addin.CUSTOM_UI).decode() == addin.custom_ui_xml()
    # Before: no settings, so the add-in ran whatever "python" was on the PATH.
    assert settings_the_vba_reads(target) == {"INTERPRETER_WIN": sys.executable}
    assert f"Interpreter_Win = {sys.executable}" in message


def settings_the_vba_reads(xlam: Path) -> dict[str, str]:
    """The settings the add-in's VBA finds in its own workbook, read as its GetConfig does.

    ``GetConfigFromSheet`` reads sheet ``PROJECT_NAME & ".conf"``, keys from A1 down to the last
    filled cell of column A (upper-cased), values from column B. Only non-empty values count
    here (an empty one makes the VBA fall back to its default).
    """
    source = addin.vba_sources(xlam)["xlwings"]
    project = re.search(r'PROJECT_NAME As String = "(\w+)"', source).group(1)
    assert "Set sht = wb.Sheets(PROJECT_NAME & \".conf\")" in source
    assert 'SheetExists(ThisWorkbook, PROJECT_NAME & ".conf")' in source
    assert 'GetConfig("INTERPRETER_WIN", "")' in source
    assert 'GetConfig("INTERPRETER_MAC", "")' in source
    with zipfile.ZipFile(xlam) as zf:
        assert zf.testzip() is None
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        names = [e.get("name") for e in workbook.iter(f"{{{SHEET_NS}}}sheet")]
        if f"{project}.conf" not in names:
            return {}
        assert names == [f"{project}.conf"]  # the only sheet: xl/worksheets/sheet1.xml
        strings = [
            "".join(t.text or "" for t in si.iter(f"{{{SHEET_NS}}}t"))
            for si in ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
        ]
        sheet = ElementTree.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for cell in sheet.iter(f"{{{SHEET_NS}}}c"):
        kind, v = cell.get("t"), cell.find(f"{{{SHEET_NS}}}v")
        if kind == "s":
            cells[cell.get("r")] = strings[int(v.text)]
        elif kind == "inlineStr":
            cells[cell.get("r")] = "".join(t.text or "" for t in cell.iter(f"{{{SHEET_NS}}}t"))
        elif v is not None:
            cells[cell.get("r")] = v.text
    out, row = {}, 1
    while cells.get(f"A{row}"):
        value = cells.get(f"B{row}")
        if value not in (None, "", "0"):
            out[cells[f"A{row}"].upper()] = value
        row += 1
    return out


def test_build_writes_the_settings_sheet_the_vba_reads(tmp_path):
    built = addin.build_addin(tmp_path, {"Interpreter_Mac": "/opt/py/bin/python3",
                                         "PYTHONPATH": "C:\\a & <b>"})
    assert settings_the_vba_reads(built) == {
        "INTERPRETER_MAC": "/opt/py/bin/python3", "PYTHONPATH": "C:\\a & <b>",
    }
    with zipfile.ZipFile(built) as zf:
        assert b'name="myaddin.conf"' in zf.read(addin.WORKBOOK_XML)
    with pytest.raises(ValueError, match="no setting 'Nope'"):
        addin.build_addin(tmp_path, {"Nope": "x"})


def test_without_settings_the_sheet_stays_inactive(built):
    assert settings_the_vba_reads(built) == {}
    assert addin.addin_settings("linux", "/usr/bin/python3") == {}
    mac = addin.addin_settings("darwin", "/usr/bin/python3")
    assert mac == {"Interpreter_Mac": "/usr/bin/python3"}


def test_install_on_macos_uses_the_startup_folder(tmp_path):
    content = tmp_path / "Library/Group Containers/UBF8T346G9.Office/User Content.localized"
    content.mkdir(parents=True)
    message = addin.install_addin(platform="darwin", env={"HOME": str(tmp_path)})
    target = content / "Startup.localized" / "Excel" / "cltv_xl.xlam"
    assert target.is_file() and "Installed" in message


def test_install_when_excel_folder_is_missing(tmp_path):
    message = addin.install_addin(platform="win32", env={"APPDATA": str(tmp_path)})
    assert "does not exist" in message
    assert not (tmp_path / "Microsoft").exists()
