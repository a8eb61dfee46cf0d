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
  // Null when there is no torch::nn::Module (TorchScript).
  virtual torch::nn::Module* module() = 0;

  ModelInfo info;
  torch::Device device = torch::kCPU;
};

// The Impl of a TorchScript file (torchscript.cpp).
std::unique_ptr<Model::Impl> make_torchscript_impl(const std::string& path);

}  // namespace dfd
