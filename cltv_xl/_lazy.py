"""Lazy public names for a package (PEP 562): the one ``__getattr__`` that the packages of
cltv-xl use, so that importing a package does not import every submodule it re-exports."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, where: dict[str, str],
                 namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: a name of ``where`` (name -> module, absolute
    or relative to ``package``) is imported on first use and stored in ``namespace`` (the
    package's ``globals()``), so later lookups skip this function; any other name raises
    AttributeError as a module does."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    return __getattr__
