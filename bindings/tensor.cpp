#include "tensor.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "dfd/error.hpp"

namespace py = pybind11;

namespace dfd::python {

namespace {
bool is_torch_tensor(const py::handle& object) {
  return py::hasattr(object, "detach") && py::hasattr(object, "numpy") && py::hasattr(object, "cpu");
}
}  // namespace

bool is_float_tensor_like(const py::handle& object) {
  if (is_torch_tensor(object)) return true;
  return py::isinstance<py::array>(object) && py::reinterpret_borrow<py::array>(object).dtype().kind() == 'f';
}

FloatTensorView float_tensor(const py::handle& object, int dims, const char* what) {
  py::object source = py::reinterpret_borrow<py::object>(object);
  if (is_torch_tensor(source)) source = source.attr("detach")().attr("cpu")().attr("float")().attr("numpy")();
  if (!py::isinstance<py::array>(source)) {
    throw InvalidArgument(what, fmt::format("expected a numpy array or torch.Tensor, got {}",
                                            py::str(py::type::of(source).attr("__name__")).cast<std::string>()));
  }
  FloatTensorView view;
  view.owner = source.cast<decltype(view.owner)>();
  if (view.owner.ndim() != dims) {
    throw InvalidArgument(what, fmt::format("expected {} dimensions, got {}", dims, view.owner.ndim()));
  }
  std::vector<int64_t> shape(view.owner.shape(), view.owner.shape() + dims);
  // read only: the model never writes its input
  view.tensor = at::from_blob(const_cast<float*>(view.owner.data()), shape, at::kFloat);
  return view;
}

py::array_t<float> to_numpy(const at::Tensor& tensor) {
  const at::Tensor t = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
  py::array_t<float> out(shape);
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), out.mutable_data());
  return out;
}

}  // namespace dfd::python
