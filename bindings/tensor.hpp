// numpy / torch.Tensor <-> at::Tensor for the bindings. Torch tensors are read through .numpy(), so
// the module needs no libtorch_python and works with any torch the user has (or none).
#pragma once

#include <ATen/core/Tensor.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace dfd::python {

// A float32 view of a Python array or tensor; `owner` keeps the memory alive as long as `tensor`.
struct FloatTensorView {
  pybind11::array_t<float, pybind11::array::c_style | pybind11::array::forcecast> owner;
  at::Tensor tensor;
};

// True for a torch.Tensor or a floating-point numpy array.
bool is_float_tensor_like(const pybind11::handle& object);

// requires: `object` is a torch.Tensor or numpy array of `dims` dimensions (any float dtype).
// throws: InvalidArgument naming `what` otherwise.
FloatTensorView float_tensor(const pybind11::handle& object, int dims, const char* what);

// A copy of a CPU float tensor as a numpy array of the same shape.
pybind11::array_t<float> to_numpy(const at::Tensor& tensor);

}  // namespace dfd::python
