"""Print a pip constraints file pinning every runtime dependency to its declared floor.

``python scripts/floor_constraints.py > floors.txt`` turns each ``name>=X`` of
``[project] dependencies`` in pyproject.toml into ``name==X`` (environment markers kept), so
``pip install -c floors.txt .`` installs the oldest versions the package claims to support.
The test tools (the ``test`` extra) are left free: they are not what users get.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(;.*)?$")


def floor_pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """``name==floor[; marker]`` for every runtime dependency; each must declare a ``>=`` floor."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins = []
    for dep in deps:
        match = FLOOR.match(dep)
        if match is None:
            raise SystemExit(f"dependency without a plain '>=' floor: {dep!r}")
        name, version, marker = match.groups()
        pins.append(f"{name}=={version}{' ' + marker if marker else ''}")
    return pins


if __name__ == "__main__":
    sys.stdout.write("".join(pin + "\n" for pin in floor_pins()))
