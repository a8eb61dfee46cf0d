// File paths between Python and libdfd. A path is bytes to the OS: Python hands them over as str
// (undecodable bytes kept as surrogate escapes), bytes or any os.PathLike, and os.fsencode gives
// the exact bytes. Paths libdfd returns go back through os.fsdecode, so a Verdict's path equals
// the str the caller passed, whatever bytes the name holds.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

namespace dfd::python {

// A path argument or result; `bytes` is what the OS sees.
struct FsPath {
  std::string bytes;
  operator const std::string&() const { return bytes; }  // NOLINT: where the library wants a path
};

// os.fsdecode(bytes(path)): the str a Python caller uses for the name.
pybind11::str fs_decode(const std::string& path);

// Text that holds paths (an error message): non-UTF-8 bytes as \xNN (dfd/utf8.hpp), never a
// UnicodeDecodeError.
pybind11::str escaped_text(const std::string& text);

}  // namespace dfd::python

namespace pybind11::detail {

template <>
struct type_caster<dfd::python::FsPath> {
  PYBIND11_TYPE_CASTER(dfd::python::FsPath, const_name("str | bytes | os.PathLike[str]"));

  bool load(handle src, bool) {
    if (!isinstance<str>(src) && !isinstance<bytes>(src) && !hasattr(src, "__fspath__")) return false;
    try {
      value.bytes = module_::import("os").attr("fsencode")(src).cast<std::string>();
    } catch (const error_already_set&) {
      return false;  // e.g. a PathLike whose __fspath__ returns neither str nor bytes
    }
    return true;
  }

  static handle cast(const dfd::python::FsPath& path, return_value_policy, handle) {
    return dfd::python::fs_decode(path.bytes).release();
  }
};

}  // namespace pybind11::detail
