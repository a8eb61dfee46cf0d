#include "torch_bridge.hpp"

#include <ATen/DLConvertor.h>
#include <fmt/format.h>

#include "dfd/error.hpp"

namespace py = pybind11;

namespace dfd::python {

py::object to_torch(const at::Tensor& t) {
  DLManagedTensor* managed = at::toDLPack(t);
  // The capsule frees the tensor only if torch never took it (it renames a capsule it consumed).
  PyObject* capsule = PyCapsule_New(managed, "dltensor", [](PyObject* self) {
    if (PyCapsule_IsValid(self, "dltensor")) {
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(self, "dltensor"));
      m->deleter(m);
    }
  });
  if (!capsule) {
    managed->deleter(managed);
    throw py::error_already_set();
  }
  return py::module_::import("torch.utils.dlpack").attr("from_dlpack")(py::reinterpret_steal<py::object>(capsule));
}

at::Tensor from_torch(const py::handle& object, const char* what) {
  const py::object torch = py::module_::import("torch");
  if (!py::isinstance(object, torch.attr("Tensor"))) {
    throw InvalidArgument(what, fmt::format("expected a torch.Tensor, got {}",
                                            py::str(py::type::of(object).attr("__name__")).cast<std::string>()));
  }
  py::object capsule = py::module_::import("torch.utils.dlpack").attr("to_dlpack")(object.attr("detach")());
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  if (!managed) throw py::error_already_set();
  at::Tensor t = at::fromDLPack(managed);
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");  // ours now: the capsule must not free it
  return t;
}

}  // namespace dfd::python
