#include "json_value.hpp"

#include <fmt/format.h>

#include "dfd/error.hpp"

namespace py = pybind11;

namespace dfd::python {

std::string json_of(const py::object& value) {
  const py::module_ os = py::module_::import("os");
  const py::cpp_function fallback([os](const py::object& o) -> py::object {
    if (py::hasattr(o, "__fspath__") || py::isinstance<py::bytes>(o)) return os.attr("fsdecode")(o);
    if (py::hasattr(o, "tolist")) return o.attr("tolist")();
    throw InvalidArgument("value", fmt::format("cannot be a setting: {}", py::repr(o).cast<std::string>()));
  });
  return py::module_::import("json").attr("dumps")(value, py::arg("default") = fallback).cast<std::string>();
}

}  // namespace dfd::python
