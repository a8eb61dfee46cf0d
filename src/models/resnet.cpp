// torchvision's ResNet and ResNeXt (names equal torchvision's state_dict).
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1) {
  return Conv2d(Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
}

// One residual block; torchvision's BasicBlock (two 3x3) or Bottleneck (1x1, grouped 3x3, 1x1).
struct BlockImpl : torch::nn::Module {
  BlockImpl(bool bottleneck, int64_t in, int64_t planes, int64_t stride, int64_t groups, int64_t width_per_group)
      : bottleneck(bottleneck) {
    const int64_t expansion = bottleneck ? 4 : 1;
    if (bottleneck) {
      const int64_t width = planes * width_per_group / 64 * groups;
      conv1 = register_module("conv1", conv(in, width, 1));
      bn1 = register_module("bn1", BatchNorm2d(width));
      conv2 = register_module("conv2", conv(width, width, 3, stride, groups));
      bn2 = register_module("bn2", BatchNorm2d(width));
      conv3 = register_module("conv3", conv(width, planes * expansion, 1));
      bn3 = register_module("bn3", BatchNorm2d(planes * expansion));
    } else {
      conv1 = register_module("conv1", conv(in, planes, 3, stride));
      bn1 = register_module("bn1", BatchNorm2d(planes));
      conv2 = register_module("conv2", conv(planes, planes, 3));
      bn2 = register_module("bn2", BatchNorm2d(planes));
    }
    if (stride != 1 || in != planes * expansion) {
      downsample = register_module("downsample", torch::nn::Sequential(conv(in, planes * expansion, 1, stride),
                                                                        BatchNorm2d(planes * expansion)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1(conv1(x)));
    out = bn2(conv2(out));
    if (bottleneck) out = bn3(conv3(torch::relu(out)));
    return torch::relu(out + (downsample ? downsample->forward(x) : x));
  }

  bool bottleneck;
  Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Block);

struct ResNet : ZooModule {
  ResNet(bool bottleneck, std::vector<int64_t> depths, int64_t groups, int64_t width_per_group, int64_t num_outputs) {
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", BatchNorm2d(64));
    int64_t in = 64;
    const int64_t expansion = bottleneck ? 4 : 1;
    for (size_t stage = 0; stage < 4; ++stage) {
      const int64_t planes = 64 << stage;
      torch::nn::Sequential layer;
      for (int64_t b = 0; b < depths[stage]; ++b) {
        layer->push_back(Block(bottleneck, in, planes, (b == 0 && stage > 0) ? 2 : 1, groups, width_per_group));
        in = planes * expansion;
      }
      layers.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    fc = register_module("fc", torch::nn::Linear(in, num_outputs));
  }

  torch::Tensor forward_with(const torch::Tensor& input, std::map<std::string, torch::Tensor>* features) override {
    torch::Tensor x = torch::relu(bn1(conv1(input)));
    x = torch::max_pool2d(x, 3, 2, 1);
    static const char* names[] = {"layer1", "layer2", "layer3", "layer4"};
    for (size_t i = 0; i < layers.size(); ++i) {
      x = layers[i]->forward(x);
      offer(features, names[i], x);
    }
    offer(features, "features", x);
    return fc(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

  Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  std::vector<torch::nn::Sequential> layers;
  torch::nn::Linear fc{nullptr};
};

void add(std::map<std::string, Entry>& registry, const std::string& arch, const std::string& reference, bool bottleneck,
         std::vector<int64_t> depths, int64_t groups, int64_t width_per_group) {
  registry[arch] = Entry{
      ModelInfo{arch, reference, 224, 1000, {"layer1", "layer2", "layer3", "layer4", "features"}, "fc.weight"},
      [=](int num_outputs) {
        return std::make_shared<ResNet>(bottleneck, depths, groups, width_per_group, num_outputs);
      }};
}

}  // namespace

void register_resnets(std::map<std::string, Entry>& registry) {
  add(registry, "resnet18", "torchvision resnet18()", false, {2, 2, 2, 2}, 1, 64);
  add(registry, "resnet34", "torchvision resnet34()", false, {3, 4, 6, 3}, 1, 64);
  add(registry, "resnet50", "torchvision resnet50()", true, {3, 4, 6, 3}, 1, 64);
  add(registry, "resnext50_32x4d", "torchvision resnext50_32x4d()", true, {3, 4, 6, 3}, 32, 4);
}

}  // namespace dfd::zoo
