#!/usr/bin/env bash
# The version matrix: for each Python interpreter (default: Python 3.11 and 3.13; set
# MATRIX_PYTHONS="3.11 3.12 3.13" for more), a virtualenv per leg in .matrix/, then the tests.
#   floor   every runtime dependency at the floor pyproject.toml declares
#           (pins from scripts/floor_constraints.py; test tools at their newest)
#   newest  everything at its newest version (pip install --upgrade --upgrade-strategy eager)
# An interpreter is taken from the PATH (pythonX.Y) or, failing that, from pyenv's versions.
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

results=()
status=0
pythons=()
for v in ${MATRIX_PYTHONS:-3.11 3.13}; do
  if py="$(find_python "$v")"; then pythons+=("$py"); else
    results+=("MISSING python$v (no interpreter found)"); status=1; fi
done
PIP_FLAGS=(-q --disable-pip-version-check)
mkdir -p .matrix
for py in "${pythons[@]}"; do
  for leg in floor newest; do
    name="$("$py" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')-$leg"
    venv=".matrix/$name"
    echo "=== matrix leg $name ==="
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    if [ "$leg" = floor ]; then
      "$py" scripts/floor_constraints.py > "$venv/floors.txt"
      # Reinstall only when the floors changed; the pins make the result reproducible.
      cmp -s "$venv/floors.txt" "$venv/floors.installed" 2>/dev/null ||
        { "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -c "$venv/floors.txt" -e '.[test]' &&
          cp "$venv/floors.txt" "$venv/floors.installed"; }
    else
      "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" --upgrade --upgrade-strategy eager \
        -e '.[test]'
    fi
    if [ $? -ne 0 ]; then results+=("FAIL $name (install)"); status=1; continue; fi
    "$venv/bin/python" -c 'import importlib.metadata as m
names = ["numpy", "pandas", "scipy", "openpyxl", "xlwings", "fastexcel", "pyarrow"]
print("versions:", ", ".join(f"{n} {m.version(n)}" for n in names))'
    if "$venv/bin/python" -m pytest -n 2 -q -p no:cacheprovider -m "not slow"; then
      results+=("PASS $name")
    else
      results+=("FAIL $name"); status=1
    fi
  done
done
echo "=== matrix ==="
printf '%s\n' "${results[@]}"
exit $status
