// Tensors shared with Python's torch through DLPack: no copy, one storage seen from both sides
// (the same LibTorch build runs both). What lets a notebook's torch.optim update a dfd.Model.
#pragma once

#include <ATen/core/Tensor.h>
#include <pybind11/pybind11.h>

namespace dfd::python {

// A torch.Tensor viewing t's storage (t stays alive while it does).
pybind11::object to_torch(const at::Tensor& t);
// A LibTorch tensor viewing a torch.Tensor's storage (detached: autograd is the caller's business).
// throws: InvalidArgument when `object` is not a torch.Tensor.
at::Tensor from_torch(const pybind11::handle& object, const char* what);

}  // namespace dfd::python
