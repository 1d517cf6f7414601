"""Work started ahead while the libraries import: the pre-flight checks in a child process,
then the sheet's read in a thread.

``cltv-xl report`` spends its first second importing pandas, SciPy and openpyxl: pure Python
that holds the GIL. :func:`start_check` runs :func:`~cltv_xl.loading.preflight.check_workbook`
of the input meanwhile in a child Python process (``python -m cltv_xl.loading.ahead PATH
LIMITS``), on the other core. The next ``check_workbook`` of the same unchanged file with the
same limits takes the child's result, or raises its one-line
:class:`~cltv_xl.errors.InputError`, instead of checking again; fastexcel still opens the file
only after that result is in, so the guarantees are those of ``check_workbook``.

A thread cannot do this: the scan is many short NumPy calls, each of which must win the GIL
back from the importing thread (a thread spinning in Python slows the 200k-row check from
0.20 s to 14 s: ``python bench/bench_preflight.py --beside-python``), and the report was about
0.2 s slower with such a thread than with none (``python bench/bench_report.py ab``).

When no child can run (no ``sys.executable``, a frozen application, WebAssembly) or the child
fails in any other way than a refused workbook, the check simply runs in-process later.

:func:`start_read` goes one step further once pandas is in (the header search needs it): a
thread waits for the checks' result, finds the sheet and its header row, and runs fastexcel's
read of the mapped columns, while the command goes on to import SciPy and openpyxl and load
the report template. Unlike the checks, that read suits a thread: fastexcel releases the GIL
while it reads (0.269 s alone, 0.281 s beside a thread running Python, at 200k rows). The next
:func:`~cltv_xl.loading.sources.read_workbook` of the same unchanged file, sheet and column
choices takes that read (or its error) instead of reading again.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from ..errors import InputError
from .limits import CHECKED_SUFFIXES, Limits, Preflight, limits_in_effect

# (.limits, not .preflight, which needs NumPy: the program starts the checks before NumPy loads)

__all__ = ["start_check", "start_read", "stop_pending", "take_read", "take_result"]

#: Checks started by :func:`start_check`: (file identity, limits) -> the child process.
_PENDING: dict[tuple, subprocess.Popen] = {}
#: Reads started by :func:`start_read`: (file identity, sheet, columns, limits) -> the read.
_READS: dict[tuple, _Read] = {}


def _identity(path) -> tuple | None:
    """The file as it is now (resolved path, size, modification time, inode), or None."""
    try:
        p = Path(path).expanduser().resolve()
        st = p.stat()
    except (OSError, RuntimeError):
        return None
    return (str(p), st.st_size, st.st_mtime_ns, st.st_ino)


def _can_spawn() -> bool:
    return (bool(sys.executable) and not getattr(sys, "frozen", False)
            and sys.platform not in ("emscripten", "wasi"))


def start_check(path, limits: Limits | None = None) -> bool:
    """Start the pre-flight check of the .xlsx/.xlsm file ``path`` in a child process and
    return at once; True when one was started."""
    if Path(path).suffix.lower() not in CHECKED_SUFFIXES or not _can_spawn():
        return False
    lim = limits or limits_in_effect()
    ident = _identity(path)
    if ident is None or (ident, lim) in _PENDING:
        return False
    # The child imports this very copy of cltv_xl: its folder leads PYTHONPATH, and -P keeps
    # the working directory (which may hold another checkout) off sys.path.
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__, os.fspath(path),
             json.dumps(dataclasses.asdict(lim))],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
    except OSError:
        return False
    _PENDING[(ident, lim)] = proc
    return True


def take_result(path, limits: Limits) -> Preflight | None:
    """The result of a check started ahead for ``path`` as it is now and ``limits``: the
    :class:`Preflight`, or the child's InputError raised here; None when there is none, the
    file changed since, or the child failed otherwise (then the caller checks in-process)."""
    ident = _identity(path)
    proc = _PENDING.pop((ident, limits), None)
    if proc is None:
        return None
    try:
        out, _err = proc.communicate()
    finally:
        if proc.poll() is None:  # interrupted while waiting
            proc.kill()
            proc.wait()
    if proc.returncode != 0 or _identity(path) != ident:
        return None
    try:
        answer = json.loads(out)
    except ValueError:
        return None
    if "error" in answer:
        raise InputError(answer["error"])
    return Preflight(sheets={k: (int(r), int(c)) for k, (r, c) in answer["sheets"].items()},
                     total_bytes=int(answer["total_bytes"]), parts=int(answer["parts"]))


class _Read:
    """A sheet checked, located and read in a worker thread.

    The thread first waits for the checks started ahead (blocked on the child's pipe, which
    leaves the GIL to the importing thread); without their result it stops, and the read is
    done the ordinary way later, so the in-process checks never run beside the imports."""

    def __init__(self, path: Path, sheet, overrides: dict, limits: Limits) -> None:
        self.error: BaseException | None = None
        self.out: tuple | None = None
        self.thread = threading.Thread(target=self._work, args=(path, sheet, overrides, limits),
                                       name="cltv-xl read", daemon=True)
        self.thread.start()

    def _work(self, path: Path, sheet, overrides: dict, limits: Limits) -> None:
        from .sources import load_sheet_columns, locate_sheet

        try:
            if path.suffix.lower() in CHECKED_SUFFIXES and take_result(path, limits) is None:
                return  # no result from a child: read the ordinary way later
            reader, name, match = locate_sheet(path, sheet, overrides, checked=True)
            self.out = (reader, name, match, load_sheet_columns(reader, path, name, match))
        except BaseException as exc:  # raised again where the read is taken, in its place
            self.error = exc

    def result(self) -> tuple | None:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.out


def _read_key(path, sheet, overrides: dict) -> tuple | None:
    ident = _identity(path)
    if ident is None:
        return None
    try:
        return (ident, sheet, tuple(sorted(overrides.items())), limits_in_effect())
    except TypeError:  # an unorderable or unhashable column choice: no read ahead
        return None


def start_read(path, sheet, overrides: dict) -> bool:
    """Start checking, locating and reading the columns of the workbook ``path`` in a thread
    (see the module docstring); True when a read was started. Errors are kept for the read
    that takes it. Call it once pandas is imported: the thread then imports nothing the
    calling thread may be importing at the same time."""
    import fastexcel  # noqa: F401  (imported here, not in the thread)

    from .sources import EXCEL_SUFFIXES

    path = Path(path).expanduser()
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return False
    key = _read_key(path, sheet, overrides)
    if key is None or key in _READS:
        return False
    _READS[key] = _Read(path, sheet, overrides, key[-1])
    return True


def take_read(path, sheet, overrides: dict):
    """The read started ahead for ``path`` as it is now, ``sheet`` and ``overrides``:
    ``(reader, sheet name, HeaderMatch, (sheet data, batch))``, or its InputError raised here;
    None when there is none or the file changed since it started."""
    key = _read_key(path, sheet, overrides)
    read = _READS.pop(key, None) if key is not None else None
    if read is None:
        return None
    out = read.result()
    return out if _identity(path) == key[0] else None


@atexit.register
def stop_pending() -> None:
    """Stop the children whose result nobody took (the run failed before reading), and forget
    reads nobody took; also run at exit."""
    _READS.clear()  # their threads are daemons; fastexcel's read cannot be interrupted
    while _PENDING:
        _key, proc = _PENDING.popitem()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _main(argv: list[str]) -> int:
    """The child: check ``argv[0]`` with the limits of ``argv[1]`` (JSON) and print the result
    or the refusal as JSON."""
    from .preflight import _check

    path, limits = argv[0], Limits(**json.loads(argv[1]))
    try:
        res = _check(path, limits)
    except InputError as exc:
        answer = {"error": str(exc)}
    else:
        answer = {"sheets": res.sheets, "total_bytes": res.total_bytes, "parts": res.parts}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
