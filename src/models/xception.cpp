// FaceForensics++'s Xception: Cadene's pretrainedmodels Xception inside FF++'s TransferModel, so
// every name starts with "model." and the head is model.last_linear (2048 → 2, column 1 = fake).
// Block layouts keep the reference's Sequential indices, ReLUs included (rep.0 is a ReLU when a
// block starts with one), so converted checkpoints load name for name.
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

struct SeparableConvImpl : torch::nn::Module {
  SeparableConvImpl(int64_t in, int64_t out) {
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(in, in, 3).padding(1).groups(in).bias(false)));
    pointwise = register_module("pointwise", Conv2d(Conv2dOptions(in, out, 1).bias(false)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return pointwise(conv1(x)); }
  Conv2d conv1{nullptr}, pointwise{nullptr};
};
TORCH_MODULE(SeparableConv);

struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t in, int64_t out, int64_t reps, int64_t stride, bool start_with_relu, bool grow_first) {
    if (out != in || stride != 1) {
      skip = register_module("skip", Conv2d(Conv2dOptions(in, out, 1).stride(stride).bias(false)));
      skipbn = register_module("skipbn", BatchNorm2d(out));
    }
    // (ReLU, separable conv, BN) units; the first ReLU is dropped when the block does not start with one.
    std::vector<std::pair<int64_t, int64_t>> units;
    if (grow_first) {
      units.emplace_back(in, out);
      for (int64_t i = 1; i < reps; ++i) units.emplace_back(out, out);
    } else {
      for (int64_t i = 1; i < reps; ++i) units.emplace_back(in, in);
      units.emplace_back(in, out);
    }
    Seq r;
    for (size_t u = 0; u < units.size(); ++u) {
      if (u > 0 || start_with_relu) r->push_back(torch::nn::ReLU());
      r->push_back(SeparableConv(units[u].first, units[u].second));
      r->push_back(BatchNorm2d(units[u].second));
    }
    if (stride != 1) r->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(stride).padding(1)));
    rep = register_module("rep", r);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return rep->forward(x) + (skip ? skipbn(skip(x)) : x);
  }
  Seq rep{nullptr};
  Conv2d skip{nullptr};
  BatchNorm2d skipbn{nullptr};
};
TORCH_MODULE(Block);

struct XceptionImpl : torch::nn::Module {
  explicit XceptionImpl(int64_t num_outputs) {
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(3, 32, 3).stride(2).bias(false)));
    bn1 = register_module("bn1", BatchNorm2d(32));
    conv2 = register_module("conv2", Conv2d(Conv2dOptions(32, 64, 3).bias(false)));
    bn2 = register_module("bn2", BatchNorm2d(64));
    const struct { int64_t in, out, reps, stride; bool relu_first, grow_first; } spec[12] = {
        {64, 128, 2, 2, false, true},  {128, 256, 2, 2, true, true}, {256, 728, 2, 2, true, true},
        {728, 728, 3, 1, true, true},  {728, 728, 3, 1, true, true}, {728, 728, 3, 1, true, true},
        {728, 728, 3, 1, true, true},  {728, 728, 3, 1, true, true}, {728, 728, 3, 1, true, true},
        {728, 728, 3, 1, true, true},  {728, 728, 3, 1, true, true}, {728, 1024, 2, 2, true, false}};
    for (int i = 0; i < 12; ++i) {
      const auto& s = spec[i];
      blocks.push_back(register_module("block" + std::to_string(i + 1),
                                       Block(s.in, s.out, s.reps, s.stride, s.relu_first, s.grow_first)));
    }
    conv3 = register_module("conv3", SeparableConv(1024, 1536));
    bn3 = register_module("bn3", BatchNorm2d(1536));
    conv4 = register_module("conv4", SeparableConv(1536, 2048));
    bn4 = register_module("bn4", BatchNorm2d(2048));
    last_linear = register_module("last_linear", torch::nn::Linear(2048, num_outputs));
  }
  Conv2d conv1{nullptr}, conv2{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, bn4{nullptr};
  std::vector<Block> blocks;
  SeparableConv conv3{nullptr}, conv4{nullptr};
  torch::nn::Linear last_linear{nullptr};
};
TORCH_MODULE(Xception);

struct FfppXception : ZooModule {
  explicit FfppXception(int64_t num_outputs) { model = register_module("model", Xception(num_outputs)); }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    XceptionImpl& m = *model;
    torch::Tensor x = torch::relu(m.bn1(m.conv1(input)));
    x = torch::relu(m.bn2(m.conv2(x)));
    static const char* names[] = {"block1", "block2", "block3", "block4", "block5", "block6",
                                  "block7", "block8", "block9", "block10", "block11", "block12"};
    for (size_t i = 0; i < m.blocks.size(); ++i) {
      x = m.blocks[i]->forward(x);
      offer(features, names[i], x);
    }
    x = torch::relu(m.bn3(m.conv3(x)));
    x = torch::relu(m.bn4(m.conv4(x)));  // the map the head pools
    offer(features, "features", x);
    return m.last_linear(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

  Xception model{nullptr};
};

}  // namespace

void register_xception(std::map<std::string, Entry>& registry) {
  registry["xception"] = Entry{
      ModelInfo{"xception", "FaceForensics++ TransferModel(xception) (Cadene pretrainedmodels names)", 299, 2,
                {"block1", "block2", "block3", "block4", "block5", "block6", "block7", "block8", "block9",
                 "block10", "block11", "block12", "features"},
                "model.last_linear.weight"},
      [](int n) { return std::make_shared<FfppXception>(n); }};
}

}  // namespace dfd::zoo
