// A Python value as JSON text, for settings set by name (DetectorParams, TrainParams).
#pragma once

#include <string>

#include <pybind11/pybind11.h>

namespace dfd::python {

// Paths (os.PathLike, bytes) as their os.fsdecode, numpy values through tolist().
// throws: InvalidArgument for a value JSON cannot hold.
std::string json_of(const pybind11::object& value);

}  // namespace dfd::python
