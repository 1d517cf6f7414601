"""xlwings Lite files and the Office.js manifest."""

from __future__ import annotations

import types
from pathlib import Path
from xml.etree import ElementTree

import xlwings.server

import cltv_xl
from cltv_xl import refresh, udfs
from cltv_xl.lite import lite_files

MANIFEST = Path(__file__).resolve().parents[1] / "templates" / "manifest.xml"


def _run_main_py() -> types.ModuleType:
    """Execute the generated main.py as xlwings Lite does (a module built from the text)."""
    source = lite_files()["main.py"]
    module = types.ModuleType("main")
    exec(compile(source, "main.py", "exec"), module.__dict__)
    return module


def test_lite_files_are_main_py_and_requirements_txt():
    assert set(lite_files()) == {"main.py", "requirements.txt"}


def test_main_py_registers_every_function_and_the_script():
    module = _run_main_py()
    meta = xlwings.server.custom_functions_meta(module)
    assert {f["name"] for f in meta["functions"]} == set(udfs.FUNCTIONS.values())
    for name in udfs.FUNCTIONS:
        assert getattr(module, name) is getattr(udfs, name)
    scripts = xlwings.server.custom_scripts_meta(module)
    assert [s["function_name"] for s in scripts] == [refresh.SCRIPT_NAME]
    assert scripts[0]["name"] == "Refresh report"


def test_requirements_pin_this_version():
    lines = lite_files()["requirements.txt"].splitlines()
    packages = [line for line in lines if line and not line.startswith("#")]
    assert f"cltv-xl=={cltv_xl.__version__}" in packages
    assert "xlwings" in packages


def test_manifest_has_the_cltv_tab_wired_to_the_refresh_script():
    root = ElementTree.parse(MANIFEST).getroot()  # well-formed XML
    ns = {
        "o": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
        "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    }
    strings = {
        s.get("id"): s.get("DefaultValue")
        for s in root.iter("{http://schemas.microsoft.com/office/officeappbasictypes/1.0}String")
    }
    tab = root.find(".//o:CustomTab", ns)
    assert strings[tab.find("o:Label", ns).get("resid")] == "CLTV"
    button = tab.find(".//o:Control", ns)
    assert strings[button.find("o:Label", ns).get("resid")] == "Refresh report"
    assert button.find("o:Action/o:FunctionName", ns).text == refresh.RIBBON_FUNCTION_NAME
    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    points = [p.get(xsi_type) for p in root.iterfind(".//o:ExtensionPoint", ns)]
    assert points == ["CustomFunctions", "PrimaryCommandSurface"]
    # The script the button's JavaScript calls exists under that name.
    scripts = xlwings.server.custom_scripts_meta(refresh)
    assert refresh.SCRIPT_NAME in [s["function_name"] for s in scripts]
