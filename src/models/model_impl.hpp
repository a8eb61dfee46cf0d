// Private: what a Model runs — a zoo network or a TorchScript module.
#pragma once

#include <map>
#include <string>

#include <torch/torch.h>

#include "dfd/models.hpp"

namespace dfd {

struct Model::Impl {
  virtual ~Impl() = default;
  // Logits; `features` (may be null) gets the requested endpoints.
  virtual torch::Tensor forward(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) = 0;
  virtual void to(const torch::Device& device) = 0;
  // Stores 4-D parameters channels-last (or back) and feeds inputs the same way.
  virtual void set_channels_last(bool on) = 0;
  // Null when there is no torch::nn::Module (TorchScript).
  virtual torch::nn::Module* module() = 0;

  ModelInfo info;
  torch::Device device = torch::kCPU;
  bool channels_last = false;
};

// Converts each 4-D tensor to `format` in place (its data, not its identity: optimisers and
// Grad-CAM hooks keep working).
void set_memory_format(const std::vector<torch::Tensor>& tensors, at::MemoryFormat format);

// The Impl of a TorchScript file (torchscript.cpp).
std::unique_ptr<Model::Impl> make_torchscript_impl(const std::string& path);

}  // namespace dfd
