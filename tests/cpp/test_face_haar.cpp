#include "dfd_test.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"
#include "dfd/safetensors.hpp"

using dfd::test::load_rgb;
using dfd::test::shared_path;


TEST_CASE("Haar: the top face is the face MTCNN finds (golden g3 boxes)") {
  auto haar = dfd::HaarFaceDetector::create();
  for (const char* name : {"004_frame0000", "004_frame0158", "yhffcuhhjy_frame0154"}) {
    INFO(name);
    const dfd::SafetensorsFile golden(shared_path(std::string("golden/g3_mtcnn/") + name + ".safetensors"));
    const cv::Mat image = load_rgb(shared_path("golden/g3_mtcnn/" + golden.metadata("input_png")));
    const auto faces = haar->detect(image);
    REQUIRE(!faces.empty());
    const auto b = golden.values<float>("default_boxes");  // largest face first
    const dfd::Box mtcnn{b[0], b[1], b[2], b[3]};
    CHECK(dfd::iou(faces[0].box, mtcnn) >= 0.6f);
    CHECK(faces[0].score >= 0.5f);
    CHECK(faces[0].landmarks.empty());
    for (size_t i = 1; i < faces.size(); ++i) CHECK(faces[i].score <= faces[0].score);
  }
}

TEST_CASE("Haar: no face in a blank image, batched calls, bad input") {
  auto haar = dfd::HaarFaceDetector::create();
  const cv::Mat blank(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  CHECK(haar->detect(blank).empty());
  const auto frame = load_rgb(shared_path("golden/g1_video/004_frame0158.png"));
  const auto batch = haar->detect(std::vector<cv::Mat>{blank, frame});
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].empty());
  CHECK(!batch[1].empty());
  CHECK(haar->name() == "haar");
  CHECK_THROWS_AS(haar->detect(cv::Mat()), dfd::InvalidArgument);
  CHECK_THROWS_AS(haar->detect(cv::Mat(10, 10, CV_8UC1)), dfd::InvalidArgument);
  dfd::HaarParams params;
  params.cascade_path = dfd::test::temp_dir() + "/missing.xml";
  CHECK_THROWS_AS(dfd::HaarFaceDetector::create(params), dfd::ModelError);
  params.cascade_path = dfd::test::temp_dir() + "/not_a_cascade.xml";
  dfd::test::write_text(params.cascade_path, "<opencv_storage></opencv_storage>");
  CHECK_THROWS_AS(dfd::HaarFaceDetector::create(params), dfd::ModelError);
  params = {};
  params.scale_factor = 1.0;
  CHECK_THROWS_AS(dfd::HaarFaceDetector::create(params), dfd::InvalidArgument);
}
