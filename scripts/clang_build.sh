#!/usr/bin/env bash
# Builds the library, the dfd tool and the examples with clang in _build_clang/, so code only GCC
# accepts (a lambda capturing a structured binding is not C++17) cannot land. CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
cmake -S . -B _build_clang -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DDFD_BUILD_PYTHON=OFF -DDFD_BUILD_TESTS=OFF -DDFD_BUILD_EXAMPLES=ON >/dev/null
cmake --build _build_clang
echo "clang: library, dfd tool and examples built"
