#include <torch/torch.h>

#include "dfd_test.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "dfd/safetensors.hpp"
#include "face/blazeface_net.hpp"
#include "models/state_dict.hpp"

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
