#!/usr/bin/env bash
# The version matrix: for each Python interpreter (default: Python 3.11 and 3.13; set
# MATRIX_PYTHONS="3.11 3.12 3.13" for more), a virtualenv per leg in .matrix/, then the tests.
#   floor   every runtime dependency at the floor pyproject.toml declares
#           (pins from scripts/floor_constraints.py; test tools at their newest)
#   newest  everything at its newest version (pip install --upgrade --upgrade-strategy eager)
# MATRIX_SKIP="py3.11-newest" leaves legs out (`make test` does: its own suite is that leg).
# An interpreter is taken from the PATH (pythonX.Y) or, failing that, from pyenv's versions
# ($PYENV_ROOT or ~/.pyenv); a missing one fails the run loudly.
# A leg's venv is installed once and reused while it is current: a floor leg until
# pyproject.toml/setup.py change; a newest leg until they change or its install is a day old
# (MATRIX_REFRESH=1 reinstalls every leg now).
# The wheel test (marked slow) runs once, in `make test`'s own environment, not in every leg.
# Exits non-zero when a leg fails or an interpreter is missing; prints one line per leg at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

find_python() {  # an interpreter for version $1 that really runs, or nothing
  local v=$1 c
  for c in "$(command -v "python$v" 2>/dev/null)" \
           "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import venv' >/dev/null 2>&1; then
      echo "$c"; return 0
    fi
  done
  return 1
}

# What a leg's install depends on: the floor pins (floor legs) and the package's metadata.
install_key() {  # $1 = python, $2 = leg
  { [ "$2" = floor ] && "$1" scripts/floor_constraints.py
    cat pyproject.toml setup.py; } | sha256sum | cut -d' ' -f1
}

current() {  # is venv $1 installed with key $2 (and, for a newest leg, less than a day ago)?
  local stamp="$1/.matrix-installed"
  [ "${MATRIX_REFRESH:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$2" ] &&
    { [ "$3" = floor ] || [ -z "$(find "$stamp" -mmin +1440)" ]; }
}

results=()
status=0
pythons=()
for v in ${MATRIX_PYTHONS:-3.11 3.13}; do
  if py="$(find_python "$v")"; then pythons+=("$py"); else
    results+=("MISSING python$v: no interpreter on the PATH or in pyenv's versions"); status=1
    echo "matrix: no Python $v found (PATH, ${PYENV_ROOT:-$HOME/.pyenv}/versions)" >&2; fi
done
PIP_FLAGS=(-q --disable-pip-version-check)
mkdir -p .matrix
start=$SECONDS
for py in "${pythons[@]}"; do
  for leg in floor newest; do
    name="$("$py" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')-$leg"
    case " ${MATRIX_SKIP:-} " in *" $name "*) results+=("SKIP $name (MATRIX_SKIP)"); continue;; esac
    venv=".matrix/$name"
    leg_start=$SECONDS
    echo "=== matrix leg $name ($py) ==="
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    key="$(install_key "$py" "$leg")"
    if current "$venv" "$key" "$leg"; then
      echo "installed and current: no install"
    else
      rm -f "$venv/.matrix-installed"
      if [ "$leg" = floor ]; then
        "$py" scripts/floor_constraints.py > "$venv/floors.txt"
        "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -c "$venv/floors.txt" -e '.[test]'
      else
        "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" --upgrade --upgrade-strategy eager \
          -e '.[test]'
      fi
      if [ $? -ne 0 ]; then results+=("FAIL $name (install)"); status=1; continue; fi
      echo "$key" > "$venv/.matrix-installed"
    fi
    "$venv/bin/python" -c 'import importlib.metadata as m, platform
names = ["numpy", "pandas", "scipy", "openpyxl", "xlwings", "fastexcel", "pyarrow", "duckdb"]
print("versions: Python", platform.python_version() + ",",
      ", ".join(f"{n} {m.version(n)}" for n in names))'
    if "$venv/bin/python" -m pytest -n 2 -q -p no:cacheprovider -m "not slow"; then
      results+=("PASS $name ($((SECONDS - leg_start)) s)")
    else
      results+=("FAIL $name ($((SECONDS - leg_start)) s)"); status=1
    fi
  done
done
echo "=== matrix ($((SECONDS - start)) s) ==="
printf '%s\n' "${results[@]}"
exit $status
