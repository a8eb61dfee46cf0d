// dfd._dfd.metrics: the competition metrics (python/dfd/metrics.py re-exports them).
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_metrics(pybind11::module_& m);

}  // namespace dfd::python
