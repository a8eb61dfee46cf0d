#include <torch/torch.h>

#include "dfd_test.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"
#include "dfd/safetensors.hpp"
#include "face/blazeface_net.hpp"
#include "models/state_dict.hpp"

using dfd::test::load_rgb;
using dfd::test::shared_path;
namespace bf = dfd::blazeface;

namespace {

torch::Tensor golden_tensor(const dfd::SafetensorsFile& file, const std::string& name) {
  const dfd::TensorView& t = file.tensor(name);
  const auto type = t.dtype == dfd::Dtype::U8 ? torch::kUInt8 : torch::kFloat32;
  return torch::from_blob(const_cast<uint8_t*>(t.data), t.shape, type).clone();
}

// anchors.npy: a version-1 .npy of float64 [896, 4], C order.
torch::Tensor read_anchors_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.compare(0, 6, "\x93NUMPY") == 0);
  const size_t header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
  const std::string header = bytes.substr(10, header_len);
  REQUIRE(header.find("'<f8'") != std::string::npos);
  REQUIRE(header.find("(896, 4)") != std::string::npos);
  torch::Tensor out = torch::empty({896, 4}, torch::kFloat64);
  REQUIRE(bytes.size() - 10 - header_len == 896 * 4 * 8);
  std::memcpy(out.data_ptr<double>(), bytes.data() + 10 + header_len, 896 * 4 * 8);
  return out;
}

bf::BlazeFaceNet load_net(bool back) {
  bf::BlazeFaceNet net(back);
  const dfd::SafetensorsFile weights(dfd::test::test_model(back ? "blazeface_back.safetensors" : "blazeface_front.safetensors"));
  dfd::load_state_dict(*net, weights);
  net->eval();
  return net;
}

// |a - b| <= tol * max(1, max|b|), the golden README's rule for model outputs.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(1.0, b.abs().max().item<double>());
  return (a - b).abs().max().item<double>() / scale;
}

}  // namespace

TEST_CASE("BlazeFace anchors equal hollance's anchors.npy") {
  // The reference casts them to float32 when loading; all are exact in float32 (k/32, k/16, 1).
  const torch::Tensor expected = read_anchors_npy(shared_path("weights/blazeface_hollance/anchors.npy"));
  CHECK(torch::equal(bf::anchors().to(torch::kFloat64), expected));
}

TEST_CASE("g2: BlazeFace raw outputs, decoded boxes and detections equal hollance's") {
  torch::NoGradGuard no_grad;
  const torch::Tensor anchors = bf::anchors();
  int cases = 0;
  for (const bool back : {false, true}) {
    bf::BlazeFaceNet net = load_net(back);
    const std::string prefix = back ? "back_" : "front_";
    const double scale = back ? 256.0 : 128.0;
    const double min_score = back ? 0.65 : 0.75;
    for (const auto& entry : std::filesystem::directory_iterator(shared_path("golden/g2_blazeface"))) {
      if (entry.path().extension() != ".safetensors") continue;
      INFO(entry.path().filename().string() << " " << prefix);
      const dfd::SafetensorsFile golden(entry.path().string());
      const torch::Tensor input = golden_tensor(golden, prefix + "input_u8").permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32) / 127.5 - 1.0;
      const bf::Outputs out = net->forward(input);
      CHECK(relative_error(out.boxes[0], golden_tensor(golden, prefix + "raw_boxes")) <= 1e-4);
      CHECK(relative_error(out.scores[0], golden_tensor(golden, prefix + "raw_scores")) <= 1e-4);

      // Decoding and NMS on the golden raw outputs isolate them from network rounding.
      bf::Outputs golden_raw{golden_tensor(golden, prefix + "raw_boxes").unsqueeze(0),
                             golden_tensor(golden, prefix + "raw_scores").unsqueeze(0)};
      const torch::Tensor decoded = bf::to_detections(golden_raw, anchors, scale, min_score)[0];
      const torch::Tensor expected_decoded = golden_tensor(golden, prefix + "decoded");
      REQUIRE(decoded.sizes() == expected_decoded.sizes());
      if (decoded.numel() > 0) CHECK((decoded - expected_decoded).abs().max().item<double>() <= 1e-5);
      const torch::Tensor detections = bf::weighted_nms(decoded, 0.3);
      const torch::Tensor expected_detections = golden_tensor(golden, prefix + "detections");
      REQUIRE(detections.sizes() == expected_detections.sizes());
      if (detections.numel() > 0) CHECK((detections - expected_detections).abs().max().item<double>() <= 1e-5);

      // End to end from the image: same faces, boxes within a pixel of the input.
      const torch::Tensor ours = bf::weighted_nms(bf::to_detections(out, anchors, scale, min_score)[0], 0.3);
      REQUIRE(ours.size(0) == expected_detections.size(0));
      if (ours.numel() > 0) {
        CHECK(((ours.slice(1, 0, 16) - expected_detections.slice(1, 0, 16)).abs() * scale).max().item<double>() <= 1.0);
      }
      ++cases;
    }
  }
  CHECK(cases >= 18);
}

TEST_CASE("load_state_dict names what does not fit") {
  bf::BlazeFaceNet front(false);
  const dfd::SafetensorsFile back_weights(dfd::test::test_model("blazeface_back.safetensors"));
  try {
    dfd::load_state_dict(*front, back_weights);
    FAIL("no error");
  } catch (const dfd::ModelError& e) {
    const std::string what = e.what();
    CHECK(what.find("blazeface_back.safetensors") != std::string::npos);
    CHECK(what.find("missing tensors: backbone1.0.weight") != std::string::npos);
    CHECK(what.find("unexpected tensors:") != std::string::npos);
  }
}

