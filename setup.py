"""Builds the extension module dfd._dfd with CMake; everything else is in pyproject.toml.

The CMake tree defaults to build/cmake (setuptools owns build/ otherwise); set DFD_CMAKE_BUILD_DIR
to reuse an existing configured tree (scripts/setup.sh points it at _build, so nothing is
compiled twice). libdfd.so is copied next to the module, which finds it through its $ORIGIN rpath,
and the shipped models (models/*.safetensors) into dfd/models, where libdfd looks for them.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = Path(os.environ.get("DFD_CMAKE_BUILD_DIR", ROOT / "build" / "cmake")).resolve()
        build_dir.mkdir(parents=True, exist_ok=True)
        if not (build_dir / "CMakeCache.txt").exists():
            subprocess.run(
                ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}",
                 "-DDFD_BUILD_TESTS=OFF", "-DDFD_BUILD_EXAMPLES=OFF", "-DDFD_BUILD_APPS=OFF"],
                check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_dfd", "-j", jobs], check=True)

        out_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        out_dir.mkdir(parents=True, exist_ok=True)
        modules = glob.glob(str(build_dir / "_dfd*.so"))
        if len(modules) != 1:
            raise RuntimeError(f"expected one _dfd module in {build_dir}, found {modules}")
        shutil.copy2(modules[0], Path(self.get_ext_fullpath(ext.name)))
        # The module needs libdfd under its SONAME (libdfd.so.MAJOR.MINOR); copy the real file
        # under that name only (symlinks do not survive wheels).
        sonames = [p for p in build_dir.glob("libdfd.so.*") if re.fullmatch(r"libdfd\.so\.\d+\.\d+", p.name)]
        if len(sonames) != 1:
            raise RuntimeError(f"expected one libdfd.so.MAJOR.MINOR in {build_dir}, found {sonames}")
        shutil.copy2(os.path.realpath(sonames[0]), out_dir / sonames[0].name)
        # The default preset's weights (models/): libdfd looks for them in models/ beside itself.
        # Emptied first, so a model renamed or dropped since a previous build does not ship too.
        shutil.rmtree(out_dir / "models", ignore_errors=True)
        (out_dir / "models").mkdir()
        for model in sorted((ROOT / "models").glob("*.safetensors")) + [ROOT / "models" / "NOTICE.md"]:
            shutil.copy2(model, out_dir / "models" / model.name)


setup(ext_modules=[CMakeExtension("dfd._dfd")], cmdclass={"build_ext": CMakeBuild})
