#!/usr/bin/env bash
# Builds libdfd as a static library with clang in _build_clang/ — the library, the dfd tool, the
# examples and the C++ tests — and runs the data-free unit tests there. Code only GCC accepts (a
# lambda capturing a structured binding is not C++17) cannot land, and a static build keeps its
# model zoo (the registry is an explicit list). CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
cmake -S . -B _build_clang -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DDFD_STATIC=ON \
  -DDFD_BUILD_PYTHON=OFF -DDFD_BUILD_TESTS=ON -DDFD_BUILD_EXAMPLES=ON >/dev/null
cmake --build _build_clang
(cd _build_clang && ctest --output-on-failure -R dfd_unit_tests)
echo "clang: static library, dfd tool, examples and tests built; unit tests passed"
