// The extension module dfd._dfd. The Python package `dfd` re-exports it (python/dfd/__init__.py).
#include <pybind11/pybind11.h>

#include "dfd/csv.hpp"
#include "dfd/runtime.hpp"
#include "dfd/utf8.hpp"
#include "fs_path.hpp"
#include "audio.hpp"
#include "classify.hpp"
#include "detector.hpp"
#include "errors.hpp"
#include "face.hpp"
#include "gradcam.hpp"
#include "media.hpp"
#include "metrics.hpp"
#include "models.hpp"
#include "safetensors.hpp"

PYBIND11_MODULE(_dfd, m) {
  m.doc() = "libdfd: deepfake detection engine (C++ core)";
  m.attr("__version__") = DFD_VERSION;
  dfd::python::register_errors(m);
  m.def("set_num_threads", &dfd::set_num_threads, pybind11::arg("n"),
        "Threads LibTorch uses inside one operation; 0 = one per core (the default once a model loads).");
  m.def("num_threads", &dfd::num_threads, "The intra-op thread count in effect.");
  m.def("set_keep_freed_memory", &dfd::set_keep_freed_memory, pybind11::arg("keep"),
        "Whether libdfd raises glibc's mmap/trim thresholds when the first model is created (default True: "
        "inference reuses freed memory instead of page-faulting it back in). Call before creating a model.");
  m.def("utf8_escaped", [](const dfd::python::FsPath& path) { return dfd::utf8_escaped(path.bytes); }, pybind11::arg("path"),
        "A path as libdfd writes it in JSON, CSV and HTML: bytes that are not UTF-8 as \\xNN (the same as "
        "os.fsencode(path).decode('utf-8', 'backslashreplace')).");
  m.def("repair_csv_tail", [](const dfd::python::FsPath& path) { return dfd::repair_csv_tail(path.bytes); },
        pybind11::arg("path"),
        "Cuts a CSV that ends in a partial record (a writer killed mid-row) back to its last complete record; "
        "returns the bytes removed.");
  dfd::python::register_media(m);
  dfd::python::register_audio(m);
  dfd::python::register_face(m);
  dfd::python::register_models(m);
  dfd::python::register_classify(m);
  dfd::python::register_gradcam(m);
  dfd::python::register_metrics(m);
  dfd::python::register_detector(m);
  dfd::python::register_safetensors(m);
}
