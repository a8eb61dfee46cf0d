// A TorchScript file as a Model: forward returns logits, or (logits, feature_map).
#include <filesystem>

#include <fmt/format.h>
#include <torch/script.h>

#include "models/model_impl.hpp"

namespace dfd {
namespace {

// The first line of a LibTorch error: the rest is a C++ backtrace.
std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

struct TorchScriptImpl : Model::Impl {
  torch::Tensor forward(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) override {
    torch::jit::IValue out;
    try {
      out = script.forward({channels_last && x.dim() == 4 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x});
    } catch (const c10::Error& e) {
      throw ModelError(path, fmt::format("forward failed: {}", first_line(e.what_without_backtrace())));
    }
    if (out.isTensor()) return out.toTensor();
    if (out.isTuple()) {
      const auto& items = out.toTupleRef().elements();
      if (items.size() == 2 && items[0].isTensor() && items[1].isTensor()) {
        if (features) {
          auto it = features->find("features");
          if (it != features->end()) it->second = items[1].toTensor();
        }
        return items[0].toTensor();
      }
    }
    throw ModelError(path, fmt::format("forward returned {}; expected a tensor or (logits, feature_map)",
                                       out.type()->str()));
  }
  void to(const torch::Device& d) override { script.to(d); }
  void set_channels_last(bool on) override {
    std::vector<torch::Tensor> params;
    for (const auto& p : script.parameters()) params.push_back(p);
    set_memory_format(params, on ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
    channels_last = on;
  }
  torch::nn::Module* module() override { return nullptr; }

  std::string path;
  torch::jit::Module script;
};

// Whether forward is declared to return a pair of tensors (then "features" is an endpoint).
bool returns_feature_map(torch::jit::Module& script) {
  const auto& returns = script.get_method("forward").function().getSchema().returns();
  if (returns.size() != 1) return false;
  const auto tuple = returns[0].type()->cast<c10::TupleType>();
  return tuple && tuple->elements().size() == 2;
}

}  // namespace

std::unique_ptr<Model::Impl> make_torchscript_impl(const std::string& path) {
  auto impl = std::make_unique<TorchScriptImpl>();
  impl->path = path;
  try {
    impl->script = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw ModelError(path, fmt::format("not a TorchScript file: {}", first_line(e.what_without_backtrace())));
  }
  if (!impl->script.find_method("forward")) throw ModelError(path, "the TorchScript module has no forward method");
  impl->script.eval();
  impl->info.arch = "torchscript";
  impl->info.reference = std::filesystem::path(path).filename().string();
  impl->info.input_size = 0;
  impl->info.num_outputs = 0;
  if (returns_feature_map(impl->script)) impl->info.endpoints = {"features"};
  return impl;
}

}  // namespace dfd
