#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

// load_safetensors / save_safetensors: numpy arrays through the library's one safetensors reader
// and writer (dfd/safetensors.hpp).
void register_safetensors(pybind11::module_& m);

}  // namespace dfd::python
