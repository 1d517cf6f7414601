"""Pre-flight checks started ahead, in a child process.

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
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from ..errors import InputError
from .preflight import CHECKED_SUFFIXES, Limits, Preflight, _check, limits_in_effect

__all__ = ["start_check", "stop_pending", "take_result"]

#: Checks started by :func:`start_check`: (file identity, limits) -> the child process.
_PENDING: dict[tuple, subprocess.Popen] = {}


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


@atexit.register
def stop_pending() -> None:
    """Stop the children whose result nobody took (the run failed before reading); also run
    at exit."""
    while _PENDING:
        _key, proc = _PENDING.popitem()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _main(argv: list[str]) -> int:
    """The child: check ``argv[0]`` with the limits of ``argv[1]`` (JSON) and print the result
    or the refusal as JSON."""
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
