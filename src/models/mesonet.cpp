// Meso4 and MesoInception4 as FakeAVCeleb's PyTorch code builds them (models/MesoNet.py): 224
// input, no conv biases, ReLU before batch-norm, and batch-norms shared between convolutions
// (Meso4's bn1 follows conv1 and conv2, bn2 follows conv3 and conv4; MesoInception4's bn1 follows
// conv1 and conv2). MesoNet's own Keras structure is a different network (meso4_keras, later).
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;
using torch::nn::Linear;

Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t padding, int64_t dilation = 1) {
  return Conv2d(Conv2dOptions(in, out, kernel).padding(padding).dilation(dilation).bias(false));
}

torch::Tensor pool(const torch::Tensor& x, int64_t k) { return torch::max_pool2d(x, k, k); }

struct Meso4 : ZooModule {
  explicit Meso4(int64_t num_outputs) {
    conv1 = register_module("conv1", conv(3, 8, 3, 1));
    bn1 = register_module("bn1", BatchNorm2d(8));
    conv2 = register_module("conv2", conv(8, 8, 5, 2));
    bn2 = register_module("bn2", BatchNorm2d(16));
    conv3 = register_module("conv3", conv(8, 16, 5, 2));
    conv4 = register_module("conv4", conv(16, 16, 5, 2));
    fc1 = register_module("fc1", Linear(16 * 7 * 7, 16));
    fc2 = register_module("fc2", Linear(16, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    torch::Tensor x = conv1(input);
    offer(features, "conv1", x);
    x = pool(bn1(torch::relu(x)), 2);
    x = conv2(x);
    offer(features, "conv2", x);
    x = pool(bn1(torch::relu(x)), 2);
    x = conv3(x);
    offer(features, "conv3", x);
    x = pool(bn2(torch::relu(x)), 2);
    x = conv4(x);
    offer(features, "conv4", x);
    x = pool(bn2(torch::relu(x)), 4);
    offer(features, "maxpooling2", x);
    offer(features, "features", x);
    // Dropout is the identity at inference.
    return fc2(torch::leaky_relu(fc1(x.flatten(1)), 0.1));
  }

  Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, conv4{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr};
  Linear fc1{nullptr}, fc2{nullptr};
};

// Four parallel branches: 1x1 | 1x1→3x3 | 1x1→3x3 dilation 2 | 1x1→3x3 dilation 3, concatenated.
struct Inception {
  Conv2d c1{nullptr}, c2_1{nullptr}, c2_2{nullptr}, c3_1{nullptr}, c3_2{nullptr}, c4_1{nullptr}, c4_2{nullptr};
  BatchNorm2d bn{nullptr};

  Inception(torch::nn::Module& owner, const std::string& p, int64_t in, int64_t a, int64_t b, int64_t c, int64_t d) {
    c1 = owner.register_module(p + "_conv1", conv(in, a, 1, 0));
    c2_1 = owner.register_module(p + "_conv2_1", conv(in, b, 1, 0));
    c2_2 = owner.register_module(p + "_conv2_2", conv(b, b, 3, 1));
    c3_1 = owner.register_module(p + "_conv3_1", conv(in, c, 1, 0));
    c3_2 = owner.register_module(p + "_conv3_2", conv(c, c, 3, 2, 2));
    c4_1 = owner.register_module(p + "_conv4_1", conv(in, d, 1, 0));
    c4_2 = owner.register_module(p + "_conv4_2", conv(d, d, 3, 3, 3));
    bn = owner.register_module(p + "_bn", BatchNorm2d(a + b + c + d));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor y = torch::cat({c1(x), c2_2(c2_1(x)), c3_2(c3_1(x)), c4_2(c4_1(x))}, 1);
    return pool(bn(y), 2);
  }
};

struct MesoInception4 : ZooModule {
  explicit MesoInception4(int64_t num_outputs)
      : inception1(*this, "Incption1", 3, 1, 4, 4, 2), inception2(*this, "Incption2", 11, 2, 4, 4, 2) {
    conv1 = register_module("conv1", conv(12, 16, 5, 2));
    bn1 = register_module("bn1", BatchNorm2d(16));
    conv2 = register_module("conv2", conv(16, 16, 5, 2));
    fc1 = register_module("fc1", Linear(16 * 7 * 7, 16));
    fc2 = register_module("fc2", Linear(16, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    torch::Tensor x = inception1.forward(input);
    offer(features, "inception1", x);
    x = inception2.forward(x);
    offer(features, "inception2", x);
    x = conv1(x);
    offer(features, "conv1", x);
    x = pool(bn1(torch::relu(x)), 2);
    x = conv2(x);
    offer(features, "conv2", x);
    x = pool(bn1(torch::relu(x)), 4);
    offer(features, "maxpooling2", x);
    offer(features, "features", x);
    return fc2(torch::leaky_relu(fc1(x.flatten(1)), 0.1));
  }

  Inception inception1, inception2;
  Conv2d conv1{nullptr}, conv2{nullptr};
  BatchNorm2d bn1{nullptr};
  Linear fc1{nullptr}, fc2{nullptr};
};

}  // namespace

void register_mesonets(std::map<std::string, Entry>& registry) {
  registry["meso4"] = Entry{
      ModelInfo{"meso4", "FakeAVCeleb models/MesoNet.py Meso4", 224, 2,
                {"conv1", "conv2", "conv3", "conv4", "maxpooling2", "features"}, "fc2.weight"},
      [](int n) { return std::make_shared<Meso4>(n); }};
  registry["mesoinception4"] = Entry{
      ModelInfo{"mesoinception4", "FakeAVCeleb models/MesoNet.py MesoInception4", 224, 2,
                {"inception1", "inception2", "conv1", "conv2", "maxpooling2", "features"}, "fc2.weight"},
      [](int n) { return std::make_shared<MesoInception4>(n); }};
}

}  // namespace dfd::zoo
