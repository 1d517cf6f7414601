"""The desktop Excel add-in ``cltv_xl.xlam``: a **CLTV** ribbon tab with **Refresh report**.

The add-in is built from the ribbon add-in template that xlwings ships
(``xlwings/quickstart_addin_ribbon.xlam``, what ``xlwings quickstart NAME --addin --ribbon``
copies). Its ribbon XML (``customUI/customUI.xml``) is rewritten, and ``cltv-xl addin install``
fills in its settings sheet (``myaddin.conf``: the Python interpreter to run); the compiled
VBA project (``xl/vbaProject.bin``) is kept as xlwings built it, because VBA cannot be
recompiled here.

That VBA project defines one ribbon callback, ``RibbonMyAddin.RunMain``. It runs::

    RunPython "import <add-in name>; <add-in name>.main()"

where ``<add-in name>`` is the add-in's file name without extension. The file is therefore
called ``cltv_xl.xlam``, so the button runs ``import cltv_xl; cltv_xl.main()``, which is
:func:`cltv_xl.refresh.main`: it refreshes the active workbook with
:func:`cltv_xl.refresh.refresh_report`. xlwings' RunPython sets the *active* workbook as
``xw.Book.caller()``, so the button works on the report in front of the user, not on the
add-in.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

from ..safety import xml_escape

#: File name of the built add-in; RunPython imports the module of the same name.
ADDIN_NAME = "cltv_xl.xlam"
#: The Python module and function the template's VBA callback runs.
ENTRY_MODULE, ENTRY_FUNCTION = "cltv_xl", "main"
#: The ribbon callback the template's VBA project defines (``Sub RunMain(control As
#: IRibbonControl)`` in module ``RibbonMyAddin``).
RIBBON_CALLBACK = "RibbonMyAddin.RunMain"
CUSTOM_UI = "customUI/customUI.xml"
VBA_PROJECT = "xl/vbaProject.bin"
#: The template's VBA has ``PROJECT_NAME = "myaddin"`` and reads its settings (interpreter,
#: PYTHONPATH, ...) from a sheet of this name in the add-in (or from ``myaddin.conf`` beside
#: the workbook, or ``%USERPROFILE%\.myaddin\myaddin.conf``). The template ships the sheet as
#: ``_myaddin.conf``, which the VBA ignores; :func:`build_addin` renames and fills it.
VBA_PROJECT_NAME = "myaddin"
CONF_SHEET = f"{VBA_PROJECT_NAME}.conf"
INACTIVE_CONF_SHEET = f"_{CONF_SHEET}"
CONF_SHEET_XML = "xl/worksheets/sheet1.xml"
WORKBOOK_XML = "xl/workbook.xml"
APP_XML = "docProps/app.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"

#: (id, label, screentip, supertip, imageMso, onAction) of each ribbon button.
BUTTONS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "cltvRefreshReport",
        "Refresh report",
        "Refresh the CLTV report",
        "Reads the Transactions sheet of the active workbook, recomputes the CLTV report and "
        "rewrites its KPI cells and tables in place. Other sheets and your Assumptions are "
        "left as they are.",
        "RefreshAll",
        RIBBON_CALLBACK,
    ),
)


def template_path() -> Path:
    """The ribbon add-in template inside the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    if not path.is_file():
        raise FileNotFoundError(
            f"xlwings' ribbon add-in template is missing ({path}); reinstall xlwings"
        )
    return path


def quoteattr(text: str) -> str:
    """``text`` as a double-quoted XML attribute value (:func:`cltv_xl.safety.xml_escape`)."""
    return '"' + xml_escape(text, attr=True, ooxml=False) + '"'


def custom_ui_xml() -> str:
    """The ribbon XML of ``cltv_xl.xlam``: a CLTV tab, one group, the buttons of BUTTONS."""
    buttons = "\n".join(
        f"          <button id={quoteattr(bid)} label={quoteattr(label)} size=\"large\"\n"
        f"                  screentip={quoteattr(tip)} supertip={quoteattr(supertip)}\n"
        f"                  imageMso={quoteattr(image)} onAction={quoteattr(action)} />"
        for bid, label, tip, supertip, image, action in BUTTONS
    )
    return (
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">\n'
        "  <ribbon>\n"
        "    <tabs>\n"
        '      <tab id="cltvTab" label="CLTV">\n'
        '        <group id="cltvReportGroup" label="Report">\n'
        f"{buttons}\n"
        "        </group>\n"
        "      </tab>\n"
        "    </tabs>\n"
        "  </ribbon>\n"
        "</customUI>\n"
    )


