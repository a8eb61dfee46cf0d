// Explanations: dfd.GradCAM, dfd.overlay.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_gradcam(pybind11::module_& m);

}  // namespace dfd::python
