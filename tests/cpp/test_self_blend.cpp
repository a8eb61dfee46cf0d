// Self-blended images: reproducible from the seed, the mask where the hull is, the blend ratio
// drawn from its list, nothing changed when nothing is drawn. Data-free (unit suite).
#include "dfd_test.hpp"
#include "face_layout.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "dfd/self_blend.hpp"

namespace {

// A 256 x 256 "face": a textured disc, and 68 points on a circle of radius 40 inside it.
struct Synthetic {
  cv::Mat image;
  std::vector<cv::Point2f> landmarks;
};

Synthetic synthetic_face() {
  Synthetic s;
  s.image = cv::Mat(256, 256, CV_8UC3, cv::Scalar(40, 60, 90));
  cv::circle(s.image, {128, 128}, 70, cv::Scalar(200, 160, 140), cv::FILLED);
  for (int i = 0; i < 256; i += 8) cv::line(s.image, {i, 0}, {255 - i, 255}, cv::Scalar(i, 255 - i, 128), 1);
  for (int k = 0; k < 68; ++k) {
    const double a = 2 * M_PI * k / 68;
    s.landmarks.emplace_back(static_cast<float>(128 + 40 * std::cos(a)), static_cast<float>(128 + 40 * std::sin(a)));
  }
  return s;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

}  // namespace

TEST_CASE("self_blend: the same seed gives the same images, another seed others" * doctest::test_suite("unit")) {
  const Synthetic s = synthetic_face();
  const dfd::SelfBlend a = dfd::self_blend(s.image, s.landmarks, 7), b = dfd::self_blend(s.image, s.landmarks, 7);
  CHECK(same(a.fake, b.fake));
  CHECK(same(a.real, b.real));
  CHECK(same(a.mask, b.mask));
  CHECK(a.ratio == b.ratio);
  int differ = 0;
  for (uint64_t seed = 8; seed < 12; ++seed) differ += !same(dfd::self_blend(s.image, s.landmarks, seed).fake, a.fake);
  CHECK(differ == 4);
}

TEST_CASE("self_blend: the mask stays near the hull and peaks at the drawn blend ratio" * doctest::test_suite("unit")) {
  const Synthetic s = synthetic_face();
  const dfd::SelfBlendParams p;
  cv::Mat hull = cv::Mat::zeros(s.image.size(), CV_8U);
  std::vector<cv::Point> points;
  for (const auto& q : s.landmarks) points.emplace_back(cvRound(q.x), cvRound(q.y));
  cv::fillConvexPoly(hull, points, cv::Scalar(255));
  cv::Mat outside;  // each pixel's distance to the hull
  cv::distanceTransform(255 - hull, outside, cv::DIST_L2, 5);
  // How far the mask may spread: the affine (translation; scale about the centre, the corners of
  // the hull at most ~57 px from it), the elastic field (a smoothed uniform field times alpha stays
  // far below alpha / 5), the second blur's half kernel at the working size scaled back, 2 px of
  // interpolation.
  const double bound = p.translate_x * 256 + p.translate_y * 256 + (1 / p.scale - 1) * 57 + p.elastic_alpha / 5 +
                       (p.blur_kernel_max / 2) * 256.0 / 192 + 2;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    INFO("seed ", seed);
    const dfd::SelfBlend r = dfd::self_blend(s.image, s.landmarks, seed, p);
    REQUIRE(r.mask.type() == CV_32F);
    REQUIRE(r.fake.size() == s.image.size());
    CHECK(std::find(p.blend_ratios.begin(), p.blend_ratios.end(), r.ratio) != p.blend_ratios.end());
    double lo = 0, hi = 0;
    cv::minMaxLoc(r.mask, &lo, &hi);
    CHECK(lo >= 0);
    CHECK(hi <= r.ratio + 1e-6);
    CHECK(hi >= 0.95 * r.ratio);  // resizing back from the working size may shave the peak
    double far = 0;
    cv::minMaxLoc(r.mask, nullptr, &far, nullptr, nullptr, outside > bound);
    CHECK(far == 0);
    CHECK(cv::countNonZero(outside > bound) > 256 * 256 / 3);  // the test looks at a real area
    // Outside the mask, the fake is the real image; inside, it differs.
    cv::Mat diff;
    cv::absdiff(r.fake, r.real, diff);
    cv::Mat diff1;
    cv::cvtColor(diff, diff1, cv::COLOR_RGB2GRAY);
    CHECK(cv::countNonZero(diff1 & (r.mask == 0)) == 0);
  }
}

