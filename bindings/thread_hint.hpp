// A one-time RuntimeWarning when a model is built while LibTorch runs on one thread of several.
#pragma once

namespace dfd::python {

// Debian's LibTorch starts on one thread and libdfd changes no process-wide setting on its own
// (dfd/runtime.hpp), so a notebook that never calls dfd.configure_runtime() runs every model two to
// three times slower without a sign of why. Says so once per process, through Python's warnings
// (filterable as any RuntimeWarning).
// requires: the GIL held.
// ensures: warns at most once per process; never when LibTorch has more than one thread, when the
//   machine has one core, or when configure_runtime asked for one thread.
// throws: pybind11::error_already_set when the warning filter turns the warning into an error.
void warn_if_single_threaded();

}  // namespace dfd::python
