// What training uses from Python: self-blended images (more of dfd train follows).
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_train(pybind11::module_& m);

}  // namespace dfd::python