TEST_CASE("self_blend: a grayscale face's fakes stay grayscale, a colour face's do not" * doctest::test_suite("unit")) {
  // A colour tint on a grayscale face's fake would be a tell a detector learns instead of blending.
  const Synthetic s = synthetic_face();
  cv::Mat g;
  cv::cvtColor(s.image, g, cv::COLOR_RGB2GRAY);
  cv::cvtColor(g, g, cv::COLOR_GRAY2RGB);
  const auto spread = [](const cv::Mat& rgb) {  // the largest difference between two channels
    std::vector<cv::Mat> c;
    cv::split(rgb, c);
    return std::max(cv::norm(c[0], c[1], cv::NORM_INF), cv::norm(c[1], c[2], cv::NORM_INF));
  };
  int changed = 0;
  for (uint64_t seed = 0; seed < 24; ++seed) {  // an RGB shift is drawn in about a third of them
    const dfd::SelfBlend b = dfd::self_blend(g, s.landmarks, seed);
    CHECK(spread(b.fake) == 0);
    CHECK(spread(b.real) == 0);
    changed += !same(b.fake, g);
  }
  CHECK(changed == 24);
  int tinted = 0;  // the colour face's fakes are shifted in colour: its channel spread moves
  for (uint64_t seed = 0; seed < 24; ++seed) tinted += spread(dfd::self_blend(s.image, s.landmarks, seed).fake) != spread(s.image);
  CHECK(tinted > 0);
}

TEST_CASE("self_blend: hull variants blend other regions of the face too" * doctest::test_suite("unit")) {
  // Unmoved and unaltered, so the mask is the region's hull blurred: the forehead variant reaches
  // above the eyebrows (y 65), the lower-face one leaves the eyes (y 80) and keeps the mouth (y 150);
  // the whole hull does neither.
  const cv::Mat face(200, 200, CV_8UC3, cv::Scalar::all(120));
  const std::vector<cv::Point2f> points = face_layout_68();
  dfd::SelfBlendParams p;
  p.alter = false;
  p.deform = false;
  p.blend_ratios = {1.0f};
  const auto count = [&](bool variants) {
    p.hull_variants = variants;
    int forehead = 0, lower = 0;
    for (uint64_t seed = 0; seed < 40; ++seed) {
      const cv::Mat m = dfd::self_blend(face, points, seed, p).mask;
      double above = 0;
      cv::minMaxLoc(m.rowRange(0, 50), nullptr, &above);
      forehead += above > 0.5;
      lower += m.at<float>(80, 60) < 0.05f && m.at<float>(80, 135) < 0.05f && m.at<float>(150, 100) > 0.5f;
    }
    return std::pair{forehead, lower};
  };
  const auto [whole_forehead, whole_lower] = count(false);
  CHECK(whole_forehead == 0);
  CHECK(whole_lower == 0);
  const auto [forehead, lower] = count(true);  // each of the four drawn about 10 times in 40
  CHECK(forehead >= 3);
  CHECK(lower >= 5);
  // Without the 68-point layout there are no regions to choose: the whole hull, as without variants.
  const std::vector<cv::Point2f> ring(points.begin(), points.begin() + 17);
  p.hull_variants = true;
  const dfd::SelfBlend a = dfd::self_blend(face, ring, 5, p);
  p.hull_variants = false;
  CHECK(same(a.mask, dfd::self_blend(face, ring, 5, p).mask));
}

TEST_CASE("self_blend: with nothing altered or moved, the fake is the face" * doctest::test_suite("unit")) {
  const Synthetic s = synthetic_face();
  dfd::SelfBlendParams p;
  p.alter = false;
  p.deform = false;
  p.blend_ratios = {1.0f};
  const dfd::SelfBlend r = dfd::self_blend(s.image, s.landmarks, 3, p);
  CHECK(same(r.fake, s.image));
  CHECK(same(r.real, s.image));
  CHECK(r.ratio == 1.0f);
  // Altered, the blend shows inside the hull.
  p.alter = true;
  const dfd::SelfBlend a = dfd::self_blend(s.image, s.landmarks, 3, p);
  CHECK(cv::norm(a.fake, a.real, cv::NORM_L1) > 0);
}

TEST_CASE("self_blend: bad input is an InvalidArgument" * doctest::test_suite("unit")) {
  const Synthetic s = synthetic_face();
  CHECK_THROWS_AS(dfd::self_blend(cv::Mat(64, 64, CV_8UC1), s.landmarks, 0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::self_blend(s.image, {{1, 1}, {2, 2}}, 0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::self_blend(s.image, {{1, 1}, {2, 2}, {3, 3}}, 0), dfd::InvalidArgument);  // a line: no area
  dfd::SelfBlendParams p;
  p.blend_ratios = {1.5f};
  CHECK_THROWS_AS(dfd::self_blend(s.image, s.landmarks, 0, p), dfd::InvalidArgument);
  p = {};
  p.blur_kernel_min = 4;
  CHECK_THROWS_AS(dfd::self_blend(s.image, s.landmarks, 0, p), dfd::InvalidArgument);
  p = {};
  p.scale = 1.2;
  CHECK_THROWS_AS(dfd::self_blend(s.image, s.landmarks, 0, p), dfd::InvalidArgument);
}
