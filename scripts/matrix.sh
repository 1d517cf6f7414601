#!/usr/bin/env bash
# The version matrix: for each Python interpreter given (default: python3.11, python3.12 and
# python3.13, those that exist), a virtualenv per leg in .matrix/, then the test suite in it.
#   floor   every runtime dependency at the floor pyproject.toml declares
#           (pins from scripts/floor_constraints.py; test tools at their newest)
#   newest  everything at its newest version (pip install --upgrade --upgrade-strategy eager)
# The wheel test (marked slow) runs once, in `make test`'s own environment, not in every leg.
# Exits non-zero when a leg fails; prints one line per leg at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
pythons=("$@")
if [ ${#pythons[@]} -eq 0 ]; then
  for p in python3.11 python3.12 python3.13; do
    if command -v "$p" >/dev/null 2>&1; then pythons+=("$p"); else
      echo "matrix: $p not found on this machine; its legs are not run" >&2; fi
  done
fi
PIP_FLAGS=(-q --disable-pip-version-check)
mkdir -p .matrix
results=()
status=0
for py in "${pythons[@]}"; do
  for leg in floor newest; do
    name="$($py -c 'import sys; print("py%d.%d" % sys.version_info[:2])')-$leg"
    venv=".matrix/$name"
    echo "=== matrix leg $name ==="
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    if [ "$leg" = floor ]; then
      python3 scripts/floor_constraints.py > "$venv/floors.txt"
      # Reinstall only when the floors changed; the pins make the result reproducible.
      if ! cmp -s "$venv/floors.txt" "$venv/floors.installed" 2>/dev/null; then
        "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -c "$venv/floors.txt" -e '.[test]' &&
          cp "$venv/floors.txt" "$venv/floors.installed"
      fi
    else
      "$venv/bin/python" -m pip install "${PIP_FLAGS[@]}" --upgrade --upgrade-strategy eager \
        -e '.[test]'
    fi
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
