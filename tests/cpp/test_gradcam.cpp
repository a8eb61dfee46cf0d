// The Grad-CAM family against jacobgil/pytorch-grad-cam (golden g8).
#include <torch/torch.h>

#include "dfd_test.hpp"

#include <opencv2/core.hpp>

#include "dfd/classifier.hpp"
#include "dfd/gradcam.hpp"
#include "dfd/models.hpp"
#include "dfd/safetensors.hpp"
#include "formula_weights.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;

namespace {

cv::Mat golden_map(const dfd::SafetensorsFile& file, const std::string& name, int index) {
  const dfd::TensorView& t = file.tensor(name);
  REQUIRE(t.shape.size() == 3);
  const int h = static_cast<int>(t.shape[1]), w = static_cast<int>(t.shape[2]);
  const float* data = reinterpret_cast<const float*>(t.data) + static_cast<size_t>(index) * h * w;
  return cv::Mat(h, w, CV_32F, const_cast<float*>(data)).clone();
}

double max_diff(const cv::Mat& a, const cv::Mat& b) {
  REQUIRE(a.size() == b.size());
  return cv::norm(a, b, cv::NORM_INF);
}

}  // namespace

TEST_CASE("g8: every method on resnet18, one and two layers, equals pytorch-grad-cam") {
  const dfd::SafetensorsFile golden(shared_path("golden/g8_gradcam/resnet18_formula.safetensors"));
  auto model = dfd::Model::create("resnet18");
  dfd::test::fill_with_formula(model->module());
  const torch::Tensor x = dfd::test::formula_input({2, 3, 224, 224});
  struct Case { dfd::CamMethod method; const char* name; };
  const Case methods[] = {{dfd::CamMethod::GradCAM, "GradCAM"}, {dfd::CamMethod::GradCAMPlusPlus, "GradCAMPlusPlus"},
                          {dfd::CamMethod::XGradCAM, "XGradCAM"}, {dfd::CamMethod::LayerCAM, "LayerCAM"},
                          {dfd::CamMethod::EigenCAM, "EigenCAM"}};
  const std::pair<const char*, std::vector<std::string>> layer_sets[] = {{"layer4", {"layer4"}},
                                                                         {"layer4+layer3", {"layer4", "layer3"}}};
  int compared = 0;
  for (const Case& m : methods) {
    for (const auto& [set_name, layers] : layer_sets) {
      for (int target : {0, 1}) {
        const std::string prefix = std::string(m.name) + "/" + set_name + (target == 1 ? "/target1" : "");
        if (!golden.contains(prefix + "/grayscale_cam")) continue;
        INFO(prefix);
        dfd::GradCamParams params;
        params.method = m.method;
        params.layers = layers;
        const dfd::CamResult result = dfd::GradCAM(*model, params).compute(x, dfd::CamTarget::of_class(target));
        REQUIRE(result.maps.size() == 2);
        for (int i = 0; i < 2; ++i) {
          const cv::Mat expected = golden_map(golden, prefix + "/grayscale_cam", i);
          // (EigenCAM: the first singular vector's sign is LAPACK's choice; it agrees with numpy's
          // here. If it ever flips, this fails, as the golden README warns.)
          CHECK(max_diff(result.maps[i], expected) <= 1e-4);
          // pytorch-grad-cam numbers its low-resolution maps in forward order (layer3 before
          // layer4), not in target-layer order: match them by resolution.
          for (size_t l = 0; l < layers.size(); ++l) {
            const cv::Mat& ours = result.layer_maps[l][i];
            bool matched = false;
            for (size_t j = 0; j < layers.size(); ++j) {
              const std::string low_name = prefix + "/lowres_cam_layer" + std::to_string(j);
              if (!golden.contains(low_name)) continue;
              const cv::Mat low = golden_map(golden, low_name, i);
              if (low.size() != ours.size()) continue;
              double peak = 0;
              cv::minMaxLoc(low, nullptr, &peak);
              CHECK(max_diff(ours, low) <= 1e-4 * std::max(1.0, peak));
              matched = true;
            }
            CHECK(matched);
          }
        }
        ++compared;
      }
    }
  }
  CHECK(compared == 13);
}

TEST_CASE("g8: GradCAM on FakeAVCeleb MesoInception4 with its published weights") {
  const dfd::SafetensorsFile golden(shared_path("golden/g8_gradcam/mesoinception4_fakeavceleb.safetensors"));
  const dfd::SafetensorsFile inputs(shared_path("golden/g7_real_weights/inputs_fakeavceleb_224.safetensors"));
  const dfd::TensorView& images = inputs.tensor("images_u8");
  const dfd::TensorView& which = golden.tensor("g7_image_indices");
  std::vector<cv::Mat> crops;
  for (int i = 0; i < 4; ++i) {
    const int64_t index = reinterpret_cast<const int64_t*>(which.data)[i];
    crops.push_back(cv::Mat(224, 224, CV_8UC3, const_cast<uint8_t*>(images.data) + index * 224 * 224 * 3).clone());
  }
  auto classifier = dfd::Classifier::create("mesoinception4:" + dfd::test::test_model("MesoInception4_realA_fakeC.safetensors") +
                                            "@fakeavceleb_meso");
  for (const char* layer : {"conv2", "maxpooling2"}) {
    INFO(layer);
    dfd::GradCamParams params;
    params.layers = {layer};
    const dfd::CamResult result = dfd::GradCAM(*classifier, params).compute(crops, dfd::CamTarget::of_class(1));
    for (int i = 0; i < 4; ++i) {
      CHECK(max_diff(result.maps[i], golden_map(golden, std::string("GradCAM/") + layer + "/target1/grayscale_cam", i)) <= 1e-4);
    }
  }
}
