#!/usr/bin/env bash
# Runs every test: the C++ suite, the examples and the install check (ctest), then the Python
# suite (pytest, against the package setup.sh installed into .venv). Needs ../shared (or
# DFD_SHARED_DIR): tests fail, never skip, without it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f _build/CMakeCache.txt ] || [ ! -x .venv/bin/python ]; then
  echo "test: nothing built yet — run scripts/setup.sh first" >&2
  exit 1
fi
shared="${DFD_SHARED_DIR:-$PWD/../shared}"
if [ ! -d "$shared/golden" ] || [ ! -d "$shared/data" ]; then
  echo "test: shared test data not found at $shared (data, weights, golden); set DFD_SHARED_DIR" >&2
  exit 1
fi

export CCACHE_BASEDIR="$PWD"
cmake --build _build
(cd _build && ctest --output-on-failure)
# dfd serve's browser test saves the page's screenshots for docs/ here.
export DFD_SCREENSHOTS="${DFD_SCREENSHOTS:-$PWD/docs/images}"
# Run from tests/ so the import is the installed package, never the source tree.
.venv/bin/python -m pytest -q -p no:cacheprovider --rootdir=. -c pyproject.toml tests/python
