"""scripts/matrix.sh (the version matrix `make test` runs): a missing interpreter fails the run
loudly, and skipped legs are named, never silently dropped. No leg is installed or run here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _matrix(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "matrix.sh")], capture_output=True, text=True,
        env={**os.environ, **env}, timeout=120, check=False,
    )


def test_a_missing_interpreter_fails_the_matrix():
    run = _matrix(MATRIX_PYTHONS="3.99", PYENV_ROOT=str(ROOT / "no-such-pyenv"))
    assert run.returncode == 1
    assert "MISSING python3.99: no interpreter on the PATH or in pyenv's versions" in run.stdout
    assert "no Python 3.99 found" in run.stderr


def test_skipped_legs_are_listed():
    version = "{}.{}".format(*sys.version_info[:2])
    legs = f"py{version}-floor py{version}-newest"
    run = _matrix(MATRIX_PYTHONS=version, MATRIX_SKIP=legs)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-2:] == [f"SKIP {leg} (MATRIX_SKIP)" for leg in legs.split()]
