// VideoReader, AudioReader and their info types.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_media(pybind11::module_& m);

}  // namespace dfd::python
