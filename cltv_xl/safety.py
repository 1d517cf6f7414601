"""Safe output: data text stays text, writes are atomic, inputs and open files are protected.

* Formula injection (OWASP "CSV injection"; OWASP ASVS 5.0 V1.2.10): a cell whose text starts
  with ``= + - @``, tab, CR, LF or NUL may run as a formula when a user edits it. Text from the data
  (customer ids, issue values) is written with the string data type and Excel's ``quotePrefix``
  style, so it is stored, shown and re-read as the same text, never a formula or an error value
  such as ``#N/A``.
* XML 1.0 cannot carry control characters other than tab, LF and CR. They are removed from
  text cells (:data:`XML_ILLEGAL`); nothing else is changed.
* Excel holds at most 32,767 characters in a cell (:data:`EXCEL_MAX_CELL_CHARS`): longer text
  is cut with a visible marker (:func:`fit_cell`); the report lists the rows concerned as
  doubtful.
* The one XML escaper of the package, :func:`xml_escape` (and its vectorised twin
  :func:`xml_escape_arrow` for the fast writer): ``& < >`` (and ``"`` in attributes), CR as
  ``&#13;``, and a literal ``_xHHHH_`` as ``_x005F_xHHHH_``, because OOXML reads ``_xHHHH_``
  in a string as an escaped character (ECMA-376 Part 1, 22.9.2.19 ST_Xstring).
* :func:`atomic_write` writes to a temporary file in the destination folder and renames it over
  the destination, so an interrupted run never leaves a half-written report.
* :func:`check_output` refuses to overwrite the input file or the template, and stops when
  Excel's lock file ``~$<name>`` sits beside the output (the file is open in Excel, which
  would block the rename). Temporary files are removed on any error and on SIGTERM; those of
  a killed run are removed by the next run that writes the same file
  (:func:`remove_stale_temps`, only files carrying the tag and the pid of a dead process).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import InputError

#: Leading characters that make a spreadsheet treat text as a formula (OWASP ASVS 5.2.8:
#: ``= + - @``, tab, CR, LF and NUL). The one injection rule of the package: every writer
#: (openpyxl, the fast XML path, the live refresh) asks :func:`needs_quote_prefix`.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
#: Characters XML 1.0 forbids (C0 controls except tab, LF, CR; U+FFFE, U+FFFF; surrogates).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: The same class in RE2 syntax, for pyarrow's vectorised regex functions.
XML_ILLEGAL_RE2 = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"


#: A literal ``_xHHHH_`` in text, which OOXML would read as the character U+HHHH.
OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_OOXML_ESCAPE_RE2 = r"_(x[0-9A-Fa-f]{4}_)"


def xml_escape(text: str, *, attr: bool = False, ooxml: bool = True) -> str:
    """``text`` ready for an XML text node (or a double-quoted attribute with ``attr``):
    illegal characters removed, ``& < >`` (and ``"``) escaped, CR kept as ``&#13;`` and, for
    spreadsheet strings (``ooxml``), ``_xHHHH_`` written ``_x005F_xHHHH_`` (ST_Xstring)."""
    text = XML_ILLEGAL.sub("", text)
    if ooxml:
        text = OOXML_ESCAPE.sub(r"_x005F_\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text.replace("\r", "&#13;")


#: Text that :func:`xml_escape` changes: an illegal character, ``& < >``, CR, or ``_xHHHH_``.
_NEEDS_ESCAPE_RE2 = r"[\x00-\x08\x0B\x0C\x0D\x0E-\x1F\x{FFFE}\x{FFFF}&<>]|_x[0-9A-Fa-f]{4}_"


def xml_escape_arrow(arr: Any) -> Any:
    """:func:`xml_escape` over a pyarrow string array (pyarrow's string kernels). Only the
    values that need it go through the replacements (one regex match finds them), so plain
    ids cost one pass."""
    import pyarrow.compute as pc

    needs = pc.fill_null(pc.match_substring_regex(arr, _NEEDS_ESCAPE_RE2), False)
    count = pc.sum(needs).as_py() or 0
    if count == 0:
        return arr
    if count == len(arr):
        return _escape_all(arr)
    return pc.replace_with_mask(arr, needs, _escape_all(pc.filter(arr, needs)))


def _escape_all(arr: Any) -> Any:
    import pyarrow.compute as pc

    arr = pc.replace_substring_regex(arr, XML_ILLEGAL_RE2, "")
    arr = pc.replace_substring_regex(arr, _OOXML_ESCAPE_RE2, r"_x005F_\1")
    arr = pc.replace_substring(arr, "&", "&amp;")
    arr = pc.replace_substring(arr, "<", "&lt;")
    arr = pc.replace_substring(arr, ">", "&gt;")
    return pc.replace_substring(arr, "\r", "&#13;")  # a raw CR would be read back as LF


#: Most characters an Excel cell holds (Excel specifications and limits); longer text is cut
#: when written, with :func:`truncation_marker` at its end.
EXCEL_MAX_CELL_CHARS = 32_767


def truncation_marker(length: int) -> str:
    """The visible end of a cut cell: `` [... cut by cltv-xl: 40,000 characters]``."""
    return f" [... cut by cltv-xl: {length:,} characters]"


def fit_cell(text: str) -> str:
    """``text`` cut to :data:`EXCEL_MAX_CELL_CHARS` characters, ending with the
    :func:`truncation_marker` when it was longer (a longer cell corrupts the workbook for
    Excel)."""
    if len(text) <= EXCEL_MAX_CELL_CHARS:
        return text
    marker = truncation_marker(len(text))
    return text[: EXCEL_MAX_CELL_CHARS - len(marker)] + marker


def fit_cells(values: Any) -> Any:
    """:func:`fit_cell` over a pandas Series of text (other values untouched); returns the
    Series unchanged (the same object) when nothing is too long."""
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        lengths = series.str.len()  # vectorised; NaN for values that are not text
    except AttributeError:
        lengths = series.map(lambda v: len(v) if isinstance(v, str) else 0)
    long = lengths.fillna(0).to_numpy() > EXCEL_MAX_CELL_CHARS
    if not long.any():
        return values
    out = series.astype(object).copy()
    out[long] = series[long].map(fit_cell)
    return out


def clean_text(value: Any) -> str:
    """``str(value)`` without characters XML 1.0 cannot store."""
    return XML_ILLEGAL.sub("", str(value))


def needs_quote_prefix(text: str) -> bool:
    """True when ``text`` could be read as a formula (or an error value) by a spreadsheet."""
    return text.startswith(DANGEROUS_PREFIXES) or text.startswith("#")


def set_text(cell: Any, value: Any) -> None:
    """Write ``value`` into an openpyxl cell as plain text, whatever characters it starts with.

    openpyxl turns a string starting with ``=`` into a formula and ``"#N/A"`` into an error
    cell when assigned through ``cell.value``; assigning ``_value`` with data type ``"s"``
    bypasses that guess, and ``quotePrefix`` keeps Excel from re-reading it as a formula when
    the user edits the cell.
    """
    text = fit_cell(clean_text(value))
    cell._value = OOXML_ESCAPE.sub(r"_x005F_\1", text)  # literal _xHHHH_ (ST_Xstring)
    cell.data_type = "s"
    if needs_quote_prefix(text):
        cell.quotePrefix = True


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when both paths name the same file (resolving links and case where possible)."""
    pa, pb = Path(a), Path(b)
    if pa.exists() and pb.exists():
        return os.path.samefile(pa, pb)
    return os.path.normcase(str(pa.resolve())) == os.path.normcase(str(pb.resolve()))


def lock_file(path: str | os.PathLike) -> Path:
    """Path of the lock file Excel keeps beside an open workbook: ``~$<name>``."""
    p = Path(path)
    return p.with_name("~$" + p.name)


def check_output(output: str | os.PathLike, *inputs: str | os.PathLike | None,
                 template: str | os.PathLike | None = None) -> Path:
    """Validate the output path of a report; return it resolved.

    Raises :class:`InputError` when the output is one of the ``inputs`` or the ``template``,
    when its folder does not exist, when it is not an ``.xlsx`` file, when it exists but is
    not a regular file (a folder, a FIFO, a device), or when Excel holds it open.
    """
    out = Path(output).expanduser().resolve()
    if Path(output).suffix.lower() != ".xlsx":
        raise InputError(f"the report must be an .xlsx file; got {Path(output).name!r}")
    for source in inputs:
        if source is not None and same_file(out, source):
            raise InputError(
                f"refusing to write the report over its input {Path(source).name}; "
                "choose another output name"
            )
    if template is not None and same_file(out, template):
        raise InputError(f"refusing to write the report over its template "
                         f"{Path(template).name}; choose another output name")
    if not out.parent.is_dir():
        raise InputError(f"the output folder {out.parent} does not exist")
    if lock_file(out).exists():
        raise InputError(
            f"{out.name} seems to be open in Excel ({lock_file(out).name} exists beside it); "
            "close it in Excel and run again"
        )
    if out.exists() and out.is_dir():
        raise InputError(f"the output {out} is a folder")
    if out.exists() and not out.is_file():
        raise InputError(f"the output {out} is not a regular file (a FIFO or a device); "
                         "a report needs a file it can replace")
    return out


def check_json_output(path: str | os.PathLike, *taken: str | os.PathLike | None) -> None:
    """Refuse a JSON summary path that is one of the ``taken`` files (the report, the input,
    the template) or a folder. A FIFO or a device is accepted: it is written in place."""
    p = Path(path).expanduser()
    for other in taken:
        if other is not None and same_file(p, other):
            raise InputError(f"the JSON summary needs its own file name; {p.name} is "
                             "already used by the report, its input or its template")
    if p.is_dir():
        raise InputError(f"the JSON summary {p} is a folder")
    if not p.parent.is_dir():
        raise InputError(f"the folder of the JSON summary {p.parent} does not exist")


#: Temporary files are named ``.<stem>.cltv-xl-<pid>-<random><suffix>.tmp`` beside the
#: destination; the pid lets a later run remove the leftovers of a killed one (and only those).
_TEMP_TAG = ".cltv-xl-"
_TEMP_NAME = re.compile(
    r"^\.(?P<stem>.*)\.cltv-xl-(?P<pid>\d+)-[A-Za-z0-9_]+(?P<suffix>(?:\.[^.]*)?)\.tmp$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep the file
    return True


def remove_stale_temps(dest: str | os.PathLike) -> list[Path]:
    """Remove temporary files that a killed run (SIGKILL, power loss) left beside ``dest``.

    Only files named exactly as :func:`atomic_write` names the temporary file of ``dest``
    (same stem and suffix, the ``.cltv-xl-<pid>-`` tag) whose process no longer exists are
    removed; nothing else is touched. Returns the removed paths."""
    dest = Path(dest)
    removed = []
    try:
        entries = list(dest.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if not m or m["stem"] != dest.stem or m["suffix"] != dest.suffix:
            continue
        if _pid_alive(int(m["pid"])) or not entry.is_file() or entry.is_symlink():
            continue
        with contextlib.suppress(OSError):
            entry.unlink()
            removed.append(entry)
    return removed


@contextlib.contextmanager
def _temp_path(dest: Path) -> Iterator[Path]:
    remove_stale_temps(dest)
    fd, name = tempfile.mkstemp(prefix=f".{dest.stem}{_TEMP_TAG}{os.getpid()}-",
                                suffix=dest.suffix + ".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        if tmp.exists():
            tmp.unlink()


def _file_mode(dest: Path) -> int:
    """The mode ``dest`` has, or the mode a new file gets under the current umask."""
    try:
        return dest.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write(dest: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``dest``, then rename it to ``dest``.

    ``os.replace`` is atomic on one file system, so readers see the old file or the new one,
    never a partial file; on any error (and on SIGTERM in the command line) the temporary file
    is removed and ``dest`` is untouched. A symbolic link is followed: its target is replaced
    and the link kept. An existing special file (a FIFO, ``/dev/null``, ``/dev/full``) is
    written in place by ``write(dest)`` and never replaced by a regular file.
    """
    dest = Path(dest)
    if dest.is_symlink():
        dest = Path(os.path.realpath(dest))
    if dest.exists() and not dest.is_file():
        if dest.is_dir():
            raise InputError(f"the output {dest} is a folder")
        write(dest)  # a FIFO or a device: in place
        return dest
    with _temp_path(dest) as tmp:
        write(tmp)
        os.chmod(tmp, _file_mode(dest))  # mkstemp makes 0600 files; use the usual mode
        try:
            os.replace(tmp, dest)
        except PermissionError as exc:
            raise InputError(
                f"cannot replace {dest.name}: {exc.strerror}; is it open in another program?"
            ) from exc
    return dest
