"""The desktop add-in cltv_xl.xlam, built from xlwings' ribbon add-in template."""

from __future__ import annotations

import importlib
import inspect
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from cltv_xl import addin, refresh

NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}


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
