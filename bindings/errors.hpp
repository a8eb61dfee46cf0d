// dfd.Error and its kinds, and the translation of dfd::Error into them.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

// Adds Error, IoError, DecodeError, ModelError, InvalidArgument to `m` and registers the translator.
void register_errors(pybind11::module_& m);

}  // namespace dfd::python
