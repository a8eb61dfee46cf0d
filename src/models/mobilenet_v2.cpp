// MobileNetV2 (width 1.0) with its batch-norms folded into the convolutions, as TFLite files ship
// it (mobilenet_v2_1.0_224_quant.tflite, dequantised by dfd.convert): a 3x3 stride-2 stem, 17
// inverted-residual blocks (1x1 expand, 3x3 depthwise, 1x1 linear project; a residual where the
// shape allows), a 1x1 convolution to 1280 channels, the global mean and a Linear head ("fc":
// TFLite's 1x1 logits convolution over 1001 classes, 0 = background). ReLU6 after every
// convolution but the projections. Padding is TensorFlow's SAME (asymmetric at stride 2).
#include "models/same_conv.hpp"
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

// (expansion t, output channels c, repeats n, first stride s), as in the paper's table 2.
constexpr int64_t kStages[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                   {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

Conv2d pointwise(int64_t in, int64_t out) { return Conv2d(Conv2dOptions(in, out, 1)); }

struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t in, int64_t out, int64_t expansion, int64_t stride) : residual(stride == 1 && in == out) {
    const int64_t hidden = in * expansion;
    if (expansion != 1) expand = register_module("expand", pointwise(in, hidden));
    depthwise = register_module("depthwise", SameConv2d(hidden, hidden, 3, stride, hidden, true));
    project = register_module("project", pointwise(hidden, out));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = expand ? clip6_(expand(x)) : x;
    y = project(clip6_(depthwise(y)));
    return residual ? y + x : y;
  }

  bool residual;
  Conv2d expand{nullptr}, project{nullptr};
  SameConv2d depthwise{nullptr};
};
TORCH_MODULE(Block);

struct MobileNetV2 : ZooModule {
  explicit MobileNetV2(int64_t num_outputs) {
    stem = register_module("stem", SameConv2d(3, 32, 3, 2, 1, true));
    int64_t in = 32;
    auto list = register_module("blocks", torch::nn::ModuleList());
    for (const auto& stage : kStages) {
      for (int64_t r = 0; r < stage[2]; ++r) {
        blocks.push_back(Block(in, stage[1], stage[0], r == 0 ? stage[3] : 1));
        list->push_back(blocks.back());
        in = stage[1];
      }
    }
    head_conv = register_module("head_conv", pointwise(in, 1280));
    fc = register_module("fc", torch::nn::Linear(1280, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    static const std::vector<std::string> names = [] {
      std::vector<std::string> n;
      for (int i = 0; i < 17; ++i) n.push_back("blocks." + std::to_string(i));
      return n;
    }();
    torch::Tensor x = clip6_(stem(input));
    offer(features, "stem", x);
    for (size_t i = 0; i < blocks.size(); ++i) {
      x = blocks[i]->forward(x);
      offer(features, names[i].c_str(), x);
    }
    x = clip6_(head_conv(x));
    offer(features, "features", x);
    x = x.mean({2, 3});
    offer(features, "global_pooling", x);
    return fc(x);
  }

  SameConv2d stem{nullptr};
  std::vector<Block> blocks;
  Conv2d head_conv{nullptr};
  torch::nn::Linear fc{nullptr};
};

}  // namespace

void register_mobilenet_v2(std::map<std::string, Entry>& registry) {
  std::vector<std::string> endpoints{"stem"};
  for (int i = 0; i < 17; ++i) endpoints.push_back("blocks." + std::to_string(i));
  endpoints.push_back("features");
  endpoints.push_back("global_pooling");
  registry["mobilenet_v2"] = Entry{
      ModelInfo{"mobilenet_v2", "TFLite MobileNetV2 1.0, batch-norm folded (mobilenet_v2_1.0_224_quant, dequantised)",
                224, 1001, endpoints, "fc.weight"},
      [](int n) { return std::make_shared<MobileNetV2>(n); }};
}

}  // namespace dfd::zoo
