// torchvision's ResNet and ResNeXt (names equal torchvision's state_dict), and TSM's ResNets
// (mit-han-lab/temporal-shift-module: TSN with is_shift, shift_place blockres, names equal its
// state_dict less DataParallel's "module.").
#include "models/temporal_shift.hpp"
#include "models/zoo_module.hpp"

namespace dfd::zoo {
namespace {

using torch::nn::BatchNorm2d;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1) {
  return Conv2d(Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
}

// The temporal shift of a TSM network: on the residual branch, before each block's first
// convolution ("blockres"). segments 0: none (a 2D ResNet).
struct Shift {
  int64_t segments = 0;
  int64_t fold_div = 8;
};

// One residual block; torchvision's BasicBlock (two 3x3) or Bottleneck (1x1, grouped 3x3, 1x1).
struct BlockImpl : torch::nn::Module {
  BlockImpl(bool bottleneck, int64_t in, int64_t planes, int64_t stride, int64_t groups, int64_t width_per_group, Shift shift)
      : bottleneck(bottleneck) {
    const int64_t expansion = bottleneck ? 4 : 1;
    // The first convolution, plain or shifted (then named conv1.net, as the reference wraps it).
    const auto first = [&](Conv2d c) {
      if (shift.segments > 0) {
        shifted1 = register_module("conv1", TemporalShift(std::move(c), shift.segments, shift.fold_div));
      } else {
        conv1 = register_module("conv1", std::move(c));
      }
    };
    if (bottleneck) {
      const int64_t width = planes * width_per_group / 64 * groups;
      first(conv(in, width, 1));
      bn1 = register_module("bn1", BatchNorm2d(width));
      conv2 = register_module("conv2", conv(width, width, 3, stride, groups));
      bn2 = register_module("bn2", BatchNorm2d(width));
      conv3 = register_module("conv3", conv(width, planes * expansion, 1));
      bn3 = register_module("bn3", BatchNorm2d(planes * expansion));
    } else {
      first(conv(in, planes, 3, stride));
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
    torch::Tensor out = torch::relu(bn1(shifted1 ? shifted1(x) : conv1(x)));
    out = bn2(conv2(out));
    if (bottleneck) out = bn3(conv3(torch::relu(out)));
    return torch::relu(out + (downsample ? downsample->forward(x) : x));
  }

  bool bottleneck;
  Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  TemporalShift shifted1{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Block);

struct ResNet : ZooModule {
  // num_outputs 0: no fc (a TSM network's base_model, whose head is new_fc).
  ResNet(bool bottleneck, std::vector<int64_t> depths, int64_t groups, int64_t width_per_group, int64_t num_outputs,
         Shift shift = {}) {
    conv1 = register_module("conv1", Conv2d(Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", BatchNorm2d(64));
    int64_t in = 64;
    const int64_t expansion = bottleneck ? 4 : 1;
    for (size_t stage = 0; stage < 4; ++stage) {
      const int64_t planes = 64 << stage;
      torch::nn::Sequential layer;
      for (int64_t b = 0; b < depths[stage]; ++b) {
        layer->push_back(Block(bottleneck, in, planes, (b == 0 && stage > 0) ? 2 : 1, groups, width_per_group, shift));
        in = planes * expansion;
      }
      layers.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    if (num_outputs > 0) fc = register_module("fc", torch::nn::Linear(in, num_outputs));
    width = in;
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
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc ? fc(x) : x;
  }

  Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  std::vector<torch::nn::Sequential> layers;
  torch::nn::Linear fc{nullptr};
  int64_t width = 0;  // the pooled features' length
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

void register_tsm(std::map<std::string, Entry>& registry) {
  for (const auto& [arch, bottleneck, depths] : {std::tuple<const char*, bool, std::vector<int64_t>>{"tsm_resnet50", true, {3, 4, 6, 3}},
                                                 {"tsm_resnet18", false, {2, 2, 2, 2}}}) {
    ModelInfo info{arch, std::string("mit-han-lab/temporal-shift-module TSN(base_model='") + (arch + 4) +
                             "', is_shift=True, shift_div=8, shift_place='blockres')",
                   224, 400, {"layer1", "layer2", "layer3", "layer4", "features"}, "new_fc.weight"};
    info.input = ModelInput::Clip;
    info.segments = 8;
    info.shift_div = 8;
    info.backbone = arch + 4;
    Entry e{info, nullptr};
    e.make_with = [bottleneck = bottleneck, depths = depths](int n, const ModelOptions& o) {
      auto base = std::make_shared<ResNet>(bottleneck, depths, 1, 64, 0, Shift{o.segments, o.shift_div});
      const int64_t width = base->width;
      return std::make_shared<Tsn<ResNet>>(std::move(base), width, n, o.segments);
    };
    registry[arch] = e;
  }
}

}  // namespace dfd::zoo
