// The Grad-CAM family against jacobgil/pytorch-grad-cam (golden g8).
#include <torch/torch.h>

#include "dfd_test.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/classifier.hpp"
#include "dfd/cam_maps.hpp"
#include "dfd/ensemble_explainer.hpp"
#include "dfd/face_regions.hpp"
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

TEST_CASE("face regions follow the landmarks, also on a tilted face" * doctest::test_suite("unit")) {
  const std::vector<std::string> blazeface = {"left_eye", "right_eye", "nose", "mouth", "left_ear", "right_ear"};
  const std::vector<cv::Point2f> upright = {{80, 100}, {144, 100}, {112, 140}, {112, 170}, {40, 120}, {184, 120}};
  const auto& names = dfd::face_region_names();
  auto region_at = [&](const cv::Mat& labels, cv::Point2f p) { return names.at(labels.at<uint8_t>(cv::Point(p))); };
  const cv::Mat labels = dfd::face_region_labels({224, 224}, upright, blazeface);
  CHECK(region_at(labels, {80, 100}) == "left_eye");
  CHECK(region_at(labels, {144, 100}) == "right_eye");
  CHECK(region_at(labels, {112, 172}) == "mouth");
  CHECK(region_at(labels, {112, 128}) == "nose");
  CHECK(region_at(labels, {112, 70}) == "eyebrows_forehead");
  CHECK(region_at(labels, {70, 150}) == "left_cheek");
  CHECK(region_at(labels, {154, 150}) == "right_cheek");
  CHECK(region_at(labels, {112, 205}) == "jaw");
  CHECK(region_at(labels, {40, 122}) == "left_ear");
  CHECK(region_at(labels, {2, 2}) == "background");
  // The same face turned 30 degrees about the middle of its eyes: the regions turn with it.
  const cv::Mat turn = cv::getRotationMatrix2D({112, 100}, 30, 1.0);
  auto rotate = [&](cv::Point2f p) {
    return cv::Point2f(float(turn.at<double>(0, 0) * p.x + turn.at<double>(0, 1) * p.y + turn.at<double>(0, 2)),
                       float(turn.at<double>(1, 0) * p.x + turn.at<double>(1, 1) * p.y + turn.at<double>(1, 2)));
  };
  std::vector<cv::Point2f> tilted;
  for (const auto& p : upright) tilted.push_back(rotate(p));
  const cv::Mat tilted_labels = dfd::face_region_labels({224, 224}, tilted, blazeface);
  for (const auto& [point, region] : std::vector<std::pair<cv::Point2f, std::string>>{
           {{80, 100}, "left_eye"}, {{112, 172}, "mouth"}, {{112, 70}, "eyebrows_forehead"}, {{70, 150}, "left_cheek"}}) {
    CHECK(region_at(tilted_labels, rotate(point)) == region);
  }
  // MTCNN's five points: the mouth is the middle of its corners.
  const cv::Mat mtcnn = dfd::face_region_labels(
      {224, 224}, {{80, 100}, {144, 100}, {112, 140}, {92, 170}, {132, 170}},
      {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"});
  CHECK(region_at(mtcnn, {112, 171}) == "mouth");
  CHECK_THROWS_AS(dfd::face_region_labels({224, 224}, {}, {}), dfd::InvalidArgument);  // Haar: no landmarks

  // A map that sits on the mouth and a little on the left eye.
  cv::Mat cam = cv::Mat::zeros(224, 224, CV_32F);
  cv::circle(cam, {112, 172}, 12, 1.0, cv::FILLED);
  cv::circle(cam, {80, 100}, 5, 1.0, cv::FILLED);
  const auto shares = dfd::region_shares(cam, labels);
  REQUIRE(shares.size() >= 2);
  CHECK(shares[0].region == "mouth");
  CHECK(shares[1].region == "left_eye");
  float total = 0;
  for (const auto& s : shares) total += s.share;
  CHECK(total == doctest::Approx(1.0f));
  CHECK(dfd::describe(shares).rfind("mostly on the mouth (", 0) == 0);
  CHECK(dfd::describe({}) == "no evidence anywhere (an all-zero map)");
}

TEST_CASE("ensemble explanation: refine, fuse, endpoints, and back to the frame") {
  cv::Mat fine(4, 4, CV_32F, cv::Scalar(1.0f)), coarse = cv::Mat::zeros(4, 4, CV_32F);
  coarse.at<float>(1, 1) = 1.0f;
  const cv::Mat refined = dfd::refine_with_coarse(fine, coarse);
  CHECK(refined.at<float>(1, 1) == doctest::Approx(1.0f));
  CHECK(refined.at<float>(0, 0) == 0.0f);
  const cv::Mat fused = dfd::fuse_maps({coarse, fine * 0.5f}, {3.0f, 1.0f});  // (3 coarse + 0.5) / 4, min-max
  CHECK(fused.at<float>(1, 1) == doctest::Approx(1.0f));
  CHECK(fused.at<float>(0, 0) == doctest::Approx(0.0f));
  CHECK_THROWS_AS(dfd::fuse_maps({coarse}, {}), dfd::InvalidArgument);

  auto meso = dfd::Classifier::create("mesoinception4:" + dfd::test::test_model("MesoInception4_realA_fakeC.safetensors") +
                                      "@fakeavceleb_meso");
  auto meso4 = dfd::Classifier::create("meso4:" + dfd::test::test_model("Meso4_realA_fakeC.safetensors") + "@fakeavceleb_meso");
  const dfd::EnsembleExplainer explainer({meso.get(), meso4.get()}, {dfd::CamMethod::GradCAM, dfd::CamTarget::fake(), {2, 1}});
  CHECK(explainer.layers(0) == std::pair<std::string, std::string>{"conv2", "features"});
  const cv::Mat face = dfd::test::load_rgb(shared_path("data/images/mesonet_test_images/real/real00240.jpg"));
  const auto maps = explainer.explain({face});
  REQUIRE(maps.size() == 1);
  CHECK(maps[0].size() == face.size());
  // The explainer's one two-layer pass per model: each layer's map is what a GradCAM of that layer
  // alone gives, so the result is the definition (refine per model, then the weighted fusion).
  std::vector<cv::Mat> per_model;
  for (size_t m = 0; m < 2; ++m) {
    dfd::Classifier* c = m == 0 ? meso.get() : meso4.get();
    const auto [fine_layer, coarse_layer] = explainer.layers(m);
    dfd::GradCamParams one;
    one.layers = {fine_layer};
    const cv::Mat fine_map = dfd::GradCAM(*c, one).compute({face}, dfd::CamTarget::fake()).maps[0];
    one.layers = {coarse_layer};
    const cv::Mat coarse_map = dfd::GradCAM(*c, one).compute({face}, dfd::CamTarget::fake()).maps[0];
    dfd::GradCamParams both;
    both.layers = {fine_layer, coarse_layer};
    const dfd::CamResult two = dfd::GradCAM(*c, both).compute({face}, dfd::CamTarget::fake());
    CHECK(cv::norm(two.layer_final[0][0], fine_map, cv::NORM_INF) < 1e-6);
    CHECK(cv::norm(two.layer_final[1][0], coarse_map, cv::NORM_INF) < 1e-6);
    per_model.push_back(dfd::refine_with_coarse(fine_map, coarse_map));
  }
  CHECK(cv::norm(maps[0], dfd::fuse_maps(per_model, {2, 1}), cv::NORM_INF) < 1e-5);
  double lo = 0, hi = 0;
  cv::minMaxLoc(maps[0], &lo, &hi);
  CHECK(lo >= 0.0);
  CHECK(hi == doctest::Approx(1.0).epsilon(1e-5));

  // A crop cut from (100, 50, 200x200) of a 640x480 frame, resized to 224: its top-left quarter
  // lands on the region's top-left quarter.
  dfd::FaceCrop crop;
  crop.region = {100, 50, 200, 200};
  crop.content = {0, 0, 224, 224};
  crop.image = cv::Mat::zeros(224, 224, CV_8UC3);
  cv::Mat crop_map = cv::Mat::zeros(224, 224, CV_32F);
  crop_map(cv::Rect(0, 0, 112, 112)).setTo(1.0f);
  const cv::Mat frame_map = dfd::map_to_frame(crop_map, crop, {640, 480});
  CHECK(frame_map.size() == cv::Size(640, 480));
  CHECK(frame_map.at<float>(60, 110) == doctest::Approx(1.0f));
  CHECK(frame_map.at<float>(200, 250) == 0.0f);
  CHECK(frame_map.at<float>(10, 10) == 0.0f);
}
