"""Pre-flight checks of an .xlsx/.xlsm/.xlsb/.ods/.xls workbook before a native reader opens it.

The Rust reader (calamine, through fastexcel) allocates memory from what the file claims, and a
failed allocation aborts the whole process, which no Python code can catch: one cell at
XFD1048576 makes it allocate rows x columns x 32 bytes (549,755,813,888 bytes), and a zip bomb
holding gigabytes of whitespace or one huge shared string exhausts memory while it inflates.
:func:`check_workbook` rules these out with bounded work in Python, and raises a one-line
:class:`~cltv_xl.errors.InputError` instead:

* the zip's central directory: number of parts, encryption, compression method, and each part's
  *declared* uncompressed size, against the limits;
* every part is then inflated as a stream, in bounded steps, counting the *actual* bytes: a part
  that inflates beyond its declared size, or beyond the limit, is refused at that point, so a
  lying header costs no more than an honest one;
* every XML part is scanned while it inflates: the longest run of text or whitespace between two
  markup characters, the ``<dimension ref>`` a sheet declares, and the largest row and column of
  every ``<row r>`` and ``<c r>`` (a scan of the bytes with NumPy, not an XML parse). Cells or
  rows without an ``r`` attribute, which readers place one after the other, send that part
  through an exact (slower) element-by-element pass.

The used range counts from A1: rows x columns of the bounding rectangle is what a reader may
allocate as one dense grid, so it is held to ``max_cells``. Defaults (:class:`Limits`): Excel's
own 1,048,576 rows x 16,384 columns; 33,554,432 cells (about 1 GiB at 32 bytes a cell); 1 GiB
per part and 3 GiB in total, uncompressed; 32 MiB for one text run; 10,000 zip parts.

An OpenDocument spreadsheet (.ods, recognised by its ``mimetype`` part) gets the zip checks, and
its ``content.xml`` is counted as calamine will expand its repeated rows and cells
(:mod:`cltv_xl.loading.preflight_ods`). A legacy .xls (an OLE2 compound file) has its BIFF
records counted instead (:mod:`cltv_xl.loading.preflight_xls`), and an .xlsb package's sheet
parts have their BIFF12 cell records counted (:mod:`cltv_xl.loading.preflight_xlsb`).

:func:`cltv_xl.loading.read_transactions` runs :func:`check_workbook` on every
.xlsx/.xlsm/.xlsb/.ods/.xls file before fastexcel opens it. Its limits are the ones in effect:
:class:`Limits` by default, others for a block of code with :func:`use_limits` (a context
variable, so threads and asyncio tasks each see their own), or for the whole process with
:func:`set_limits`.
"""

from __future__ import annotations

import codecs
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError
from .limits import (
    CHECKED_SUFFIXES,
    Limits,
    MiB,
    Preflight,
    limits_in_effect,
    set_limits,
    use_limits,
)
from .preflight_ods import OdsScan, is_ods_package
from .preflight_xls import OLE2_MAGIC
from .preflight_xlsb import XlsbSheetScan, sheet_parts
from .xlsxhead import _col_index

try:  # ISA-L inflates about twice as fast as zlib, with the same streaming interface
    from isal import isal_zlib as _inflate_lib

    _INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflate_lib.error)
except ImportError:  # pragma: no cover - isal is a dependency except under Emscripten
    _inflate_lib = zlib  # type: ignore[assignment]
    _INFLATE_ERRORS = (zlib.error,)

__all__ = [
    "CHECKED_SUFFIXES", "Limits", "Preflight", "check_workbook", "limits_in_effect", "set_limits",
    "use_limits",
]

_CHUNK = 1 << 20  # compressed bytes read at a time
_STEP = 4 * MiB  # most uncompressed bytes produced by one inflate call
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_PAD = bytes(32)  # zeros after a scanned piece, for the gathers that read past its end
_BYTES16 = np.dtype((np.void, 16))
_WS = np.zeros(256, dtype=bool)
_WS[[0x20, 0x09, 0x0A, 0x0D]] = True
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_REF = re.compile(r"\$?([A-Za-z]+)\$?(\d+)")
#: An element c or row with a namespace prefix (then the exact pass places the cells).
_PREFIXED = re.compile(rb"<[\w.-]+:(?:c|row)[\s/>]")


