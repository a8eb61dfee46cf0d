// The verdict stage: aggregation of per-face scores (the Detector joins it).
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_detector(pybind11::module_& m);

}  // namespace dfd::python
