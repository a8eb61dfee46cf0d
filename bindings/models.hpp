// The model zoo: dfd.Model, dfd.ModelInfo, dfd.list_models, dfd.model_info.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_models(pybind11::module_& m);

}  // namespace dfd::python
