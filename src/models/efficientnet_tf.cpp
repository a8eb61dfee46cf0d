// timm's TensorFlow-ported EfficientNet B0-B7 (tf_efficientnet_bN, names equal timm 0.4.12's
// state_dict: conv_stem, bn1, blocks.S.B..., conv_head, bn2, classifier) and selimsef's DFDC
// classifier on top of B7 (encoder.* + fc). The weights were trained in TensorFlow, so convolutions
// pad as TF's "SAME" does (asymmetric, more on the bottom/right, for a stride-2 layer) and
// batch-norms use eps 1e-3; with PyTorch's symmetric padding the logits drift.
#include <array>
#include <cmath>

#include "models/same_conv.hpp"
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::BatchNorm2dOptions;

constexpr double kTfBatchNormEps = 1e-3;



struct SqueezeExciteImpl : torch::nn::Module {
  SqueezeExciteImpl(int64_t channels, int64_t reduced) {
    conv_reduce = register_module("conv_reduce", SameConv2d(channels, reduced, 1, 1, 1, true));
    conv_expand = register_module("conv_expand", SameConv2d(reduced, channels, 1, 1, 1, true));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor s = conv_expand(torch::silu(conv_reduce(x.mean({2, 3}, true))));
    return x * torch::sigmoid(s);
  }
  SameConv2d conv_reduce{nullptr}, conv_expand{nullptr};
};
TORCH_MODULE(SqueezeExcite);

// timm's SqueezeExcite width: round(block_channels * 0.25 / expand_ratio), Python's round
// (half to even, which nearbyint gives in the default rounding mode).
int64_t squeeze_channels(int64_t channels, double expand_ratio) {
  return static_cast<int64_t>(std::nearbyint(double(channels) * (0.25 / expand_ratio)));
}

// DepthwiseSeparableConv (stage 1) when expand_ratio is 1, InvertedResidual otherwise.
struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t in, int64_t out, int64_t expand_ratio, int64_t kernel, int64_t stride)
      : residual(stride == 1 && in == out), expands(expand_ratio != 1) {
    const auto bn = [](int64_t c) { return BatchNorm2d(BatchNorm2dOptions(c).eps(kTfBatchNormEps)); };
    const int64_t mid = expands ? make_divisible(double(in) * double(expand_ratio)) : in;
    if (expands) {
      conv_pw = register_module("conv_pw", SameConv2d(in, mid, 1));
      bn_pw = register_module("bn1", bn(mid));
    }
    conv_dw = register_module("conv_dw", SameConv2d(mid, mid, kernel, stride, mid));
    bn_dw = register_module(expands ? "bn2" : "bn1", bn(mid));
    se = register_module("se", SqueezeExcite(mid, squeeze_channels(mid, double(expand_ratio))));
    conv_out = register_module(expands ? "conv_pwl" : "conv_pw", SameConv2d(mid, out, 1));
    bn_out = register_module(expands ? "bn3" : "bn2", bn(out));
  }
  torch::Tensor forward(const torch::Tensor& input) {
    torch::Tensor x = input;
    if (expands) x = torch::silu(bn_pw(conv_pw(x)));
    x = se(torch::silu(bn_dw(conv_dw(x))));
    x = bn_out(conv_out(x));
    return residual ? x + input : x;  // drop-path is the identity at inference
  }
  bool residual, expands;
  SameConv2d conv_pw{nullptr}, conv_dw{nullptr}, conv_out{nullptr};
  BatchNorm2d bn_pw{nullptr}, bn_dw{nullptr}, bn_out{nullptr};
  SqueezeExcite se{nullptr};
};
TORCH_MODULE(Block);

const char* const kEndpoints[] = {"stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7", "features"};

// timm EfficientNet with pad_type "same": the trunk up to forward_features, and the classifier.
struct TfEfficientNetImpl : torch::nn::Module {
  TfEfficientNetImpl(double width, double depth, int64_t num_classes) {
    // expand ratio, kernel, stride, output channels, repeats (timm's arch_def for B0)
    const int64_t table[7][5] = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2},  {6, 3, 2, 80, 3},
                                 {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
    auto channels = [&](int64_t c) { return make_divisible(double(c) * width); };
    int64_t in = channels(32);
    conv_stem = register_module("conv_stem", SameConv2d(3, in, 3, 2));
    bn1 = register_module("bn1", BatchNorm2d(BatchNorm2dOptions(in).eps(kTfBatchNormEps)));
    blocks = Seq();
    for (const auto& row : table) {
      Seq stage;
      const auto repeats = static_cast<int64_t>(std::ceil(double(row[4]) * depth));
      for (int64_t i = 0; i < repeats; ++i) {
        stage->push_back(Block(in, channels(row[3]), row[0], row[1], i == 0 ? row[2] : 1));
        in = channels(row[3]);
      }
      blocks->push_back(stage);
    }
    register_module("blocks", blocks);
    num_features = channels(1280);
    conv_head = register_module("conv_head", SameConv2d(in, num_features, 1));
    bn2 = register_module("bn2", BatchNorm2d(BatchNorm2dOptions(num_features).eps(kTfBatchNormEps)));
    classifier = register_module("classifier", torch::nn::Linear(num_features, num_classes));
  }

