"""Packaging: the wheel is complete and builds without warnings; it installs in a fresh venv and
runs ``cltv-xl demo``; the declared floors are well-formed for the version matrix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from floor_constraints import floor_pins  # noqa: E402


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The machine's PYTHONDONTWRITEBYTECODE makes setuptools print "byte-compiling is disabled";
    # that is the environment talking, not the project.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    return env


#: What the wheel is built from (setup.py finds the packages and the templates folder).
_SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "cltv_xl", "templates")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, built from a copy of the sources: setuptools writes ``build/`` beside them,
    and two test workers building in one tree at once collide there."""
    out = tmp_path_factory.mktemp("wheel")
    tree = tmp_path_factory.mktemp("sources")
    for name in _SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tree / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, tree / name)
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", str(tree), "-w", str(out)],
        capture_output=True, text=True, env=_env(), check=False, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (path,) = out.glob("cltv_xl-*.whl")
    return path, run.stdout + run.stderr


def test_wheel_builds_without_warnings(wheel):
    _, log = wheel
    noise = "is ignored: it is neither a file nor a directory"  # this machine's pip config
    warnings = [line for line in log.splitlines() if "warn" in line.lower() and noise not in line]
    assert warnings == []


def test_wheel_ships_every_module_and_data_file(wheel):
    path, _ = wheel
    names = set(zipfile.ZipFile(path).namelist())
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cltv_xl").rglob("*.py")}
    assert source <= names, sorted(source - names)
    assert "cltv_xl/data/CDNOW_sample.txt" in names
    assert {"cltv_xl/templates/cltv_report.xlsx", "cltv_xl/templates/manifest.xml"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "bench/"))]


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_runs_the_demo(wheel, tmp_path):
    path, _ = wheel
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(path)],
        capture_output=True, text=True, env=_env(), check=False, timeout=900,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    demo = subprocess.run(
        [str(env_dir / "bin" / "cltv-xl"), "demo", "-o", str(tmp_path / "demo")],
        capture_output=True, text=True, env=_env(), cwd=tmp_path, check=False, timeout=600,
    )
    assert demo.returncode == 0, demo.stderr
    assert "warning" not in demo.stderr.lower(), demo.stderr
    for name in ("orders.xlsx", "cltv-report.xlsx", "cltv-summary.json"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    # Runtime dependencies only: the test tools are not installed with the package.
    listed = subprocess.run([str(py), "-m", "pip", "list"], capture_output=True, text=True,
                            env=_env(), check=True).stdout.lower()
    assert "pytest" not in listed and "lifetimes" not in listed
    assert "xlwings" in listed  # Excel users need it: a dependency, not an extra (README)


def test_every_runtime_dependency_has_a_floor():
    pins = floor_pins()
    assert any(p.startswith("pandas==") for p in pins)
    assert all("==" in p for p in pins)