namespace {


// The image a g2 case fed the model before its resize, from the case's metadata.
std::optional<cv::Mat> g2_source_image(const dfd::SafetensorsFile& golden) {
  const std::string source = golden.metadata("source");
  std::string path;
  if (source.rfind("dev/g1_video/", 0) == 0) path = shared_path("golden/g1_video/" + source.substr(13));
  else if (source.rfind("images/", 0) == 0) path = shared_path("data/" + source);
  else return std::nullopt;  // the synthetic grid is not stored
  cv::Mat image = load_rgb(path);
  if (golden.metadata("source_preproc").rfind("center square", 0) == 0) {
    const int s = std::min(image.rows, image.cols);
    image = image(cv::Rect((image.cols - s) / 2, (image.rows - s) / 2, s, s)).clone();
  }
  return image;
}

}  // namespace

TEST_CASE("g2: the BlazeFace detector (whole-image input) gives hollance's faces in pixels") {
  int compared = 0;
  for (const bool back : {false, true}) {
    dfd::BlazeFaceParams params;
    params.weights = dfd::test::test_model(back ? "blazeface_back.safetensors" : "blazeface_front.safetensors");
    params.input = dfd::BlazeFaceParams::Input::Whole;
    auto detector = dfd::BlazeFace::create(params);
    CHECK(detector->back_model() == back);
    const std::string prefix = back ? "back_" : "front_";
    for (const auto& entry : std::filesystem::directory_iterator(shared_path("golden/g2_blazeface"))) {
      if (entry.path().extension() != ".safetensors") continue;
      const dfd::SafetensorsFile golden(entry.path().string());
      const auto image = g2_source_image(golden);
      if (!image) continue;
      INFO(entry.path().filename().string() << " " << prefix);
      const auto faces = detector->detect(*image);
      const torch::Tensor expected = golden_tensor(golden, prefix + "detections");
      REQUIRE(faces.size() == static_cast<size_t>(expected.size(0)));
      const float w = float(image->cols), h = float(image->rows);
      for (size_t k = 0; k < faces.size(); ++k) {
        const torch::Tensor row = expected[int64_t(k)].contiguous();
        const auto e = row.accessor<float, 1>();
        CHECK(std::abs(faces[k].box.x1 - e[1] * w) <= 1.0f);
        CHECK(std::abs(faces[k].box.y1 - e[0] * h) <= 1.0f);
        CHECK(std::abs(faces[k].box.x2 - e[3] * w) <= 1.0f);
        CHECK(std::abs(faces[k].box.y2 - e[2] * h) <= 1.0f);
        REQUIRE(faces[k].landmarks.size() == 6);
        for (int p = 0; p < 6; ++p) {
          CHECK(std::abs(faces[k].landmarks[size_t(p)].x - e[4 + 2 * p] * w) <= 1.0f);
          CHECK(std::abs(faces[k].landmarks[size_t(p)].y - e[5 + 2 * p] * h) <= 1.0f);
        }
        CHECK(faces[k].score == doctest::Approx(e[16]).epsilon(1e-4));
      }
      ++compared;
    }
  }
  CHECK(compared >= 14);
}

TEST_CASE("BlazeFace tiles a large frame and finds the face MTCNN finds") {
  dfd::BlazeFaceParams params;
  params.weights = dfd::test::test_model("blazeface_front.safetensors");
  auto detector = dfd::BlazeFace::create(params);
  for (const char* name : {"004_frame0158", "yhffcuhhjy_frame0154"}) {
    INFO(name);
    const dfd::SafetensorsFile mtcnn(shared_path(std::string("golden/g3_mtcnn/") + name + ".safetensors"));
    const cv::Mat frame = load_rgb(shared_path("golden/g3_mtcnn/" + mtcnn.metadata("input_png")));
    const auto faces = detector->detect(frame);
    REQUIRE(!faces.empty());
    const auto b = mtcnn.values<float>("default_boxes");
    CHECK(dfd::iou(faces[0].box, dfd::Box{b[0], b[1], b[2], b[3]}) >= 0.5f);
    // Eyes, nose and mouth lie inside the box.
    for (int p = 0; p < 4; ++p) {
      CHECK(faces[0].landmarks[size_t(p)].x >= faces[0].box.x1);
      CHECK(faces[0].landmarks[size_t(p)].x <= faces[0].box.x2);
    }
  }
  // A batch gives what single calls give.
  const cv::Mat a = load_rgb(shared_path("golden/g1_video/004_frame0158.png"));
  const cv::Mat blank(300, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  const auto batch = detector->detect(std::vector<cv::Mat>{a, blank});
  CHECK(batch[1].empty());
  REQUIRE(batch[0].size() == detector->detect(a).size());
  CHECK(batch[0][0].box.x1 == doctest::Approx(detector->detect(a)[0].box.x1).epsilon(1e-4));
}

TEST_CASE("BlazeFace weights errors") {
  dfd::BlazeFaceParams params;
  params.weights = "no_such_blazeface.safetensors";
  try {
    dfd::BlazeFace::create(params);
    FAIL("no error");
  } catch (const dfd::ModelError& e) {
    CHECK(std::string(e.what()).find("looked at") != std::string::npos);
  }
  const std::string other = dfd::test::temp_dir() + "/other.safetensors";
  dfd::save_safetensors(other, {{"w", {dfd::Dtype::F32, {1}, std::vector<uint8_t>(4, 0)}}}, {{"arch", "mtcnn_pnet"}});
  params.weights = other;
  CHECK_THROWS_AS(dfd::BlazeFace::create(params), dfd::ModelError);
  params.weights = dfd::test::test_model("blazeface_front.safetensors");
  params.min_suppression = 0;
  CHECK_THROWS_AS(dfd::BlazeFace::create(params), dfd::InvalidArgument);
}
