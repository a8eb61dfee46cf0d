#include "dfd_test.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"
#include "dfd/safetensors.hpp"

using dfd::test::load_rgb;
using dfd::test::shared_path;


// g3: facenet-pytorch's MTCNN.detect on full frames (default thresholds) and, for selimsef's two
// threshold sets, on the stored PIL half-size frames (PIL's bicubic is not reproducible with cv2).
TEST_CASE("g3: MTCNN boxes, probabilities and landmarks equal facenet-pytorch's") {
  const std::filesystem::path dir = shared_path("golden/g3_mtcnn");
  struct Config { const char* name; double thresholds[3]; bool half; };
  const Config configs[] = {{"default", {0.6, 0.7, 0.7}, false},
                            {"selimsef_prep", {0.85, 0.95, 0.95}, true},
                            {"selimsef_kernel", {0.7, 0.8, 0.8}, true}};
  double worst_box = 0, worst_landmark = 0, worst_prob = 0;
  int compared = 0;
  for (const Config& config : configs) {
    dfd::MtcnnParams params;
    params.weights = dfd::test::test_model("mtcnn.safetensors");
    std::copy(std::begin(config.thresholds), std::end(config.thresholds), params.thresholds);
    auto mtcnn = dfd::Mtcnn::create(params);
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".safetensors") continue;
      const dfd::SafetensorsFile golden(entry.path().string());
      INFO(entry.path().filename().string() << " " << config.name);
      const cv::Mat image = load_rgb((dir / golden.metadata(config.half ? "half_input_png" : "input_png")).string());
      const auto faces = mtcnn->detect(image);
      const std::string prefix = config.name;
      const auto boxes = golden.values<float>(prefix + "_boxes");
      const auto probs = golden.values<float>(prefix + "_probs");
      const auto landmarks = golden.values<float>(prefix + "_landmarks");
      REQUIRE(faces.size() == probs.size());
      for (size_t k = 0; k < faces.size(); ++k) {
        const dfd::Face& f = faces[k];
        const float ours[4] = {f.box.x1, f.box.y1, f.box.x2, f.box.y2};
        for (int c = 0; c < 4; ++c) worst_box = std::max(worst_box, double(std::abs(ours[c] - boxes[k * 4 + c])));
        worst_prob = std::max(worst_prob, double(std::abs(f.score - probs[k])));
        REQUIRE(f.landmarks.size() == 5);
        for (size_t p = 0; p < 5; ++p) {
          worst_landmark = std::max(worst_landmark, double(std::abs(f.landmarks[p].x - landmarks[k * 10 + p * 2])));
          worst_landmark = std::max(worst_landmark, double(std::abs(f.landmarks[p].y - landmarks[k * 10 + p * 2 + 1])));
        }
        const dfd::Box expected{boxes[k * 4], boxes[k * 4 + 1], boxes[k * 4 + 2], boxes[k * 4 + 3]};
        CHECK(dfd::iou(f.box, expected) >= 0.99f);
        ++compared;
      }
    }
  }
  MESSAGE(fmt::format("MTCNN vs facenet-pytorch over {} faces: boxes {:.2g} px, landmarks {:.2g} px, probs {:.2g}",
                      compared, worst_box, worst_landmark, worst_prob));
  CHECK(compared >= 18);
  CHECK(worst_box <= 1e-2);       // the golden README's bound for MTCNN boxes
  CHECK(worst_landmark <= 1e-2);
  CHECK(worst_prob <= 1e-4);
}

TEST_CASE("MTCNN: downscaled detection returns full-size boxes; errors") {
  dfd::MtcnnParams params;
  params.weights = dfd::test::test_model("mtcnn.safetensors");
  const cv::Mat frame = load_rgb(shared_path("golden/g1_video/004_frame0158.png"));
  const auto full = dfd::Mtcnn::create(params)->detect(frame);
  params.downscale = 0.5;
  auto half = dfd::Mtcnn::create(params);
  const auto faces = half->detect(frame);
  REQUIRE(!faces.empty());
  REQUIRE(!full.empty());
  CHECK(dfd::iou(faces[0].box, full[0].box) >= 0.8f);
  CHECK(half->landmark_names().size() == 5);
  CHECK(half->detect(cv::Mat(200, 300, CV_8UC3, cv::Scalar(0, 0, 0))).empty());

  params.downscale = 0;
  CHECK_THROWS_AS(dfd::Mtcnn::create(params), dfd::InvalidArgument);
  params.downscale = 1;
  params.weights = dfd::test::test_model("blazeface_front.safetensors");
  CHECK_THROWS_AS(dfd::Mtcnn::create(params), dfd::ModelError);
}

TEST_CASE("MTCNN: a batch gives exactly what single calls give") {
  dfd::MtcnnParams params;
  params.weights = dfd::test::test_model("mtcnn.safetensors");
  auto mtcnn = dfd::Mtcnn::create(params);
  const cv::Mat a = load_rgb(shared_path("golden/g1_video/004_frame0000.png"));
  const cv::Mat b = load_rgb(shared_path("golden/g1_video/004_frame0158.png"));  // same size as a
  const cv::Mat c = load_rgb(shared_path("golden/g1_video/id16_0012_frame0158.png"));
  const auto batch = mtcnn->detect(std::vector<cv::Mat>{a, c, b});
  const std::vector<cv::Mat> singles = {a, c, b};
  REQUIRE(batch.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const auto one = mtcnn->detect(singles[i]);
    REQUIRE(batch[i].size() == one.size());
    for (size_t k = 0; k < one.size(); ++k) {
      CHECK(batch[i][k].box.x1 == doctest::Approx(one[k].box.x1).epsilon(1e-5));
      CHECK(batch[i][k].box.y2 == doctest::Approx(one[k].box.y2).epsilon(1e-5));
      CHECK(batch[i][k].score == doctest::Approx(one[k].score).epsilon(1e-5));
    }
  }
}