def check_workbook(path, limits: Limits | None = None) -> Preflight:
    """Check an .xlsx/.xlsm/.xlsb/.ods/.xls file against ``limits`` (default
    :func:`limits_in_effect`) before a native reader opens it.

    Returns what was measured; raises :class:`~cltv_xl.errors.InputError` (one line, naming the
    file and the part) when the workbook exceeds a limit or is not a readable zip archive.
    """
    lim = limits or limits_in_effect()
    ahead = sys.modules.get("cltv_xl.loading.ahead")  # checks started ahead (the command line)
    if ahead is not None and ahead._PENDING:
        done = ahead.take_result(path, lim)
        if done is not None:
            return done
    return _check(path, lim)


def _check(path, lim: Limits) -> Preflight:
    """:func:`check_workbook` itself."""
    p = Path(path)
    name = p.name
    if _is_ole2(p):  # a legacy .xls (BIFF records in an OLE2 compound file)
        from .preflight_xls import check_xls

        sheets = check_xls(p, lim, name)
        return Preflight({f"Workbook@{at}": bounds for at, bounds in sheets.items()},
                         total_bytes=p.stat().st_size, parts=1)
    try:
        size = p.stat().st_size
        _check_directory(p, lim, name)
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            if len(infos) > lim.max_parts:
                raise InputError(f"{name}: the archive has {len(infos):,} parts, more than the "
                                 f"limit of {lim.max_parts:,}")
            declared = 0
            for info in infos:
                _check_entry(info, lim, name)
                declared += info.file_size
            if declared > lim.max_total_bytes:
                raise InputError(
                    f"{name}: the parts declare {declared:,} bytes uncompressed, more than the "
                    f"limit of {lim.max_total_bytes:,}"
                )
            result = Preflight(parts=len(infos))
            ods = _is_ods(zf, infos)
            binary = _xlsb_sheets(zf, lim, name)
            with p.open("rb") as fh:
                for info in infos:
                    _check_part(fh, size, info, lim, name, result,
                                ods=ods and info.filename == "content.xml",
                                xlsb=info.filename in binary)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, *_INFLATE_ERRORS, OSError, EOFError) as exc:
        raise InputError(f"{name}: cannot read the workbook ({exc})") from exc
    return result


