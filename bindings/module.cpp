// The extension module dfd._dfd. The Python package `dfd` re-exports it (python/dfd/__init__.py).
#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "face.hpp"
#include "media.hpp"

PYBIND11_MODULE(_dfd, m) {
  m.doc() = "libdfd: deepfake detection engine (C++ core)";
  m.attr("__version__") = DFD_VERSION;
  dfd::python::register_errors(m);
  dfd::python::register_media(m);
  dfd::python::register_face(m);
}
