// Meso4 and MesoInception4 as MesoNet's own Keras code builds them (DariusAf/MesoNet
// classifiers.py): 256 input, conv biases, ReLU after every convolution, one batch-norm per
// convolution stage (eps 1e-3), 'same' padding. The published .h5 weights belong to these; names
// follow FakeAVCeleb's port (conv1..4, bn1..4, fc1, fc2 / Incption{1,2}_conv*, Incption{1,2}_bn).
// The output is one logit whose sigmoid means REAL (the mesonet preset flips it).
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::BatchNorm2dOptions;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;
using torch::nn::Linear;

Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t dilation = 1) {
  return Conv2d(Conv2dOptions(in, out, kernel).padding(kernel / 2 * dilation).dilation(dilation));
}
BatchNorm2d keras_bn(int64_t channels) { return BatchNorm2d(BatchNorm2dOptions(channels).eps(1e-3)); }
torch::Tensor pool(const torch::Tensor& x, int64_t k) { return torch::max_pool2d(x, k, k); }

// Flatten → Dense(16) → LeakyReLU(0.1) → Dense(1); dropout is the identity at inference.
struct Head {
  Linear fc1{nullptr}, fc2{nullptr};
  Head(torch::nn::Module& owner, int64_t num_outputs) {
    fc1 = owner.register_module("fc1", Linear(1024, 16));
    fc2 = owner.register_module("fc2", Linear(16, num_outputs));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::leaky_relu(fc1(x.flatten(1)), 0.1)); }
};

struct KerasMeso4 : ZooModule {
  explicit KerasMeso4(int64_t num_outputs) : head(*this, num_outputs) {
    const int64_t channels[][3] = {{3, 8, 3}, {8, 8, 5}, {8, 16, 5}, {16, 16, 5}};
    for (int i = 0; i < 4; ++i) {
      convs.push_back(register_module("conv" + std::to_string(i + 1), conv(channels[i][0], channels[i][1], channels[i][2])));
      bns.push_back(register_module("bn" + std::to_string(i + 1), keras_bn(channels[i][1])));
    }
  }
  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    static const char* names[] = {"block1", "block2", "block3", "block4"};
    torch::Tensor x = input;
    for (size_t i = 0; i < 4; ++i) {
      x = pool(bns[i](torch::relu(convs[i](x))), i == 3 ? 4 : 2);
      offer(features, names[i], x);
    }
    offer(features, "features", x);
    return head.forward(x);
  }
  std::vector<Conv2d> convs;
  std::vector<BatchNorm2d> bns;
  Head head;
};

struct KerasInception {
  std::vector<Conv2d> convs;  // conv1, conv2_1, conv2_2, conv3_1, conv3_2, conv4_1, conv4_2
  KerasInception(torch::nn::Module& owner, const std::string& p, int64_t in, int64_t a, int64_t b, int64_t c, int64_t d) {
    const std::pair<const char*, Conv2d> spec[] = {
        {"_conv1", conv(in, a, 1)}, {"_conv2_1", conv(in, b, 1)}, {"_conv2_2", conv(b, b, 3)},
        {"_conv3_1", conv(in, c, 1)}, {"_conv3_2", conv(c, c, 3, 2)}, {"_conv4_1", conv(in, d, 1)},
        {"_conv4_2", conv(d, d, 3, 3)}};
    for (const auto& [suffix, module] : spec) convs.push_back(owner.register_module(p + suffix, module));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto f = [&](size_t i, const torch::Tensor& t) { return torch::relu(convs[i](t)); };
    return torch::cat({f(0, x), f(2, f(1, x)), f(4, f(3, x)), f(6, f(5, x))}, 1);
  }
};

struct KerasMesoInception4 : ZooModule {
  explicit KerasMesoInception4(int64_t num_outputs)
      : inception1(*this, "Incption1", 3, 1, 4, 4, 2), inception2(*this, "Incption2", 11, 2, 4, 4, 2), head(*this, num_outputs) {
    bn_inception1 = register_module("Incption1_bn", keras_bn(11));
    bn_inception2 = register_module("Incption2_bn", keras_bn(12));
    conv1 = register_module("conv1", conv(12, 16, 5));
    bn1 = register_module("bn1", keras_bn(16));
    conv2 = register_module("conv2", conv(16, 16, 5));
    bn2 = register_module("bn2", keras_bn(16));
  }
  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    torch::Tensor x = pool(bn_inception1(inception1.forward(input)), 2);
    offer(features, "inception1", x);
    x = pool(bn_inception2(inception2.forward(x)), 2);
    offer(features, "inception2", x);
    x = pool(bn1(torch::relu(conv1(x))), 2);
    offer(features, "block3", x);
    x = pool(bn2(torch::relu(conv2(x))), 4);
    offer(features, "block4", x);
    offer(features, "features", x);
    return head.forward(x);
  }
  KerasInception inception1, inception2;
  BatchNorm2d bn_inception1{nullptr}, bn_inception2{nullptr}, bn1{nullptr}, bn2{nullptr};
  Conv2d conv1{nullptr}, conv2{nullptr};
  Head head;
};

}  // namespace

void register_keras_mesonets(std::map<std::string, Entry>& registry) {
  registry["meso4_keras"] = Entry{
      ModelInfo{"meso4_keras", "DariusAf/MesoNet classifiers.py Meso4 (Keras)", 256, 1,
                {"block1", "block2", "block3", "block4", "features"}, "fc2.weight"},
      [](int n) { return std::make_shared<KerasMeso4>(n); }};
  registry["mesoinception4_keras"] = Entry{
      ModelInfo{"mesoinception4_keras", "DariusAf/MesoNet classifiers.py MesoInception4 (Keras)", 256, 1,
                {"inception1", "inception2", "block3", "block4", "features"}, "fc2.weight"},
      [](int n) { return std::make_shared<KerasMesoInception4>(n); }};
}

}  // namespace dfd::zoo