def _is_ole2(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(8) == OLE2_MAGIC
    except OSError:
        return False  # the zip checks say why the file cannot be read


def _check_directory(path: Path, lim: Limits, name: str) -> None:
    """Read the end-of-central-directory record and refuse too many parts before zipfile
    builds one object per part."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        end = fh.tell()
        fh.seek(max(0, end - 65_557))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise InputError(f"{name}: cannot read the workbook (no zip directory found: damaged, "
                         "or not a zip-based workbook)")
    entries = struct.unpack_from("<H", tail, at + 10)[0]
    if entries != 0xFFFF and entries > lim.max_parts:
        raise InputError(
            f"{name}: the archive has {entries:,} parts, more than the limit of {lim.max_parts:,}"
        )


def _check_entry(info: zipfile.ZipInfo, lim: Limits, name: str) -> None:
    where = f"{name}: part {info.filename!r}"
    if info.flag_bits & 0x1:
        raise InputError(f"{where} is encrypted; save the workbook without a password")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InputError(f"{where} uses compression method {info.compress_type}, which Excel "
                         "never writes")
    if info.file_size > lim.max_part_bytes:
        raise InputError(
            f"{where} declares {info.file_size:,} bytes uncompressed, more than the limit of "
            f"{lim.max_part_bytes:,}"
        )


def _inflate(fh, size: int, info: zipfile.ZipInfo, cap: int, where: str):
    """Yield the uncompressed bytes of a part in pieces of at most ``_STEP`` bytes, refusing
    to produce more than ``cap`` (the smaller of its declared size and the limit)."""
    fh.seek(info.header_offset)
    head = fh.read(_LOCAL.size)
    if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
        raise InputError(f"{where}: bad local header")
    n_name, n_extra = _LOCAL.unpack(head)[-2:]
    start = info.header_offset + _LOCAL.size + n_name + n_extra
    if start + info.compress_size > size:
        raise InputError(f"{where}: the archive is truncated")
    fh.seek(start)
    left = info.compress_size
    produced = 0

    def over() -> InputError:
        return InputError(
            f"{where} inflates to more than {cap:,} bytes (declared {info.file_size:,}); "
            "refused as a zip bomb or a damaged file"
        )

    if info.compress_type == zipfile.ZIP_STORED:
        if left > cap:
            raise over()
        while left:
            piece = fh.read(min(_STEP, left))
            if not piece:
                raise InputError(f"{where}: the archive is truncated")
            left -= len(piece)
            yield piece
        return
    inflater = _inflate_lib.decompressobj(-15)
    while not inflater.eof:
        if inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            if left <= 0:
                raise InputError(f"{where}: the compressed data end early (damaged file)")
            data = fh.read(min(_CHUNK, left))
            if not data:
                raise InputError(f"{where}: the archive is truncated")
            left -= len(data)
        piece = inflater.decompress(data, _STEP)
        produced += len(piece)
        if produced > cap:
            raise over()
        if piece:
            yield piece
    if produced != info.file_size:
        raise InputError(
            f"{where} inflates to {produced:,} bytes but declares {info.file_size:,}; damaged "
            "or forged file"
        )


def _is_ods(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> bool:
    """An OpenDocument spreadsheet, by content (its ``mimetype`` part), whatever its name."""
    names = [i.filename for i in infos]
    if "mimetype" not in names:
        return False
    info = zf.getinfo("mimetype")
    mimetype = zf.read(info) if info.file_size <= 256 else b""
    return is_ods_package(names, mimetype)


def _xlsb_sheets(zf: zipfile.ZipFile, lim: Limits, name: str) -> set[str]:
    """The sheet parts of an .xlsb package (none for any other), as calamine finds them."""
    names = {i.filename: i for i in zf.infolist()}
    book, rels = names.get("xl/workbook.bin"), names.get("xl/_rels/workbook.bin.rels")
    if book is None or rels is None:
        return set()
    if max(book.file_size, rels.file_size) > _STEP:
        raise InputError(f"{name}: the workbook part declares more than {_STEP:,} bytes; "
                         "refused")
    return set(sheet_parts(zf.read(book), zf.read(rels)))


def _check_part(fh, size: int, info: zipfile.ZipInfo, lim: Limits, name: str, res: Preflight,
                *, ods: bool = False, xlsb: bool = False):
    """Inflate one part within its limits and scan it: every XML part with :class:`_Scan`;
    an OpenDocument spreadsheet's ``content.xml`` (``ods``) also with
    :class:`~cltv_xl.loading.preflight_ods.OdsScan`; an .xlsb sheet part (``xlsb``) with
    :class:`~cltv_xl.loading.preflight_xlsb.XlsbSheetScan`."""
    where = f"{name}: part {info.filename!r}"
    cap = min(info.file_size, lim.max_part_bytes)
    xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
    scan = _Scan(lim, where) if xml else None
    tables = OdsScan(lim.max_cells, where) if ods else None
    cells = XlsbSheetScan(lim.max_cells, where) if xlsb else None
    utf8 = _Utf8()
    for piece in _inflate(fh, size, info, cap, where):
        res.total_bytes += len(piece)
        if res.total_bytes > lim.max_total_bytes:
            raise InputError(f"{name}: the parts inflate to more than {lim.max_total_bytes:,} "
                             "bytes in total")
        if cells is not None:
            cells.feed(piece)
        if scan is not None:
            text = utf8(piece)
            scan.feed(text)  # first: it refuses a DOCTYPE before expat reads one
            if tables is not None:
                tables.feed(text)
    if cells is not None:
        rows, cols = res.sheets[info.filename] = cells.bounds
        _Bounds(lim, where).check(rows, cols, "the sheet's used range")
    if tables is not None:
        tables.close()
        for table, bounds in tables.sheets.items():
            res.sheets[f"{info.filename}#{table}"] = bounds
    if scan is None:
        return
    scan.close()
    if scan.positional:  # some row or cell has no r attribute: place them one by one
        scan = _ExactScan(lim, where)
        utf8 = _Utf8()
        for piece in _inflate(fh, size, info, cap, where):
            scan.feed(utf8(piece))
        scan.close()
    if scan.max_row or scan.max_col or scan.seen_sheet:
        res.sheets[info.filename] = (scan.max_row, scan.max_col)


class _Utf8:
    """The pieces of an XML part as UTF-8. The Open Packaging Conventions allow UTF-16 parts,
    which the byte scan cannot read (every other byte is 0), so they are transcoded as they
    stream; a reader would otherwise meet their cells unchecked."""

    def __init__(self) -> None:
        self.first = True
        self.decoder = None

    def __call__(self, piece: bytes) -> bytes:
        if self.first and len(piece) >= 2:
            self.first = False
            head = piece[:2]
            encoding = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\x00": "utf-16-le",
                        b"\x00<": "utf-16-be"}.get(head)
            if encoding:
                self.decoder = codecs.getincrementaldecoder(encoding)("replace")
        if self.decoder is None:
            return piece
        return self.decoder.decode(piece).encode("utf-8")


def _refuse_doctype(buf: bytes, n: int, where: str) -> None:
    """A DOCTYPE (where XML entities, and so entity bombs, are declared) has no place in a
    workbook: the Open Packaging Conventions forbid DTD declarations in a package's parts."""
    # "!" first: a one-byte search (memchr) is ~10x faster than the whole word, and "!" is
    # rare in a sheet, so most parts never pay for the second search.
    if buf.find(b"!", 0, n) >= 0 and buf.find(b"<!DOCTYPE", 0, n) >= 0:
        raise InputError(f"{where} holds a DOCTYPE declaration, which workbook parts never "
                         "have (possible XML entity bomb); refused")


# ------------------------------------------------------------------------------ the scan


def _col_number(letters: str) -> int:
    """1-based column number of column letters (A = 1, XFD = 16,384)."""
    return _col_index(letters.upper()) + 1


class _Bounds:
    """Largest row and column seen, checked against the limits as they grow."""

    def __init__(self, lim: Limits, where: str):
        self.lim, self.where = lim, where
        self.max_row = 0
        self.max_col = 0
        self.seen_sheet = False

    def check(self, row: int, col: int, what: str) -> None:
        lim = self.lim
        if row > lim.max_rows:
            raise InputError(f"{self.where}: {what} reaches row {row:,}, beyond the limit of "
                             f"{lim.max_rows:,} rows")
        if col > lim.max_columns:
            raise InputError(f"{self.where}: {what} reaches column {col:,}, beyond the limit of "
                             f"{lim.max_columns:,} columns")
        if row * col > lim.max_cells:
            raise InputError(
                f"{self.where}: {what} spans {row:,} rows x {col:,} columns from A1 = "
                f"{row * col:,} cells, more than the limit of {lim.max_cells:,} (a reader "
                "allocates the whole rectangle)"
            )

    def grow(self, row: int, col: int) -> None:
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        self.check(self.max_row, self.max_col, "the used range")

    def dimension(self, ref: bytes) -> None:
        self.seen_sheet = True
        text = ref.decode("ascii", "replace").strip()
        ends = text.split(":")
        rows = cols = 0
        for end in ends:
            m = _REF.fullmatch(end.strip())
            if m is None:
                if not any(ch.isdigit() for ch in end):  # a whole-column ref like "A:XFD"
                    continue
                raise InputError(f"{self.where}: the sheet's <dimension ref={text!r}> is not a "
                                 "cell range")
            if len(m.group(1)) > 4 or len(m.group(2)) > 8:
                raise InputError(f"{self.where}: the sheet declares <dimension ref={text!r}>, "
                                 "beyond the limits")
            rows = max(rows, int(m.group(2)))
            cols = max(cols, _col_number(m.group(1)))
        self.check(rows, cols, f"the declared <dimension ref={text!r}>")


class _Scan(_Bounds):
    """The fast scan of one XML part with NumPy (see the module docstring)."""

    def __init__(self, lim: Limits, where: str):
        super().__init__(lim, where)
        self.carry = b""
        self.positional = False

    def feed(self, piece: bytes) -> None:
        # One copy per piece: the carry, the piece and the zero padding the reference
        # gathers read past the end (:func:`_gather16`).
        buf = b"".join((self.carry, piece, _PAD))
        end = len(buf) - len(_PAD)
        cut = max(buf.rfind(b">", 0, end), buf.rfind(b"<", 0, end) - 1)
        if cut < 0:
            self.carry = buf[:end]
            self._check_run(end)
            return
        self._process(buf, cut + 1)
        self.carry = buf[cut + 1 : end]
        self._check_run(len(self.carry))

    def close(self) -> None:
        if self.carry:
            self._process(self.carry + b" " + _PAD, len(self.carry) + 1)
            self.carry = b""

    def _check_run(self, n: int) -> None:
        if n > self.lim.max_text_bytes:
            raise InputError(
                f"{self.where}: holds a run of more than {self.lim.max_text_bytes:,} bytes of "
                "text or whitespace with no markup; refused as a zip bomb"
            )

    def _process(self, buf: bytes, n: int) -> None:
        """Scan ``buf[:n]``, which ends at a markup character; ``buf`` holds at least
        ``len(_PAD)`` more bytes past ``n``."""
        _refuse_doctype(buf, n, self.where)
        a = np.frombuffer(buf, dtype=np.uint8, count=n)
        if len(a) > self.lim.max_text_bytes:  # only a region this long can hold a longer run
            marks = np.flatnonzero((a == 0x3C) | (a == 0x3E))  # < and >
            gaps = np.diff(marks, prepend=-1, append=len(a)) - 1
            self._check_run(int(gaps.max()))
        # Cheap pre-searches decide whether the regular expressions need to run: every
        # "dimension" contains "mensio" (which CPython finds about 4x faster than the whole
        # word in sheet XML), and a namespace prefix needs a ":" (a one-byte memchr).
        # Before that, "m" (a memchr) skips the search where it cannot match: sheet data
        # written by Excel or openpyxl has no "m" outside text (LibreOffice's rows carry
        # customFormat and customHeight, so its pieces are searched as before).
        at_m = buf.find(b"m", 0, n)
        if at_m >= 0 and buf.find(b"mensio", at_m, n) >= 0:
            for m in _DIMENSION.finditer(buf, 0, n):
                self.dimension(m.group(1))
        if buf.find(b":", 0, n) >= 0 and (
            buf.find(b":c", 0, n) >= 0 or buf.find(b":row", 0, n) >= 0
        ) and _PREFIXED.search(buf, 0, n):
            self.positional = True  # a namespace prefix: the exact pass places the cells
            return
        pad = np.frombuffer(buf, dtype=np.uint8)
        # Elements named c or row: "<c" or "<row" followed by whitespace, "/" or ">", found by
        # comparing 2 (4) bytes at a time at each of the 2 (4) alignments.
        c_at = _find(pad, len(a), b"<c")
        c_at = c_at[_end_of_name(pad, c_at + 2)]
        row_at = _find(pad, len(a), b"<row")
        row_at = row_at[_end_of_name(pad, row_at + 4)]
        if c_at.size == 0 and row_at.size == 0:
            return
        self.seen_sheet = True
        for starts, is_cell in ((c_at + 2, True), (row_at + 4, False)):
            if starts.size == 0:
                continue
            # Fast path: the first attribute is r="..." right after one whitespace character.
            # The 16 bytes from that whitespace hold the 4 bytes of ' r="' and the longest
            # value with its closing quote.
            chars = _gather16(pad, starts)
            ok = (
                _WS[chars[0]]
                & (chars[1] == 0x72)
                & (chars[2] == 0x3D)
                & (chars[3] == 0x22)
            )
            if not ok.all():
                self.positional = True
                return
            self._refs(pad, starts + 4, chars[4:], is_cell)

    #: Longest reference accepted: 3 letters and 7 digits (XFD1048576), plus one for errors.
    _LONGEST = 11

    def _refs(self, pad: np.ndarray, at: np.ndarray, chars: np.ndarray, is_cell: bool) -> None:
        """Parse the r="..." values starting at ``at``: capital letters (cells only), then
        digits, up to the closing quote, one character position at a time for all values.

        ``chars[j]`` holds byte j of every value (at least ``_LONGEST + 1`` rows), gathered
        at once by :func:`_gather16`: a gather of one byte per position and value was most of
        the scan's time."""
        length = np.full(len(at), -1, dtype=np.int64)
        for j in range(self._LONGEST + 1):
            length[(length < 0) & (chars[j] == 0x22)] = j
        if (length < 0).any():
            i = int(np.flatnonzero(length < 0)[0])
            text = pad[at[i] : at[i] + 16].tobytes().split(b'"')[0].decode("ascii", "replace")
            raise InputError(f"{self.where}: reference {text!r} is not valid or beyond the "
                             f"limits of {self.lim.max_rows:,} rows x "
                             f"{self.lim.max_columns:,} columns")
        end = at + length
        n = len(at)
        col = np.zeros(n, dtype=np.int64)
        row = np.zeros(n, dtype=np.int64)
        any_up = np.zeros(n, dtype=bool)
        any_dig = np.zeros(n, dtype=bool)
        letters = np.full(n, is_cell)
        valid = np.ones(n, dtype=bool)
        for j in range(int(length.max())):
            inside = j < length
            ch = chars[j]
            up = letters & ((ch - np.uint8(0x41)) < 26)  # uint8 arithmetic wraps below "A"
            up &= inside
            digit = ch - np.uint8(0x30)
            dig = (digit < 10) & inside  # never a letter too: the two ranges are disjoint
            letters = up
            if up.any():
                np.multiply(col, 26, out=col, where=up)
                np.add(col, ch - np.uint8(0x40), out=col, where=up)
                any_up |= up
            np.multiply(row, 10, out=row, where=dig)
            np.add(row, digit, out=row, where=dig)
            any_dig |= dig
            valid &= ~inside | up | dig
        bad = ~valid | ~any_dig
        if is_cell:
            bad |= ~any_up
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            text = pad[at[i] : end[i]].tobytes().decode("ascii", "replace")
            raise InputError(f"{self.where}: cell or row reference {text!r} is not valid")
        if (row == 0).any():
            raise InputError(f"{self.where}: a cell or row reference has row 0 (rows start at 1)")
        self.grow(int(row.max()), int(col.max()) if is_cell else self.max_col)


def _gather16(pad: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 16 bytes of ``pad`` from each position ``at`` (``pad`` extends at least 16 bytes
    past them), as a (16, len(at)) array: row j holds every value's byte j.

    One gather of 16-byte items from a view whose items start at every byte (stride 1), then
    a transposed copy so each row is contiguous: about 3x faster than gathering aligned
    64-bit words and shifting them into place, and 16x fewer gathers than one per byte."""
    items = np.ndarray(shape=(len(pad) - 15,), dtype=_BYTES16, buffer=pad, strides=(1,))
    return np.ascontiguousarray(items[at].view(np.uint8).reshape(len(at), 16).T)


def _find(pad: np.ndarray, n: int, word: bytes) -> np.ndarray:
    """Positions below ``n`` where ``word`` (2 or 4 bytes) starts in ``pad``."""
    kind = {2: "<u2", 4: "<u4"}[len(word)]
    target = int.from_bytes(word, "little")
    width = len(word)
    found = []
    raw = pad.data
    for offset in range(width):
        count = (n - offset) // width
        if count <= 0:
            continue
        view = np.frombuffer(raw, dtype=kind, count=count, offset=offset)
        found.append(np.flatnonzero(view == target) * width + offset)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def _end_of_name(pad: np.ndarray, at: np.ndarray) -> np.ndarray:
    b = pad[at]
    return _WS[b] | (b == 0x2F) | (b == 0x3E)


_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_ATTR_R = re.compile(rb"(?:^|\s)r\s*=\s*([\"'])(.*?)\1", re.S)


class _ExactScan(_Bounds):
    """Element-by-element placement of rows and cells, for parts where some have no ``r``
    attribute (a reader then puts a row after the previous one and a cell after the previous
    cell). Slower than :class:`_Scan`, and only used when needed."""

    def __init__(self, lim: Limits, where: str):
        super().__init__(lim, where)
        self.carry = b""
        self.row = 0
        self.col = 0
        self.positional = False

    def feed(self, piece: bytes) -> None:
        buf = self.carry + piece
        cut = buf.rfind(b">")
        if cut < 0:
            self.carry = buf
            return
        self._process(buf[: cut + 1])
        self.carry = buf[cut + 1 :]

    def close(self) -> None:
        self.carry = b""

    def _process(self, buf: bytes) -> None:
        _refuse_doctype(buf, len(buf), self.where)
        for m in _DIMENSION.finditer(buf):
            self.dimension(m.group(1))
        for m in _TAG.finditer(buf):
            if m.group(1):  # an end tag
                continue
            self.seen_sheet = True
            r = _ATTR_R.search(m.group(3))
            ref = r.group(2).decode("ascii", "replace").strip() if r else None
            if m.group(2) == b"row":
                if ref is None:
                    self.row += 1
                elif ref.isdigit() and len(ref) <= 8:
                    self.row = int(ref)
                else:
                    raise InputError(f"{self.where}: row reference {ref!r} is not valid")
                if self.row == 0:
                    raise InputError(f"{self.where}: a row has number 0 (rows start at 1)")
                self.col = 0
                self.grow(self.row, self.max_col)
                continue
            if ref is None:
                self.col += 1
                row = max(self.row, 1)
            else:
                c = _REF.fullmatch(ref)
                if c is None or len(c.group(1)) > 4 or len(c.group(2)) > 8:
                    raise InputError(f"{self.where}: cell reference {ref!r} is not valid or "
                                     "beyond the limits")
                self.col, row = _col_number(c.group(1)), int(c.group(2))
                if row == 0:
                    raise InputError(f"{self.where}: cell reference {ref!r} has row 0")
            self.grow(row, self.col)