def addin_settings(platform: str | None = None, python: str | None = None) -> dict[str, str]:
    """The add-in settings that make its button use the Python running this code.

    ``Interpreter_Win`` on Windows, ``Interpreter_Mac`` on macOS (the keys of the template's
    settings sheet, read by its VBA as ``INTERPRETER_WIN``/``INTERPRETER_MAC``); none elsewhere,
    as no desktop Excel runs there.
    """
    platform = platform or sys.platform
    python = python or sys.executable
    if platform.startswith("win"):
        return {"Interpreter_Win": python}
    if platform == "darwin":
        return {"Interpreter_Mac": python}
    return {}


def _shared_strings(xml: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<si>(.*?)</si>", xml, re.S)]


def configure_parts(parts: dict[str, bytes], settings: dict[str, str]) -> dict[str, bytes]:
    """Write ``settings`` into the template's settings sheet and make the sheet active.

    Each key must be one of the sheet's column-A keys (``Interpreter_Win``, ``PYTHONPATH``,
    ...); its value goes into column B as text. The sheet ``_myaddin.conf`` becomes
    ``myaddin.conf``, the name the VBA looks for.
    """
    strings = _shared_strings(parts[SHARED_STRINGS].decode("utf-8"))
    sheet = parts[CONF_SHEET_XML].decode("utf-8")
    rows = {
        strings[int(index)].upper(): row
        for row, index in re.findall(r'<c r="A(\d+)"[^>]*t="s"[^>]*><v>(\d+)</v></c>', sheet)
    }
    for key, value in settings.items():
        row = rows.get(key.upper())
        if row is None:
            raise ValueError(f"the add-in template has no setting {key!r}; it has {sorted(rows)}")
        pattern = re.compile(rf'<row r="{row}"([^>]*)>(.*?)</row>', re.S)
        match = pattern.search(sheet)
        assert match is not None
        cells = re.sub(rf'<c r="B{row}"[^>]*?(/>|>.*?</c>)', "", match.group(2))
        cell = f'<c r="B{row}" s="1" t="inlineStr"><is><t>{xml_escape(value)}</t></is></c>'
        attrs = re.sub(r'spans="[^"]*"', 'spans="1:2"', match.group(1))
        sheet = sheet[: match.start()] + f'<row r="{row}"{attrs}>{cells}{cell}</row>' + sheet[
            match.end() :
        ]
    out = dict(parts)
    out[CONF_SHEET_XML] = sheet.encode("utf-8")
    workbook = parts[WORKBOOK_XML].decode("utf-8")
    if f'name="{INACTIVE_CONF_SHEET}"' not in workbook:
        raise ValueError(f"the add-in template has no sheet {INACTIVE_CONF_SHEET}")
    out[WORKBOOK_XML] = workbook.replace(
        f'name="{INACTIVE_CONF_SHEET}"', f'name="{CONF_SHEET}"'
    ).encode("utf-8")
    if APP_XML in parts:  # the document properties list sheet titles too
        app = parts[APP_XML].decode("utf-8")
        out[APP_XML] = app.replace(f">{INACTIVE_CONF_SHEET}<", f">{CONF_SHEET}<").encode("utf-8")
    return out


def build_addin(out_dir: Path, settings: dict[str, str] | None = None) -> Path:
    """Write ``cltv_xl.xlam`` into ``out_dir`` (created if needed) and return its path.

    Every part of xlwings' template is copied byte for byte except the ribbon XML, which
    becomes :func:`custom_ui_xml`, and, when ``settings`` are given (see
    :func:`addin_settings`), the settings sheet, which :func:`configure_parts` fills in.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ADDIN_NAME
    with zipfile.ZipFile(template_path()) as src:
        names = src.namelist()
        if CUSTOM_UI not in names or VBA_PROJECT not in names:
            raise FileNotFoundError(
                f"xlwings' ribbon template lacks {CUSTOM_UI} or {VBA_PROJECT}; "
                "this xlwings version is not supported"
            )
        parts = {info.filename: src.read(info) for info in src.infolist()}
        parts[CUSTOM_UI] = custom_ui_xml().encode("utf-8")
        if settings:
            parts = configure_parts(parts, settings)
        tmp = target.with_suffix(".xlam.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info, parts[info.filename], compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(target)
    return target


# --------------------------------------------------------------------------------------------
# Installing
# --------------------------------------------------------------------------------------------


def addin_folder(platform: str | None = None, env: dict[str, str] | None = None) -> Path | None:
    """Excel's per-user startup folder, whose add-ins Excel opens at start, or None.

    Windows: ``%APPDATA%\\Microsoft\\Excel\\XLSTART``. macOS (Excel 2016 and later):
    ``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/
    Excel``. Other systems have no desktop Excel.
    """
    platform = platform or sys.platform
    env = dict(os.environ) if env is None else env
    if platform.startswith("win"):
        appdata = env.get("APPDATA")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART" if appdata else None
    if platform == "darwin":
        home = Path(env.get("HOME") or Path.home())
        return (
            home
            / "Library/Group Containers/UBF8T346G9.Office/User Content.localized"
            / "Startup.localized/Excel"
        )
    return None


def install_addin(
    *, platform: str | None = None, env: dict[str, str] | None = None, python: str | None = None
) -> str:
    """Build ``cltv_xl.xlam`` and copy it into Excel's startup folder; return what happened.

    The add-in's settings sheet names ``python`` (default: the Python running this) as its
    interpreter, so the button runs cltv-xl in the environment it was installed from. Where
    there is no desktop Excel (Linux), or its folder cannot be found, nothing is copied and
    the message says how to install the add-in by hand.
    """
    folder = addin_folder(platform, env)
    manual = (
        "Build it with 'cltv-xl addin build --out DIR', then in Excel on Windows or macOS open "
        "File > Options > Add-ins > Manage Excel Add-ins > Browse... and pick "
        f"DIR/{ADDIN_NAME} (or copy it into Excel's XLSTART folder)."
    )
    if folder is None:
        return (
            f"No desktop Excel on this system ({platform or sys.platform}), so {ADDIN_NAME} "
            f"was not installed. {manual}"
        )
    excel_dir = folder.parent if folder.name == "XLSTART" else folder.parents[1]
    if not excel_dir.is_dir():
        return f"Excel's folder {excel_dir} does not exist (is Excel installed?). {manual}"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = addin_settings(platform, python)
        built = build_addin(Path(tmp), settings)
        target = folder / ADDIN_NAME
        try:
            shutil.copyfile(built, target)
        except PermissionError:
            return f"Could not write {target}: quit Excel and run 'cltv-xl addin install' again."
    configured = "; ".join(f"{key} = {value}" for key, value in settings.items())
    return (
        f"Installed {target}. Restart Excel: the CLTV tab appears on the ribbon. Its button "
        f"runs Python through xlwings' RunPython with the add-in's settings ({CONF_SHEET} "
        f"sheet: {configured})."
    )


# --------------------------------------------------------------------------------------------
# Reading the VBA project (to check that the ribbon callbacks exist)
# --------------------------------------------------------------------------------------------


def _decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA compressed container ([MS-OVBA] 2.4.1.3.1)."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = int.from_bytes(data[pos : pos + 2], "little")
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:  # raw chunk of 4096 bytes
            out += data[pos : pos + 4096]
            pos += 4096
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token = int.from_bytes(data[pos : pos + 2], "little")
                pos += 2
                bit_count = max((len(out) - start - 1).bit_length(), 4)
                offset = (token >> (16 - bit_count)) + 1
                length = (token & (0xFFFF >> bit_count)) + 3
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def vba_sources(xlam: Path) -> dict[str, str]:
    """The VBA source of each module in an add-in, by module name (needs ``olefile``)."""
    import olefile

    with zipfile.ZipFile(xlam) as zf:
        ole = olefile.OleFileIO(io.BytesIO(zf.read(VBA_PROJECT)))
    directory = _decompress(ole.openstream("VBA/dir").read())
    names: list[str] = []
    offsets: list[int] = []
    pos = 0
    while pos + 6 <= len(directory):
        record, size = struct.unpack_from("<HI", directory, pos)
        if record == 0x0009:  # PROJECTVERSION: its size field says 4 but 6 bytes follow
            pos += 12
            continue
        body = directory[pos + 6 : pos + 6 + size]
        if record == 0x001A:  # MODULESTREAMNAME
            names.append(body.decode("latin-1"))
        elif record == 0x0031:  # MODULEOFFSET
            offsets.append(struct.unpack("<I", body)[0])
        pos += 6 + size
    return {
        name: _decompress(ole.openstream(f"VBA/{name}").read()[offset:]).decode("latin-1")
        for name, offset in zip(names, offsets, strict=True)
    }


def vba_procedures(xlam: Path) -> set[str]:
    """``Module.Procedure`` for every Sub and Function in an add-in's VBA project."""
    pattern = re.compile(r"^\s*(?:Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)", re.M)
    return {
        f"{module}.{proc}"
        for module, source in vba_sources(xlam).items()
        for proc in pattern.findall(source)
    }
