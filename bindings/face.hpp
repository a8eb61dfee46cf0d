// The face stage: crop geometry and classifier-input preprocessing.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_face(pybind11::module_& m);

}  // namespace dfd::python
