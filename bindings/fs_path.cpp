#include "fs_path.hpp"

#include "dfd/utf8.hpp"

namespace py = pybind11;

namespace dfd::python {

py::str fs_decode(const std::string& path) {
  return py::module_::import("os").attr("fsdecode")(py::bytes(path));
}

py::str escaped_text(const std::string& text) { return py::str(utf8_escaped(text)); }

}  // namespace dfd::python
