// Models and classifiers.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_classify(pybind11::module_& m);

}  // namespace dfd::python
