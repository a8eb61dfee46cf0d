// Private: what every zoo architecture implements, and the registry Model::create reads.
#pragma once

#include <algorithm>
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
  // Architectures built from more than their outputs (`make` is then unused): an Embedding model
  // for a vector length d (options.input_features), which load reads from the weights'
  // `input_layer` ([hidden, d]); a Clip model for options.segments frames.
  std::function<std::shared_ptr<ZooModule>(int num_outputs, const ModelOptions& options)> make_with;
  std::string input_layer;
};

// Registered architectures by name. Each family's .cpp has a function adding its own, and
// registry() calls every one the first time it is used: an explicit list, not static
// initialisers, so a static libdfd (whose unreferenced objects a linker drops) keeps its zoo.
std::map<std::string, Entry>& registry();
void register_resnets(std::map<std::string, Entry>& registry);
void register_efficientnets(std::map<std::string, Entry>& registry);
void register_tf_efficientnets(std::map<std::string, Entry>& registry);
void register_mesonets(std::map<std::string, Entry>& registry);
void register_keras_mesonets(std::map<std::string, Entry>& registry);
void register_xception(std::map<std::string, Entry>& registry);
void register_mobilenet_v1(std::map<std::string, Entry>& registry);
void register_mobilenet_v2(std::map<std::string, Entry>& registry);
void register_aasist(std::map<std::string, Entry>& registry);
void register_fusion_mlp(std::map<std::string, Entry>& registry);
void register_tsm(std::map<std::string, Entry>& registry);

// A Sequential that can sit inside another: LibTorch's Sequential::forward is a template, which
// Sequential cannot hold, so nested stages use this one.
struct SeqImpl : torch::nn::SequentialImpl {
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Seq);

// EfficientNet's channel rounding (torchvision's _make_divisible, timm's make_divisible): the
// nearest multiple of `divisor`, never more than 10 % below v.
inline int64_t make_divisible(double v, int64_t divisor = 8) {
  int64_t rounded = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

// Stores `value` under `name` if the caller asked for that endpoint.
inline void offer(std::map<std::string, torch::Tensor>* features, const char* name, const torch::Tensor& value) {
  if (features) {
    auto it = features->find(name);
    if (it != features->end()) it->second = value;
  }
}

}  // namespace dfd::zoo
