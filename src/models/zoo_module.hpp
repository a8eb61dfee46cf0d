// Private: what every zoo architecture implements, and the registry Model::create reads.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <torch/torch.h>

#include "dfd/models.hpp"

namespace dfd::zoo {

// A zoo network: logits, and on request the activations of named endpoints.
struct ZooModule : torch::nn::Module {
  // `features` may be null; when given, each name in it that the network passes is filled.
  virtual torch::Tensor forward_with(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) = 0;
};

struct Entry {
  ModelInfo info;
  std::function<std::shared_ptr<ZooModule>(int num_outputs)> make;
  // Run in channels-last (NHWC) memory by default: oneDNN's convolutions then need no layout
  // conversion of the activations. Chosen per family from bench/classifiers.py.
  bool channels_last = true;
};

// Registered architectures by name (each family's .cpp adds its own).
std::map<std::string, Entry>& registry();

// A Sequential that can sit inside another: LibTorch's Sequential::forward is a template, which
// Sequential cannot hold, so nested stages use this one.
struct SeqImpl : torch::nn::SequentialImpl {
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Seq);

// Stores `value` under `name` if the caller asked for that endpoint.
inline void offer(std::map<std::string, torch::Tensor>* features, const char* name, const torch::Tensor& value) {
  if (features) {
    auto it = features->find(name);
    if (it != features->end()) it->second = value;
  }
}

}  // namespace dfd::zoo
