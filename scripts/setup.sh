#!/usr/bin/env bash
# Installs and builds everything on Debian 12; safe to run again (it redoes only what is missing).
#   1. Debian packages (LibTorch, OpenCV, FFmpeg, ...; PyPI is not needed)
#   2. CMake configure + build in _build/ (library, dfd tool, _dfd module, tests, examples)
#   3. a venv in .venv/ from Debian's /usr/bin/python3 (it has torch) with system site-packages
#   4. pip install of the dfd package into it, offline, reusing the _build/ tree
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ pkg-config ccache clang libclang-rt-14-dev libomp-dev
  libtorch-dev python3-torch python3-torchvision libopenblas0-pthread
  libopencv-dev python3-opencv opencv-data pybind11-dev python3-pybind11
  libavcodec-dev libavformat-dev libswscale-dev libswresample-dev libavutil-dev libavfilter-dev ffmpeg
  libeigen3-dev libfmt-dev doctest-dev nlohmann-json3-dev libcli11-dev libfftw3-dev libdlib-dev libdlib-data
  python3-numpy python3-scipy python3-sklearn python3-h5py python3-pandas python3-matplotlib
  python3-pytest python3-venv python3-pip python3-setuptools python3-wheel python3-tqdm
  python3-nbclient python3-ipykernel python3-torchaudio
  libcpp-httplib-dev
  chromium chromium-driver python3-selenium python3-dask python3-distributed
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
else
  echo "setup: Debian packages already installed"
fi

# ccache keys on paths relative to the checkout, so a clone elsewhere (CI's) reuses the cache.
export CCACHE_BASEDIR="$PWD"
# The python3 first on PATH may lack torch (TOOLCHAIN.md trap 2): always Debian's.
PYTHON=/usr/bin/python3
cmake -S . -B _build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE="$PYTHON"
cmake --build _build

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv --system-site-packages .venv
fi
# Offline: build requirements and numpy come from Debian (no build isolation, no index).
DFD_CMAKE_BUILD_DIR="$PWD/_build" .venv/bin/pip install --quiet --no-build-isolation --no-index .
echo "setup: done — run scripts/test.sh"
