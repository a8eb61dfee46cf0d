// The Temporal Shift Module: the shift itself on a known tensor, and TSM networks — a clip's
// frames in, the reference's names, one frame equal to the 2D backbone.
#include <torch/torch.h>

#include "dfd_test.hpp"

#include <string>

#include "dfd/models.hpp"
#include "models/temporal_shift.hpp"

namespace {

// The shift written out element by element, from its definition (Lin et al., Fig. 1b): channels
// [0, fold) take the next frame's values, [fold, 2 fold) the previous frame's, zero past the clip.
torch::Tensor shifted_by_hand(const torch::Tensor& x, int64_t segments, int64_t fold_div) {
  const int64_t n = x.size(0) / segments, c = x.size(1), fold = c / fold_div;
  torch::Tensor out = torch::zeros_like(x);
  auto src = x.accessor<float, 4>();
  auto dst = out.accessor<float, 4>();
  for (int64_t clip = 0; clip < n; ++clip) {
    for (int64_t t = 0; t < segments; ++t) {
      for (int64_t ch = 0; ch < c; ++ch) {
        int64_t from = t;
        if (ch < fold) from = t + 1;
        else if (ch < 2 * fold) from = t - 1;
        if (from < 0 || from >= segments) continue;
        for (int64_t i = 0; i < x.size(2); ++i) {
          for (int64_t j = 0; j < x.size(3); ++j) dst[clip * segments + t][ch][i][j] = src[clip * segments + from][ch][i][j];
        }
      }
    }
  }
  return out;
}

// A 2D network's name for a TSM one's: base_model.X -> X, conv1.net -> conv1, new_fc -> fc.
std::string two_d_name(std::string name) {
  if (name.rfind("new_fc.", 0) == 0) return "fc." + name.substr(7);
  name = name.substr(std::string("base_model.").size());
  const auto at = name.find(".conv1.net.");
  if (at != std::string::npos) name.replace(at, 11, ".conv1.");
  return name;
}

}  // namespace

TEST_CASE("temporal_shift: a known tensor; one frame is unchanged; bad shapes refused" * doctest::test_suite("unit")) {
  const torch::Tensor x = torch::arange(2 * 3 * 8 * 2 * 2, torch::kFloat32).reshape({6, 8, 2, 2});  // 2 clips of 3 frames
  const torch::Tensor y = dfd::zoo::temporal_shift(x, 3, 4);  // fold = 2 channels each way
  CHECK(torch::equal(y, shifted_by_hand(x, 3, 4)));
  // Spot values: frame 0 channel 0 is frame 1's; the last frame's channel 0 is 0; frame 1 channel 2 is frame 0's.
  CHECK(y[0][0][0][0].item<float>() == x[1][0][0][0].item<float>());
  CHECK(y[2][0][0][0].item<float>() == 0.0f);
  CHECK(y[1][2][0][0].item<float>() == x[0][2][0][0].item<float>());
  CHECK(y[0][2][0][0].item<float>() == 0.0f);
  CHECK(torch::equal(y.slice(1, 4), x.slice(1, 4)));  // the rest kept
  CHECK(torch::equal(dfd::zoo::temporal_shift(x, 1, 8), x));
  CHECK(torch::equal(dfd::zoo::temporal_shift(x, 2, 8), shifted_by_hand(x, 2, 8)));  // fold 1 (8 channels / 8)
  CHECK_THROWS_AS(dfd::zoo::temporal_shift(x, 4, 8), dfd::InvalidArgument);  // 6 frames are not clips of 4
  CHECK_THROWS_AS(dfd::zoo::temporal_shift(x.flatten(1), 3, 8), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::zoo::temporal_shift(x, 0, 8), dfd::InvalidArgument);
}

TEST_CASE("TSM ResNets: the reference's names, clips in, one frame equal to the 2D ResNet" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  auto one = dfd::Model::create("tsm_resnet18", {.num_outputs = 5, .segments = 1});
  CHECK(one->info().input == dfd::ModelInput::Clip);
  CHECK(one->info().segments == 1);
  auto params = one->module().named_parameters(true);
  CHECK(params.contains("base_model.layer1.0.conv1.net.weight"));
  CHECK(params.contains("base_model.layer2.0.downsample.0.weight"));
  CHECK(params.contains("new_fc.weight"));
  CHECK_FALSE(params.contains("base_model.fc.weight"));
  // Its weights in a 2D ResNet-18: a clip of one frame gives the same logits as the frame.
  auto flat = dfd::Model::create("resnet18", {.num_outputs = 5});
  auto flat_params = flat->module().named_parameters(true);
  auto flat_buffers = flat->module().named_buffers(true);
  for (const auto& item : one->module().named_parameters(true)) flat_params[two_d_name(item.key())].copy_(item.value());
  for (const auto& item : one->module().named_buffers(true)) flat_buffers[two_d_name(item.key())].copy_(item.value());
  const torch::Tensor frames = torch::rand({2, 3, 64, 64});
  CHECK(torch::allclose(one->forward(frames.unsqueeze(1)), flat->forward(frames), 1e-4, 1e-5));

  // Eight frames: the default; a clip's logits depend on its frames' order (the shift), and a
  // clip of another length is refused.
  auto eight = dfd::Model::create("tsm_resnet18", {.num_outputs = 2});
  CHECK(eight->info().segments == 8);
  const torch::Tensor clip = torch::rand({1, 8, 3, 64, 64});
  std::map<std::string, torch::Tensor> features{{"features", {}}};
  const torch::Tensor logits = eight->forward(clip, {"features"}, features);
  CHECK(logits.sizes() == std::vector<int64_t>{1, 2});
  CHECK(features.at("features").sizes() == std::vector<int64_t>{8, 512, 2, 2});  // per frame
  CHECK_FALSE(torch::allclose(eight->forward(clip.flip({1})), logits, 1e-4, 1e-5));
  CHECK_THROWS_AS(eight->forward(torch::rand({1, 4, 3, 64, 64})), dfd::InvalidArgument);
  CHECK_THROWS_AS(eight->forward(torch::rand({8, 3, 64, 64})), dfd::InvalidArgument);
  auto fifty = dfd::Model::create("tsm_resnet50", {.num_outputs = 1, .segments = 2});
  CHECK(fifty->module().named_parameters(true).contains("base_model.layer4.2.conv1.net.weight"));
  CHECK(fifty->forward(torch::rand({1, 2, 3, 64, 64})).sizes() == std::vector<int64_t>{1, 1});
}
