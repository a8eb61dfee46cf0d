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
#include "train.hpp"

PYBIND11_MODULE(_dfd, m) {
  m.doc() = "libdfd: deepfake detection engine (C++ core)";
  m.attr("__version__") = DFD_VERSION;
  dfd::python::register_errors(m);
  m.def("set_num_threads", &dfd::set_num_threads, pybind11::arg("n"),
        "Threads LibTorch uses inside one operation; 0 = one per core.");
  m.def("num_threads", &dfd::num_threads, "The intra-op thread count in effect.");
  m.def(
      "configure_runtime",
      [](int num_threads, bool keep_freed_memory, bool trim_after_scan) {
        dfd::configure_runtime({num_threads, keep_freed_memory, trim_after_scan});
      },
      pybind11::arg("num_threads") = dfd::RuntimeParams{}.num_threads,
      pybind11::arg("keep_freed_memory") = dfd::RuntimeParams{}.keep_freed_memory,
      pybind11::arg("trim_after_scan") = dfd::RuntimeParams{}.trim_after_scan,
      "Process-wide settings libdfd never changes on its own (dfd/runtime.hpp): LibTorch's threads (0: one per "
      "core, -1: leave them), glibc keeping freed memory for the next forward pass, and trimming the heap after "
      "each scanned file (off by default: it saves memory at twice the scan time). Call once, as the dfd command "
      "does at start; without it Debian's LibTorch uses one thread.");
  m.def(
      "runtime_params",
      [] {
        const dfd::RuntimeParams p = dfd::runtime_params();
        pybind11::dict d;
        d["num_threads"] = p.num_threads;
        d["keep_freed_memory"] = p.keep_freed_memory;
        d["trim_after_scan"] = p.trim_after_scan;
        return d;
      },
      "The settings configure_runtime applied (num_threads -1, False, False until it is called).");
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
  dfd::python::register_train(m);
}
