// The Temporal Shift Module: the shift itself on a known tensor, and TSM networks — a clip's
// frames in, the reference's names, one frame equal to the 2D backbone.
#include <torch/torch.h>

#include "dfd_test.hpp"

#include <filesystem>

#include <opencv2/core.hpp>
#include <string>

#include "dfd/gradcam.hpp"
#include "dfd/models.hpp"
#include "dfd/trainer.hpp"
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

// A 2D network's name for a TSM one's: base_model.X -> X, a shifted layer's X.net -> X, new_fc -> fc.
std::string two_d_name(std::string name) {
  if (name.rfind("new_fc.", 0) == 0) return "fc." + name.substr(7);
  name = name.substr(std::string("base_model.").size());
  if (const auto at = name.find(".net."); at != std::string::npos) name.erase(at, 4);
  return name;
}

// A 2D network holding a TSM network's weights.
void copy_into_2d(dfd::Model& tsm, dfd::Model& flat) {
  torch::NoGradGuard no_grad;
  auto params = flat.module().named_parameters(true);
  auto buffers = flat.module().named_buffers(true);
  for (const auto& item : tsm.module().named_parameters(true)) params[two_d_name(item.key())].copy_(item.value());
  for (const auto& item : tsm.module().named_buffers(true)) buffers[two_d_name(item.key())].copy_(item.value());
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
  copy_into_2d(*one, *flat);
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

TEST_CASE("tsm_mobilenet_v1: shifted pointwise layers under the reference's wrapping; one frame equal to mobilenet_v1"
          * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  auto one = dfd::Model::create("tsm_mobilenet_v1", {.num_outputs = 1, .segments = 1});
  CHECK(one->info().backbone == "mobilenet_v1");
  auto params = one->module().named_parameters(true);
  CHECK(params.contains("base_model.conv_pw_1.net.weight"));
  CHECK(params.contains("base_model.conv_pw_13.net.bias"));
  CHECK(params.contains("base_model.conv_dw_13.weight"));
  CHECK(params.contains("new_fc.weight"));
  CHECK_FALSE(params.contains("base_model.fc.weight"));
  auto flat = dfd::Model::create("mobilenet_v1", {.num_outputs = 1});
  copy_into_2d(*one, *flat);
  const torch::Tensor frames = torch::rand({2, 3, 96, 96}) * 255;
  CHECK(torch::allclose(one->forward(frames.unsqueeze(1)), flat->forward(frames), 1e-4, 1e-4));
  // A shift of 1/4 each way (shift_div 4) differs from the default 1/8 on the same weights.
  auto eighth = dfd::Model::create("tsm_mobilenet_v1", {.num_outputs = 1, .segments = 4});
  auto quarter = dfd::Model::create("tsm_mobilenet_v1", {.num_outputs = 1, .segments = 4, .shift_div = 4});
  CHECK(eighth->info().shift_div == 8);
  CHECK(quarter->info().shift_div == 4);
  auto q = quarter->module().named_parameters(true);
  for (const auto& item : eighth->module().named_parameters(true)) q[item.key()].copy_(item.value());
  const torch::Tensor clip = torch::rand({1, 4, 3, 96, 96}) * 255;
  CHECK_FALSE(torch::allclose(eighth->forward(clip), quarter->forward(clip), 1e-4, 1e-5));
  CHECK_THROWS_AS(dfd::Model::create("tsm_mobilenet_v1", {.segments = -1}), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::Model::create("tsm_mobilenet_v1", {.shift_div = -2}), dfd::InvalidArgument);
}

TEST_CASE("a clip model's file says its segments and shift: Model::load rebuilds it alike" * doctest::test_suite("unit")) {
  torch::NoGradGuard no_grad;
  auto model = dfd::Model::create("tsm_resnet18", {.num_outputs = 1, .segments = 3, .shift_div = 4});
  const std::string built = dfd::Model::build_metadata(model->info());
  CHECK(built == R"({"segments":3,"shift_div":4})");
  CHECK(dfd::Model::build_metadata(dfd::model_info("resnet18")).empty());
  const std::string path = (std::filesystem::temp_directory_path() / "dfd_test_tsm3.safetensors").string();
  dfd::save_model(*model, path, {{"dfd.model", built}});
  auto loaded = dfd::Model::load("tsm_resnet18", path);
  CHECK(loaded->info().segments == 3);
  CHECK(loaded->info().shift_div == 4);
  const torch::Tensor clip = torch::rand({1, 3, 3, 64, 64});
  CHECK(torch::allclose(loaded->forward(clip), model->forward(clip)));
  // Given options win over the file's.
  CHECK(dfd::Model::load("tsm_resnet18", path, {.segments = 2})->info().segments == 2);
  dfd::save_model(*model, path, {{"dfd.model", "not json"}});
  CHECK_THROWS_AS(dfd::Model::load("tsm_resnet18", path), dfd::ModelError);
  std::filesystem::remove(path);
}

TEST_CASE("Grad-CAM of a clip: a map per frame; one-frame clips give the 2D network's maps" * doctest::test_suite("unit")) {
  torch::manual_seed(9);
  auto one = dfd::Model::create("tsm_mobilenet_v1", {.num_outputs = 2, .segments = 1});
  auto flat = dfd::Model::create("mobilenet_v1", {.num_outputs = 2});
  copy_into_2d(*one, *flat);
  const torch::Tensor frames = torch::rand({3, 3, 64, 64}) * 255;
  const dfd::CamResult clip_maps = dfd::GradCAM(*one).compute(frames.unsqueeze(1), dfd::CamTarget::of_class(1));
  const dfd::CamResult frame_maps = dfd::GradCAM(*flat).compute(frames, dfd::CamTarget::of_class(1));
  REQUIRE(clip_maps.maps.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(cv::norm(clip_maps.maps[i], frame_maps.maps[i], cv::NORM_INF) < 1e-3);
  // Four frames a clip: 2 clips give 8 maps, one class each clip.
  auto four = dfd::Model::create("tsm_mobilenet_v1", {.num_outputs = 2, .segments = 4});
  const dfd::CamResult r = dfd::GradCAM(*four).compute(torch::rand({2, 4, 3, 64, 64}) * 255, dfd::CamTarget::of_class(0));
  CHECK(r.maps.size() == 8);
  CHECK(r.classes.size() == 2);
  CHECK(r.maps[0].size() == cv::Size(64, 64));
  CHECK_THROWS_AS(dfd::GradCAM(*four).compute(torch::rand({2, 3, 64, 64})), dfd::InvalidArgument);
}
