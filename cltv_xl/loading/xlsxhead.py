"""Read only the first rows of an .xlsx/.xlsm sheet, cheaply, to find its header row.

fastexcel (calamine) parses a whole sheet on every load, so finding the header with it would
read a million-row sheet twice. This module streams the sheet's XML from the zip archive and
stops after the first rows, then reads just the shared strings those rows use. Row and column
numbers are absolute (row 1, column A = index 0), as a user sees them in Excel.

Untrusted input: a document type declaration (the vehicle of XML entity bombs) is refused, and
ElementTree never fetches external entities.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from xml.etree.ElementTree import ParseError, XMLPullParser

from ..errors import InputError

_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_CHUNK = 1 << 16


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _col_index(letters: str) -> int:
    pos = 0
    for ch in letters:
        pos = pos * 26 + (ord(ch) - 64)
    return pos - 1


def _stream(zf: zipfile.ZipFile, part: str, stop) -> None:
    """Feed ``part`` to a pull parser; ``stop(events)`` returns True to end early."""
    parser = XMLPullParser(events=("start", "end"))
    with zf.open(part) as fh:
        prolog = b""  # everything before the root element, where a DOCTYPE could stand
        in_prolog = True
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            if in_prolog:
                prolog = (prolog + chunk)[-(_CHUNK + 16) :]
                if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
                    raise InputError(f"{part}: a DOCTYPE declaration is not allowed in a workbook")
            parser.feed(chunk)
            events = list(parser.read_events())
            if in_prolog and any(kind == "start" for kind, _ in events):
                in_prolog = False
            if stop(iter(events)):
                return
    parser.close()
    stop(parser.read_events())


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part path inside the archive, in workbook order."""
    rels: dict[str, str] = {}
    for _, el in _events(zf, "xl/_rels/workbook.xml.rels"):
        if _local(el.tag) == "Relationship":
            target = el.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            rels[el.get("Id", "")] = posixpath.normpath(path)
    out: dict[str, str] = {}
    for _, el in _events(zf, "xl/workbook.xml"):
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
            if rid in rels:
                out[el.get("name", "")] = rels[rid]
    return out


def _events(zf: zipfile.ZipFile, part: str) -> list:
    found: list = []

    def keep(events) -> bool:
        found.extend(e for e in events if e[0] == "end")
        return False

    _stream(zf, part, keep)
    return found


def _shared_strings(zf: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    """The shared strings with the given indexes (reads the table only as far as needed)."""
    part = "xl/sharedStrings.xml"
    if not wanted or part not in zf.namelist():
        return {}
    last = max(wanted)
    out: dict[int, str] = {}
    state = {"i": -1, "text": []}

    def on(events) -> bool:
        for kind, el in events:
            name = _local(el.tag)
            if kind == "start" and name == "si":
                state["i"] += 1
                state["text"] = []
            elif kind == "end" and name == "t" and state["i"] in wanted:
                state["text"].append(el.text or "")
            elif kind == "end" and name == "si":
                if state["i"] in wanted:
                    out[state["i"]] = "".join(state["text"])
                el.clear()
                if state["i"] >= last:
                    return True
        return False

    _stream(zf, part, on)
    return out


def head_rows(path, sheet: str, n_rows: int) -> list[list[object]]:
    """Cell values (text, or numbers as text) of rows 1..n_rows of ``sheet``, by absolute column.

    Row i of the result is sheet row i + 1; trailing empty rows are dropped.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            if sheet not in parts:
                return []
            cells: dict[tuple[int, int], tuple[str, str]] = {}
            state: dict[str, object] = {"row": 0, "col": -1, "ref": None, "t": "", "v": None}

            def on(events) -> bool:
                for kind, el in events:
                    name = _local(el.tag)
                    if kind == "start":
                        if name == "row":
                            r = el.get("r")
                            state["row"] = int(r) if r else int(state["row"]) + 1  # type: ignore[call-overload]
                            state["col"] = -1
                            if int(state["row"]) > n_rows:  # type: ignore[call-overload]
                                return True
                        elif name == "c":
                            ref = el.get("r")
                            m = _CELL_REF.fullmatch(ref or "")
                            state["col"] = (
                                _col_index(m.group(1)) if m else int(state["col"]) + 1  # type: ignore[call-overload]
                            )
                            state["t"] = el.get("t", "n")
                            state["v"] = []
                        continue
                    if name in ("v", "t") and isinstance(state["v"], list):
                        state["v"].append(el.text or "")
                    elif name == "c":
                        text = "".join(state["v"]) if isinstance(state["v"], list) else ""
                        if text != "":
                            key = (int(state["row"]) - 1, int(state["col"]))  # type: ignore[call-overload]
                            cells[key] = (str(state["t"]), text)
                        state["v"] = None
                    elif name == "row":
                        el.clear()
                return False

            _stream(zf, parts[sheet], on)
            wanted = {int(v) for t, v in cells.values() if t == "s" and v.isdigit()}
            strings = _shared_strings(zf, wanted)
    except (zipfile.BadZipFile, KeyError, ParseError, zlib.error, OSError) as exc:
        raise InputError(f"cannot read the workbook ({exc})") from exc
    if not cells:
        return []
    n = max(r for r, _ in cells) + 1
    width = max(c for _, c in cells) + 1
    grid: list[list[object]] = [[None] * width for _ in range(n)]
    for (r, c), (t, v) in cells.items():
        grid[r][c] = strings.get(int(v), "") if t == "s" and v.isdigit() else v
    return grid