  // timm's forward_features: the last convolutional map, offering the endpoints on the way.
  torch::Tensor forward_features(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) {
    torch::Tensor x = torch::silu(bn1(conv_stem(input)));
    offer(features, kEndpoints[0], x);
    for (size_t i = 0; i < blocks->size(); ++i) {
      x = blocks[i]->as<SeqImpl>()->forward(x);
      offer(features, kEndpoints[i + 1], x);
    }
    x = torch::silu(bn2(conv_head(x)));
    offer(features, "features", x);
    return x;
  }

  int64_t num_features = 0;
  SameConv2d conv_stem{nullptr}, conv_head{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr};
  Seq blocks{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(TfEfficientNet);

struct TfEfficientNetClassifier : ZooModule {
  TfEfficientNetClassifier(double width, double depth, int64_t num_classes) {
    net = TfEfficientNet(width, depth, num_classes);
    // timm's modules are the top level of its state_dict: register the children, not `net`.
    for (const auto& child : net->named_children()) register_module(child.key(), child.value());
  }
  torch::Tensor forward_with(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) override {
    return net->classifier(net->forward_features(x, features).mean({2, 3}));
  }
  TfEfficientNet net{nullptr};
};

// selimsef's DeepFakeClassifier: encoder.forward_features -> global average pool -> dropout -> fc.
// The encoder's own 1000-way classifier is unused but kept, since his checkpoints carry it.
struct DfdcClassifier : ZooModule {
  DfdcClassifier(double width, double depth, int64_t num_outputs) {
    encoder = register_module("encoder", TfEfficientNet(width, depth, 1000));
    fc = register_module("fc", torch::nn::Linear(encoder->num_features, num_outputs));
  }
  torch::Tensor forward_with(const torch::Tensor& x, std::map<std::string, torch::Tensor>* features) override {
    return fc(encoder->forward_features(x, features).mean({2, 3}));
  }
  TfEfficientNet encoder{nullptr};
  torch::nn::Linear fc{nullptr};
};

}  // namespace

void register_tf_efficientnets(std::map<std::string, Entry>& registry) {
  // (width, depth, resolution) as timm's tf_efficientnet_bN default_cfgs.
  const struct { const char* name; double width, depth; int size; } variants[] = {
      {"tf_efficientnet_b0", 1.0, 1.0, 224}, {"tf_efficientnet_b1", 1.0, 1.1, 240},
      {"tf_efficientnet_b2", 1.1, 1.2, 260}, {"tf_efficientnet_b3", 1.2, 1.4, 300},
      {"tf_efficientnet_b4", 1.4, 1.8, 380}, {"tf_efficientnet_b5", 1.6, 2.2, 456},
      {"tf_efficientnet_b6", 1.8, 2.6, 528}, {"tf_efficientnet_b7", 2.0, 3.1, 600}};
  const std::vector<std::string> endpoints(std::begin(kEndpoints), std::end(kEndpoints));
  for (const auto& v : variants) {
    const double width = v.width, depth = v.depth;
    registry[v.name] = Entry{
        ModelInfo{v.name, std::string("timm 0.4.12 ") + v.name + "() (also its _ns and _ap weights)", v.size, 1000,
                  endpoints, "classifier.weight"},
        [=](int n) { return std::make_shared<TfEfficientNetClassifier>(width, depth, n); }};
  }
  registry["tf_efficientnet_b7_dfdc"] = Entry{
      ModelInfo{"tf_efficientnet_b7_dfdc",
                "selimsef/dfdc_deepfake_challenge DeepFakeClassifier(encoder='tf_efficientnet_b7_ns')", 380, 1,
                endpoints, "fc.weight"},
      [](int n) { return std::make_shared<DfdcClassifier>(2.0, 3.1, n); }};
}

}  // namespace dfd::zoo
