// torchvision's EfficientNet B0-B7 (names equal torchvision's state_dict: features.N..., classifier.1).
#include <cmath>

#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::BatchNorm2dOptions;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;


// Conv2dNormActivation: "0" conv (no bias), "1" batch-norm, then SiLU unless `act` is false.
Seq conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups, double eps, bool act) {
  Seq s(Conv2d(Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false)),
                          BatchNorm2d(BatchNorm2dOptions(out).eps(eps)));
  if (act) s->push_back(torch::nn::SiLU());
  return s;
}

struct SqueezeExcitationImpl : torch::nn::Module {
  SqueezeExcitationImpl(int64_t channels, int64_t squeeze) {
    fc1 = register_module("fc1", Conv2d(Conv2dOptions(channels, squeeze, 1)));
    fc2 = register_module("fc2", Conv2d(Conv2dOptions(squeeze, channels, 1)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::sigmoid(fc2(torch::silu(fc1(torch::adaptive_avg_pool2d(x, {1, 1}))))) * x;
  }
  Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

struct MBConvImpl : torch::nn::Module {
  MBConvImpl(int64_t in, int64_t out, int64_t expand, int64_t kernel, int64_t stride, double eps)
      : residual(stride == 1 && in == out) {
    const int64_t expanded = make_divisible(double(in) * expand);
    Seq b;
    if (expanded != in) b->push_back(conv_bn(in, expanded, 1, 1, 1, eps, true));
    b->push_back(conv_bn(expanded, expanded, kernel, stride, expanded, eps, true));
    b->push_back(SqueezeExcitation(expanded, std::max<int64_t>(1, in / 4)));
    b->push_back(conv_bn(expanded, out, 1, 1, 1, eps, false));
    block = register_module("block", b);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = block->forward(x);
    return residual ? y + x : y;  // stochastic depth is the identity at inference
  }
  bool residual;
  Seq block{nullptr};
};
TORCH_MODULE(MBConv);

struct EfficientNet : ZooModule {
  EfficientNet(double width, double depth, double eps, int64_t num_outputs) {
    // expand ratio, kernel, stride, in, out, layers (torchvision's table for B0)
    const int64_t table[7][6] = {{1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},
                                 {6, 3, 2, 40, 80, 3},  {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4},
                                 {6, 3, 1, 192, 320, 1}};
    auto channels = [&](int64_t c) { return make_divisible(double(c) * width); };
    features = Seq();
    features->push_back(conv_bn(3, channels(32), 3, 2, 1, eps, true));
    int64_t last = 0;
    for (const auto& row : table) {
      Seq stage;
      const auto layers = static_cast<int64_t>(std::ceil(double(row[5]) * depth));
      for (int64_t i = 0; i < layers; ++i) {
        const int64_t in = i == 0 ? channels(row[3]) : channels(row[4]);
        stage->push_back(MBConv(in, channels(row[4]), row[0], row[1], i == 0 ? row[2] : 1, eps));
      }
      features->push_back(stage);
      last = channels(row[4]);
    }
    features->push_back(conv_bn(last, 4 * last, 1, 1, 1, eps, true));
    register_module("features", features);
    classifier = torch::nn::Sequential(torch::nn::Dropout(0.0), torch::nn::Linear(4 * last, num_outputs));
    register_module("classifier", classifier);
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features_out) override {
    static const char* names[] = {"stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7", "features"};
    torch::Tensor x = input;
    for (size_t i = 0; i < features->size(); ++i) {
      x = features[i]->as<SeqImpl>()->forward(x);
      offer(features_out, names[i], x);
    }
    return classifier->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

  Seq features{nullptr};
  torch::nn::Sequential classifier{nullptr};
};

}  // namespace

void register_efficientnets(std::map<std::string, Entry>& registry) {
  // (width, depth, resolution) per torchvision; B5-B7 use batch-norm eps 1e-3.
  const struct { const char* name; double width, depth; int size; } variants[] = {
      {"efficientnet_b0", 1.0, 1.0, 224}, {"efficientnet_b1", 1.0, 1.1, 240}, {"efficientnet_b2", 1.1, 1.2, 288},
      {"efficientnet_b3", 1.2, 1.4, 300}, {"efficientnet_b4", 1.4, 1.8, 380}, {"efficientnet_b5", 1.6, 2.2, 456},
      {"efficientnet_b6", 1.8, 2.6, 528}, {"efficientnet_b7", 2.0, 3.1, 600}};
  for (const auto& v : variants) {
    const double eps = v.width >= 1.6 ? 1e-3 : 1e-5;
    const double width = v.width, depth = v.depth;
    registry[v.name] = Entry{
        ModelInfo{v.name, std::string("torchvision ") + v.name + "()", v.size, 1000,
                  {"stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7", "features"},
                  "classifier.1.weight"},
        [=](int n) { return std::make_shared<EfficientNet>(width, depth, eps, n); }};
  }
}

}  // namespace dfd::zoo
