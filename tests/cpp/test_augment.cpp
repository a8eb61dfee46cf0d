// Training augmentations: reproducible from the seed, each transform doing what it says, part
// dropout inside its landmarks. Data-free (unit suite).
#include "dfd_test.hpp"
#include "face_layout.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "dfd/augment.hpp"

namespace {

cv::Mat textured(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int r = 0; r < h; ++r) {
    for (int c = 0; c < w; ++c) m.at<cv::Vec3b>(r, c) = cv::Vec3b(static_cast<uchar>(c * 3), static_cast<uchar>(r * 2), static_cast<uchar>((r + c) % 256));
  }
  return m;
}

dfd::AugmentParams nothing(int size) {
  dfd::AugmentParams p;
  p.size = size;
  p.jpeg_p = p.noise_p = p.blur_p = p.flip_p = p.colour_p = p.gray_p = p.shift_scale_rotate_p = p.part_dropout_p = 0;
  return p;
}

}  // namespace

TEST_CASE("augment: a seed gives the same image; the output is size x size" * doctest::test_suite("unit")) {
  const cv::Mat face = textured(180, 220);
  dfd::AugmentParams p;
  p.size = 128;
  int differ = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    const cv::Mat a = dfd::augment(face, seed, p, face_layout_68()), b = dfd::augment(face, seed, p, face_layout_68());
    REQUIRE(a.size() == cv::Size(128, 128));
    REQUIRE(a.type() == CV_8UC3);
    CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
    differ += cv::norm(a, dfd::augment(face, seed + 100, p, face_layout_68()), cv::NORM_INF) > 0;
  }
  CHECK(differ == 8);
}

TEST_CASE("augment: with nothing drawn, the isotropic resize and centred pad only" * doctest::test_suite("unit")) {
  const cv::Mat face = textured(100, 50);
  const cv::Mat same = dfd::augment(face, 1, nothing(100));
  CHECK(cv::norm(same(cv::Rect(0, 25, 100, 50)), face, cv::NORM_INF) == 0);  // 25 rows of zeros above and below
  CHECK(cv::countNonZero(same(cv::Rect(0, 0, 100, 25)).reshape(1)) == 0);
  dfd::AugmentParams flip = nothing(100);
  flip.flip_p = 1;
  cv::Mat mirrored;
  cv::flip(face, mirrored, 1);
  CHECK(cv::norm(dfd::augment(face, 1, flip)(cv::Rect(0, 25, 100, 50)), mirrored, cv::NORM_INF) == 0);
  dfd::AugmentParams grey = nothing(100);
  grey.gray_p = 1;
  std::vector<cv::Mat> c;
  cv::split(dfd::augment(face, 1, grey), c);
  CHECK(cv::norm(c[0], c[1], cv::NORM_INF) == 0);
  CHECK(cv::norm(c[1], c[2], cv::NORM_INF) == 0);
  dfd::AugmentParams jpeg = nothing(100);
  jpeg.jpeg_p = 1;
  const double err = cv::norm(dfd::augment(face, 1, jpeg)(cv::Rect(0, 25, 100, 50)), face, cv::NORM_L1) / face.total() / 3;
  CHECK(err > 0);
  CHECK(err < 12);  // quality >= 60: close to the original
}

TEST_CASE("drop_face_part blanks that part of the face and nothing far from it" * doctest::test_suite("unit")) {
  const cv::Mat face(200, 200, CV_8UC3, cv::Scalar(200, 150, 100));
  const auto points = face_layout_68();
  for (int part = 0; part < 4; ++part) {
    INFO("part ", part);
    const cv::Mat out = dfd::drop_face_part(face, points, part);
    cv::Mat zero;
    cv::inRange(out, cv::Scalar::all(0), cv::Scalar::all(0), zero);
    CHECK(cv::countNonZero(zero) > 50);
    const cv::Point2f probe = part == 0 ? points[36] : part == 1 ? points[30] : part == 2 ? points[57] : points[8] * 0.5 + points[33] * 0.5;
    CHECK(zero.at<uchar>(cvRound(probe.y), cvRound(probe.x)) == 255);
    CHECK(zero.at<uchar>(5, 5) == 0);  // a corner stays
  }
  CHECK_THROWS_AS(dfd::drop_face_part(face, points, 4), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::drop_face_part(face, {{1, 1}}, 0), dfd::InvalidArgument);
}

TEST_CASE("augment: bad params are an InvalidArgument" * doctest::test_suite("unit")) {
  const cv::Mat face = textured(64, 64);
  dfd::AugmentParams p;
  p.flip_p = 1.5;
  CHECK_THROWS_AS(dfd::augment(face, 0, p), dfd::InvalidArgument);
  p = {};
  p.jpeg_quality_min = 0;
  CHECK_THROWS_AS(dfd::augment(face, 0, p), dfd::InvalidArgument);
  p = {};
  p.size = 0;
  CHECK_THROWS_AS(dfd::augment(face, 0, p), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::augment(face, 0, {}, {{1, 1}, {2, 2}}), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::augment(cv::Mat(10, 10, CV_8UC1), 0), dfd::InvalidArgument);
}
