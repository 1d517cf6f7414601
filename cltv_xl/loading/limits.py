"""The limits of the pre-flight checks, and which workbooks get them.

Kept apart from :mod:`cltv_xl.loading.preflight` (which needs NumPy) so that the ``cltv-xl``
program can start the checks in a child process (:mod:`cltv_xl.loading.ahead`) before it has
imported anything heavy: the child starts about 0.08 s sooner than when NumPy had to load first.
:mod:`cltv_xl.loading.preflight` re-exports every name here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["CHECKED_SUFFIXES", "Limits", "Preflight", "limits_in_effect", "set_limits",
           "use_limits"]

#: The workbooks :func:`~cltv_xl.loading.preflight.check_workbook` reads (SpreadsheetML,
#: binary .xlsb and OpenDocument zip packages, legacy BIFF .xls compound files).
CHECKED_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".ods", ".xls")

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Limits of :func:`~cltv_xl.loading.preflight.check_workbook`; a workbook above any of
    them is refused."""

    max_rows: int = 1_048_576
    max_columns: int = 16_384
    #: rows x columns of the used range counted from A1 (32 bytes a cell in the reader).
    max_cells: int = 1 << 25
    #: uncompressed bytes of one zip part, and of all parts together.
    max_part_bytes: int = GiB
    max_total_bytes: int = 3 * GiB
    #: longest run of text or whitespace between two markup characters of an XML part.
    max_text_bytes: int = 32 * MiB
    max_parts: int = 10_000


@dataclass
class Preflight:
    """What the checks measured: per sheet part (max row, max column) from A1, and bytes."""

    sheets: dict[str, tuple[int, int]] = field(default_factory=dict)
    total_bytes: int = 0
    parts: int = 0


_DEFAULT: list[Limits] = [Limits()]  # the process-wide default (set_limits)
_CURRENT: ContextVar[Limits | None] = ContextVar("cltv_xl_preflight_limits", default=None)


def limits_in_effect() -> Limits:
    """The limits :func:`~cltv_xl.loading.preflight.check_workbook` applies when it is given
    none."""
    return _CURRENT.get() or _DEFAULT[0]


def set_limits(limits: Limits | None) -> None:
    """Set the process-wide default limits (``None`` restores the defaults of :class:`Limits`)."""
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits; got {type(limits).__name__}")
    _DEFAULT[0] = limits or Limits()


@contextlib.contextmanager
def use_limits(limits: Limits) -> Iterator[Limits]:
    """Apply ``limits`` to every workbook read inside the ``with`` block (this thread or task).

    >>> with use_limits(Limits(max_rows=100_000)):
    ...     tx = read_transactions("orders.xlsx")  # doctest: +SKIP
    """
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits; got {type(limits).__name__}")
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
