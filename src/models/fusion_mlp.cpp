// fusion_mlp: the embedding fusion of the multimodal study — a file's video embedding and audio
// embedding, concatenated, into a small MLP: standardise (per-feature mean and std, buffers the
// Trainer sets from its training split), Linear(d, 128), ReLU, dropout 0.3, Linear(128, outputs).
// d is whatever the two embedders give (e.g. 1024 + 160); Model::load reads it from fc1.weight.
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

constexpr int64_t kHidden = 128;
constexpr double kDropout = 0.3;

struct FusionMlp : ZooModule {
  FusionMlp(int64_t num_outputs, int64_t features) {
    input_mean = register_buffer("input_mean", torch::zeros({features}));
    input_std = register_buffer("input_std", torch::ones({features}));
    fc1 = register_module("fc1", torch::nn::Linear(features, kHidden));
    fc2 = register_module("fc2", torch::nn::Linear(kHidden, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) override {
    torch::Tensor h = torch::relu(fc1((x - input_mean) / input_std));
    offer(features, "hidden", h);
    offer(features, "features", h);
    return fc2(torch::dropout(h, kDropout, is_training()));
  }

  torch::Tensor input_mean, input_std;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

}  // namespace

void register_fusion_mlp(std::map<std::string, Entry>& registry) {
  ModelInfo info{"fusion_mlp", "libdfd: the multimodal study's embedding fusion (video embedding ⊕ audio embedding → MLP)",
                 0, 1, {"hidden", "features"}, "fc2.weight"};
  info.input = ModelInput::Embedding;
  Entry e{info, nullptr, false};
  e.make_with = [](int n, const ModelOptions& o) { return std::make_shared<FusionMlp>(n, o.input_features); };
  e.input_layer = "fc1.weight";
  registry["fusion_mlp"] = e;
}

}  // namespace dfd::zoo
