#include "thread_hint.hpp"

#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <pybind11/pybind11.h>

#include "dfd/runtime.hpp"

namespace dfd::python {

void warn_if_single_threaded() {
  static std::atomic<bool> warned{false};
  const unsigned cores = std::thread::hardware_concurrency();
  if (warned.load() || cores < 2 || dfd::num_threads() != 1 || dfd::runtime_params().num_threads == 1) return;
  if (warned.exchange(true)) return;
  const std::string message = fmt::format(
      "libdfd's models will run on 1 thread of the {} this machine has (Debian's LibTorch starts with one, and "
      "libdfd changes no process-wide setting on its own): call dfd.configure_runtime() once to use every core, "
      "or dfd.configure_runtime(num_threads=1) to keep one and silence this",
      cores);
  if (PyErr_WarnEx(PyExc_RuntimeWarning, message.c_str(), 1) != 0) throw pybind11::error_already_set();
}

}  // namespace dfd::python
