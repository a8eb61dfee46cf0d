#include "safetensors.hpp"

#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/safetensors.hpp"
#include "fs_path.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

// The numpy dtype of a safetensors dtype. BF16 has none: it is widened to float32, exactly.
py::dtype numpy_dtype(Dtype d) {
  switch (d) {
    case Dtype::F64: return py::dtype("<f8");
    case Dtype::F32: case Dtype::BF16: return py::dtype("<f4");
    case Dtype::F16: return py::dtype("<f2");
    case Dtype::I64: return py::dtype("<i8");
    case Dtype::I32: return py::dtype("<i4");
    case Dtype::I16: return py::dtype("<i2");
    case Dtype::I8: return py::dtype("i1");
    case Dtype::U8: return py::dtype("u1");
    case Dtype::Bool: return py::dtype("?");
  }
  throw InvalidArgument("dtype", "unknown");
}

Dtype safetensors_dtype(const py::dtype& d, const std::string& name) {
  const char kind = d.kind();
  const auto size = d.itemsize();
  if (kind == 'f' && size == 8) return Dtype::F64;
  if (kind == 'f' && size == 4) return Dtype::F32;
  if (kind == 'f' && size == 2) return Dtype::F16;
  if (kind == 'i' && size == 8) return Dtype::I64;
  if (kind == 'i' && size == 4) return Dtype::I32;
  if (kind == 'i' && size == 2) return Dtype::I16;
  if (kind == 'i' && size == 1) return Dtype::I8;
  if (kind == 'u' && size == 1) return Dtype::U8;
  if (kind == 'b') return Dtype::Bool;
  throw InvalidArgument("tensors['" + name + "']", "dtype " + py::str(static_cast<const py::handle&>(d)).cast<std::string>() + " has no safetensors equivalent");
}

}  // namespace

void register_safetensors(py::module_& m) {
  m.def(
      "load_safetensors",
      [](const FsPath& path) {
        const SafetensorsFile file(path.bytes);
        py::dict tensors;
        for (const std::string& name : file.names()) {
          const TensorView& t = file.tensor(name);
          std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
          py::array out(numpy_dtype(t.dtype), shape);
          if (t.dtype == Dtype::BF16) {
            auto* dst = static_cast<float*>(out.mutable_data());
            for (int64_t i = 0; i < t.numel(); ++i) {
              const uint32_t bits = uint32_t(t.data[2 * i]) | (uint32_t(t.data[2 * i + 1]) << 8);
              const uint32_t widened = bits << 16;
              std::memcpy(dst + i, &widened, 4);
            }
          } else {
            std::memcpy(out.mutable_data(), t.data, t.nbytes);
          }
          tensors[py::str(name)] = out;
        }
        return py::make_tuple(tensors, file.metadata());
      },
      py::arg("path"),
      "(tensors, metadata) of a safetensors file, every range and shape checked (dfd::SafetensorsFile); "
      "BF16 tensors come back as float32.");
  m.def(
      "save_safetensors",
      [](const FsPath& path, const py::dict& tensors, const std::map<std::string, std::string>& metadata) {
        std::map<std::string, TensorData> out;
        for (const auto& item : tensors) {
          const std::string name = py::str(item.first);
          const auto array = py::array::ensure(item.second, py::array::c_style);
          if (!array) throw InvalidArgument("tensors['" + name + "']", "is not an array");
          TensorData t;
          t.dtype = safetensors_dtype(array.dtype(), name);
          t.shape.assign(array.shape(), array.shape() + array.ndim());
          const auto* bytes = static_cast<const uint8_t*>(array.data());
          t.bytes.assign(bytes, bytes + array.nbytes());  // little-endian: this platform's order
          out.emplace(name, std::move(t));
        }
        py::gil_scoped_release release;
        save_safetensors(path.bytes, out, metadata);
      },
      py::arg("path"), py::arg("tensors"), py::arg("metadata") = std::map<std::string, std::string>{},
      "Writes numpy arrays (C-contiguous copies are made as needed) and string metadata (dfd::save_safetensors).");
}

}  // namespace dfd::python
