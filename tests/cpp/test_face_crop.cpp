#include "dfd_test.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face_crop.hpp"
#include "dfd/safetensors.hpp"

using dfd::test::shared_path;

namespace {

cv::Mat golden_image(const dfd::SafetensorsFile& file, const std::string& name) {
  const dfd::TensorView& t = file.tensor(name);
  REQUIRE(t.shape.size() == 3);
  cv::Mat view(static_cast<int>(t.shape[0]), static_cast<int>(t.shape[1]), CV_8UC3, const_cast<uint8_t*>(t.data));
  return view.clone();
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

}  // namespace

TEST_CASE("g4: crop, isotropic resize and padding equal the DFDC pipelines byte for byte") {
  const std::filesystem::path dir = shared_path("golden/g4_preprocess");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".safetensors") continue;
    ++files;
    INFO("golden " << entry.path().filename().string());
    const dfd::SafetensorsFile golden(entry.path().string());
    const cv::Mat crop = golden_image(golden, "crop");

    if (golden.contains("box_half")) {
      // selimsef: the detector ran at half size; the box is scaled back with int(b * 2).
      const auto half = golden.values<float>("box_half");
      const dfd::Box box{half[0] * 2, half[1] * 2, half[2] * 2, half[3] * 2};
      const cv::Mat bgr = cv::imread((dir / golden.metadata("frame_png")).string(), cv::IMREAD_COLOR);
      REQUIRE(!bgr.empty());
      cv::Mat frame;
      cv::cvtColor(bgr, frame, cv::COLOR_BGR2RGB);
      const cv::Rect region = dfd::crop_region(box, frame.size(), dfd::MarginRule::Selimsef);
      const auto bounds = golden.values<int64_t>("effective_bounds_y0_y1_x0_x1");
      CHECK(region.y == bounds[0]);
      CHECK(region.y + region.height == bounds[1]);
      CHECK(region.x == bounds[2]);
      CHECK(region.x + region.width == bounds[3]);
      CHECK(same_pixels(frame(region), crop));
    }

    for (int size : {380, 224}) {
      INFO("selimsef size " << size);
      const cv::Mat resized = dfd::isotropic_resize(crop, size, dfd::ResizeRule::Selimsef);
      const auto shape = golden.values<int64_t>("selimsef_resized_shape_" + std::to_string(size));
      CHECK(resized.rows == shape[0]);
      CHECK(resized.cols == shape[1]);
      CHECK(same_pixels(dfd::resize_and_pad(crop, size, dfd::PadMode::Center),
                        golden_image(golden, "selimsef_put_to_center_" + std::to_string(size))));
    }
    const auto shape = golden.values<int64_t>("humananalog_resized_shape_224");
    const cv::Mat resized = dfd::isotropic_resize(crop, 224, dfd::ResizeRule::DfdcKernel);
    CHECK(resized.rows == shape[0]);
    CHECK(resized.cols == shape[1]);
    CHECK(same_pixels(dfd::resize_and_pad(crop, 224, dfd::PadMode::Corner), golden_image(golden, "humananalog_square_224")));
  }
  CHECK(files >= 9);
}

TEST_CASE("crop_region: margins, clipping, the kernel's doubled top margin" * doctest::test_suite("unit")) {
  const cv::Size frame(100, 80);
  // 30 x 30 box: selimsef margin 10 on each side.
  CHECK(dfd::crop_region({40, 30, 70, 60}, frame) == cv::Rect(30, 20, 50, 50));
  // Clipped at the frame's edges.
  CHECK(dfd::crop_region({-5.5f, -3, 20, 20}, frame) == cv::Rect(0, 0, 28, 27));
  CHECK(dfd::crop_region({90, 70, 120, 95}, frame) == cv::Rect(80, 62, 20, 18));
  // Outside the frame: empty.
  CHECK(dfd::crop_region({200, 200, 220, 220}, frame).empty());
  // Kernel: 0.2 * 30 = 6, doubled on top.
  CHECK(dfd::crop_region({40, 30, 70, 60}, frame, dfd::MarginRule::DfdcKernel) == cv::Rect(34, 18, 42, 48));
}

TEST_CASE("resize_and_pad rejects what it cannot do" * doctest::test_suite("unit")) {
  CHECK_THROWS_AS(dfd::resize_and_pad(cv::Mat(), 224), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::resize_and_pad(cv::Mat(10, 10, CV_8UC3), 0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::pad_to_square(cv::Mat(300, 10, CV_8UC3), 224, dfd::PadMode::Center), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::resize_and_pad(cv::Mat(10, 10, CV_32FC3), 224), dfd::InvalidArgument);
  const cv::Mat gray(50, 100, CV_8UC1, cv::Scalar(255));
  const cv::Mat out = dfd::resize_and_pad(gray, 64, dfd::PadMode::Corner);
  CHECK(out.size() == cv::Size(64, 64));
  CHECK(out.at<uint8_t>(0, 0) == 255);
  CHECK(out.at<uint8_t>(63, 0) == 0);  // bottom padding
}
