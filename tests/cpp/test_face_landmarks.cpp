// 68-point landmarks: the wrapper hands dlib the image and box it would get called directly, and
// the points land where MTCNN puts the eyes and mouth corners.
#include "dfd/face.hpp"  // brings c10's logging: before dfd_test.hpp, which restores doctest's CHECK

#include "dfd_test.hpp"

#include <cmath>
#include <fstream>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include "dfd/face_landmarks.hpp"
#include "dfd/image.hpp"
#include "shared_data.hpp"

using dfd::test::shared_path;
using dfd::test::temp_dir;
using dfd::test::test_model;

namespace {

cv::Point2f mean_of(const std::vector<cv::Point2f>& p, const int (&range)[2]) {
  cv::Point2f sum(0, 0);
  for (int i = range[0]; i < range[1]; ++i) sum += p[static_cast<size_t>(i)];
  return sum / static_cast<float>(range[1] - range[0]);
}

float distance(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

const std::vector<std::string> kPhotos = {"data/real_faces/lfw/AJ_Cook_0001.jpg", "data/real_faces/lfw/Aaron_Eckhart_0001.jpg",
                                          "data/real_faces/lfw/AJ_Lamas_0001.jpg"};

}  // namespace

TEST_CASE("FaceLandmarker: the points dlib gives for the same pixels and box") {
  const auto landmarker = dfd::FaceLandmarker::create();
  dlib::shape_predictor direct;
  dlib::deserialize(dfd::FaceLandmarker::default_model_path()) >> direct;
  for (const std::string& photo : kPhotos) {
    const cv::Mat image = dfd::load_image_rgb(shared_path(photo));
    const dfd::Box box{62.4f, 70.9f, 187.6f, 196.2f};  // LFW centres the face in its 250 x 250 photo
    const std::vector<cv::Point2f> ours = landmarker->detect(image, box);
    REQUIRE(ours.size() == 68);
    dlib::array2d<dlib::rgb_pixel> copy(image.rows, image.cols);
    for (int r = 0; r < image.rows; ++r) {
      for (int c = 0; c < image.cols; ++c) {
        const cv::Vec3b px = image.at<cv::Vec3b>(r, c);
        copy[r][c] = dlib::rgb_pixel(px[0], px[1], px[2]);
      }
    }
    const dlib::full_object_detection shape = direct(copy, dlib::rectangle(62, 70, 187, 196));
    for (size_t i = 0; i < 68; ++i) {
      CHECK(ours[i].x == static_cast<float>(shape.part(i).x()));
      CHECK(ours[i].y == static_cast<float>(shape.part(i).y()));
    }
  }
}

TEST_CASE("FaceLandmarker: eyes and mouth where MTCNN finds them, in the image's left-right order") {
  const auto landmarker = dfd::FaceLandmarker::create();
  dfd::MtcnnParams mp;
  mp.weights = test_model("mtcnn.safetensors");
  const auto mtcnn = dfd::Mtcnn::create(mp);
  int faces = 0;
  for (const std::string& photo : kPhotos) {
    INFO(photo);
    const cv::Mat image = dfd::load_image_rgb(shared_path(photo));
    const std::vector<dfd::Face> found = mtcnn->detect(image);
    REQUIRE(!found.empty());
    const dfd::Face& face = found[0];  // the largest
    const std::vector<cv::Point2f> p = landmarker->detect(image, face.box);
    // MTCNN: left eye, right eye, nose, mouth left, mouth right (as seen in the image).
    const cv::Point2f eye_l = mean_of(p, dfd::Landmarks68::kRightEye), eye_r = mean_of(p, dfd::Landmarks68::kLeftEye);
    const float eyes = distance(face.landmarks[0], face.landmarks[1]);
    CHECK(eye_l.x < eye_r.x);
    CHECK(distance(eye_l, face.landmarks[0]) < 0.25f * eyes);
    CHECK(distance(eye_r, face.landmarks[1]) < 0.25f * eyes);
    CHECK(distance(p[48], face.landmarks[3]) < 0.3f * eyes);
    CHECK(distance(p[54], face.landmarks[4]) < 0.3f * eyes);
    CHECK(p[8].y > p[57].y);  // the chin below the lower lip
    ++faces;
  }
  CHECK(faces == static_cast<int>(kPhotos.size()));
}

TEST_CASE("FaceLandmarker: bad models and inputs are typed errors" * doctest::test_suite("unit")) {
  dfd::FaceLandmarkerParams missing;
  missing.model = temp_dir() + "/no_such_predictor.dat";
  CHECK_THROWS_AS(dfd::FaceLandmarker::create(missing), dfd::ModelError);
  const std::string junk = temp_dir() + "/junk_predictor.dat";
  std::ofstream(junk) << "not a shape predictor";
  dfd::FaceLandmarkerParams bad;
  bad.model = junk;
  try {
    dfd::FaceLandmarker::create(bad);
    FAIL("a junk file loaded");
  } catch (const dfd::ModelError& e) {
    CHECK(std::string(e.what()).find("not a dlib shape predictor") != std::string::npos);
  }
}

TEST_CASE("FaceLandmarker: an empty box or a non-RGB image is refused") {
  const auto landmarker = dfd::FaceLandmarker::create();
  const cv::Mat image(100, 100, CV_8UC3, cv::Scalar(128, 128, 128));
  CHECK_THROWS_AS(landmarker->detect(image, dfd::Box{10, 10, 10, 50}), dfd::InvalidArgument);
  CHECK_THROWS_AS(landmarker->detect(cv::Mat(100, 100, CV_8UC1), dfd::Box{10, 10, 50, 50}), dfd::InvalidArgument);
  CHECK(landmarker->detect(image, std::vector<dfd::Box>{}).empty());
  // A box reaching outside the image is fine: 68 points come back.
  CHECK(landmarker->detect(image, dfd::Box{-20, -20, 60, 60}).size() == 68);
}
