// torch before dfd_test.hpp, which restores doctest's CHECK over c10's
#include <torch/torch.h>

#include "face/area_pyramid.hpp"
#include "face/pil_resize.hpp"
#include "dfd_test.hpp"

#include <cstring>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/video.hpp"

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
    std::copy(std::begin(config.thresholds), std::end(config.thresholds), params.thresholds.begin());
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

TEST_CASE("MTCNN's area pyramid equals interpolate(mode=area) bit for bit, at every level" * doctest::test_suite("unit")) {
  // Half-size 1080p frames (960x540) and an odd size, each level of MTCNN's pyramid.
  for (const cv::Size size : {cv::Size(960, 540), cv::Size(333, 517)}) {
    cv::Mat a(size, CV_8UC3), b(size, CV_8UC3);
    cv::randu(a, 0, 256);
    cv::randu(b, 0, 256);
    const dfd::mtcnn::AreaPyramid pyramid({a, b});
    torch::Tensor batch = torch::empty({2, size.height, size.width, 3}, torch::kUInt8);
    std::memcpy(batch[0].data_ptr(), a.data, a.total() * 3);
    std::memcpy(batch[1].data_ptr(), b.data, b.total() * 3);
    const torch::Tensor images = batch.permute({0, 3, 1, 2}).to(torch::kFloat32);
    double scale = 12.0 / 20, min_side = std::min(size.width, size.height) * scale;
    int levels = 0;
    while (min_side >= 12) {
      const auto hs = static_cast<int64_t>(size.height * scale + 1), ws = static_cast<int64_t>(size.width * scale + 1);
      const torch::Tensor expected =
          (torch::nn::functional::interpolate(
               images, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{hs, ws}).mode(torch::kArea)) -
           127.5) *
          0.0078125;
      const torch::Tensor ours = pyramid.level(hs, ws, 127.5f, 0.0078125f);
      CHECK(ours.is_contiguous(at::MemoryFormat::ChannelsLast));
      CHECK(torch::equal(ours, expected));
      scale *= 0.709;
      min_side *= 0.709;
      ++levels;
    }
    CHECK(levels >= 8);
  }
}

TEST_CASE("Pillow's bicubic halving, bit for bit: MTCNN on full frames finds selimsef's boxes") {
  const std::filesystem::path dir = shared_path("golden/g3_mtcnn");
  dfd::MtcnnParams params;
  params.weights = dfd::test::test_model("mtcnn.safetensors");
  params.thresholds[0] = 0.7;
  params.thresholds[1] = 0.8;
  params.thresholds[2] = 0.8;
  params.downscale = 0.5;
  params.downscale_filter = dfd::MtcnnParams::DownscaleFilter::PilBicubic;
  auto mtcnn = dfd::Mtcnn::create(params);
  int frames = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".safetensors") continue;
    const dfd::SafetensorsFile golden(entry.path().string());
    INFO(entry.path().filename().string());
    const cv::Mat full = load_rgb((dir / golden.metadata("input_png")).string());
    const cv::Mat half = load_rgb((dir / golden.metadata("half_input_png")).string());
    // PIL.Image.resize([s // 2 for s in size]) as the golden stored it: every byte equal.
    const cv::Mat ours = dfd::pil_resize_bicubic(full, cv::Size(full.cols / 2, full.rows / 2));
    REQUIRE(ours.size() == half.size());
    CHECK(cv::norm(ours, half, cv::NORM_INF) == 0);
    // Hence selimsef's full-frame boxes, int(b * 2), from the full frame.
    const auto faces = mtcnn->detect(full);
    const auto boxes = golden.values<int64_t>("selimsef_kernel_boxes_x2_int");
    REQUIRE(faces.size() * 4 == boxes.size());
    for (size_t k = 0; k < faces.size(); ++k) {
      const dfd::Box& b = faces[k].box;
      const float got[4] = {b.x1, b.y1, b.x2, b.y2};
      for (size_t c = 0; c < 4; ++c) CHECK(std::abs(static_cast<int64_t>(got[c]) - boxes[k * 4 + c]) <= 1);
    }
    ++frames;
  }
  CHECK(frames >= 5);
  // Other sizes and enlarging go through the same code (Pillow skips an axis that keeps its size).
  const cv::Mat tiny = cv::Mat(7, 5, CV_8UC3, cv::Scalar(10, 200, 30));
  CHECK(cv::norm(dfd::pil_resize_bicubic(tiny, cv::Size(5, 7)), tiny, cv::NORM_INF) == 0);
  CHECK(cv::norm(dfd::pil_resize_bicubic(tiny, cv::Size(11, 3)), cv::Mat(3, 11, CV_8UC3, cv::Scalar(10, 200, 30)),
                 cv::NORM_INF) == 0);  // a flat image stays flat
}

TEST_CASE("MTCNN: any batch size gives the faces of single calls (to float rounding); a bad one is refused") {
  dfd::VideoReader reader(shared_path("data/videos/celebdf_v2_tonihantschmann/real/id16_0012.mp4"));
  std::vector<cv::Mat> frames;
  for (const dfd::Frame& f : reader.sample(7)) frames.push_back(f.image);
  dfd::MtcnnParams params;
  params.weights = dfd::test::test_model("mtcnn.safetensors");
  params.batch_size = 3;  // 3 + 3 + 1
  const auto batched = dfd::Mtcnn::create(params)->detect(frames);
  params.batch_size = 1;
  const auto single = dfd::Mtcnn::create(params)->detect(frames);
  REQUIRE(batched.size() == frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    REQUIRE(batched[i].size() == single[i].size());
    for (size_t k = 0; k < batched[i].size(); ++k) {
      // Equal to float rounding: the convolutions block a batch of 3 differently from a batch of 1.
      CHECK(batched[i][k].box.x1 == doctest::Approx(single[i][k].box.x1).epsilon(1e-5));
      CHECK(batched[i][k].box.y2 == doctest::Approx(single[i][k].box.y2).epsilon(1e-5));
      CHECK(batched[i][k].score == doctest::Approx(single[i][k].score).epsilon(1e-5));
    }
  }
  params.batch_size = 0;
  CHECK_THROWS_AS(dfd::Mtcnn::create(params), dfd::InvalidArgument);
}
