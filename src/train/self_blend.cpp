// Self-blended images: one real face, a soft hull mask and an altered copy of itself (see
// dfd/self_blend.hpp for the steps). Our own implementation of the paper's recipe over OpenCV.
#include "dfd/self_blend.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"
#include "train/draw.hpp"
#include "train/grayscale.hpp"
#include "train/to_u8.hpp"

namespace dfd {
namespace {

using train::Draw;
using train::grayscale;
using train::to_u8;

// Whether the face is a grayscale picture: its channels equal to within a few levels (a
// grayscale photo saved as colour JPEG differs by chroma rounding).
bool achromatic(const cv::Mat& rgb) {
  std::vector<cv::Mat> c;
  cv::split(rgb, c);
  constexpr double kLevels = 6;
  return cv::norm(c[0], c[1], cv::NORM_INF) <= kLevels && cv::norm(c[1], c[2], cv::NORM_INF) <= kLevels;
}

// Step 2: colour, then frequency. A grayscale face stays grayscale: a colour shift on it would mark
// its fakes by colour alone (tinted inside the hull, or outside it), a shortcut a detector learns
// at once and no real swap offers — and a set like LFW is mostly grayscale.
cv::Mat alter(const cv::Mat& rgb, Draw& draw) {
  const bool gray = achromatic(rgb);
  cv::Mat f;
  rgb.convertTo(f, CV_32F);
  if (draw.chance(0.3)) {  // an RGB shift, each channel by up to 20 levels
    f += cv::Scalar(draw.integer(-20, 20), draw.integer(-20, 20), draw.integer(-20, 20));
  }
  {  // hue by up to 5 % of the circle; saturation and value scaled by up to ±10 %
    cv::Mat hsv;
    cv::cvtColor(to_u8(f), hsv, cv::COLOR_RGB2HSV_FULL);
    hsv.convertTo(hsv, CV_32F);
    std::vector<cv::Mat> c;
    cv::split(hsv, c);
    const double hue = draw.uniform(-0.05, 0.05) * 256, sat = 1 + draw.uniform(-0.1, 0.1), val = 1 + draw.uniform(-0.1, 0.1);
    c[0] += hue;
    for (int r = 0; r < c[0].rows; ++r) {
      float* h = c[0].ptr<float>(r);
      for (int x = 0; x < c[0].cols; ++x) h[x] = std::fmod(h[x] + 256.0f, 256.0f);
    }
    c[1] *= sat;
    c[2] *= val;
    cv::merge(c, hsv);
    cv::cvtColor(to_u8(hsv), f, cv::COLOR_HSV2RGB_FULL);
    f.convertTo(f, CV_32F);
  }
  {  // brightness and contrast, each by up to 10 %
    const double contrast = 1 + draw.uniform(-0.1, 0.1), brightness = draw.uniform(-0.1, 0.1) * 255;
    f = f * contrast + cv::Scalar::all(brightness);
  }
  cv::Mat out = to_u8(f);
  if (draw.chance(0.5)) {  // detail lost: down by 2-4x and back
    const double factor = draw.uniform(2, 4);
    cv::Mat small;
    cv::resize(out, small, cv::Size(std::max(1, static_cast<int>(out.cols / factor)), std::max(1, static_cast<int>(out.rows / factor))),
               0, 0, cv::INTER_AREA);
    cv::resize(small, out, rgb.size(), 0, 0, cv::INTER_LINEAR);
  } else {  // detail exaggerated: an unsharp mask of strength 0.2-0.5
    const double amount = draw.uniform(0.2, 0.5);
    cv::Mat blurred;
    cv::GaussianBlur(out, blurred, cv::Size(3, 3), 0);
    cv::addWeighted(out, 1 + amount, blurred, -amount, 0, out);
  }
  return gray ? grayscale(out) : out;
}

// A smooth random displacement field of strength alpha (pixels), as elastic deformations do.
cv::Mat displacement(cv::Size size, double alpha, double sigma, Draw& draw) {
  cv::Mat d(size, CV_32F);
  for (int r = 0; r < d.rows; ++r) {
    float* p = d.ptr<float>(r);
    for (int c = 0; c < d.cols; ++c) p[c] = static_cast<float>(draw.uniform(-1, 1));
  }
  if (sigma > 0) cv::GaussianBlur(d, d, cv::Size(0, 0), sigma);
  return d * alpha;
}

// Which landmarks the blend's hull is drawn around. With variants (the 68-point layout only), one
// of four regions a swap or reenactment replaces: the whole face; the face with its forehead (the
// eyebrows lifted by 15-35 % of the brow-to-chin height); the lower face (the jaw from 2 to 14 and
// the nose from its middle: cheeks, nose, mouth, chin); the inner face (brows, eyes, nose, mouth,
// no jawline).
std::vector<cv::Point2f> hull_points(const std::vector<cv::Point2f>& landmarks, bool variants, Draw& draw) {
  if (!variants || landmarks.size() != 68) return landmarks;
  switch (draw.integer(0, 3)) {
    case 1: {
      float brow_top = landmarks[17].y;
      for (size_t i = 17; i < 27; ++i) brow_top = std::min(brow_top, landmarks[i].y);
      const float lift = static_cast<float>(draw.uniform(0.15, 0.35)) * (landmarks[8].y - brow_top);
      std::vector<cv::Point2f> out = landmarks;
      for (size_t i = 17; i < 27; ++i) out.emplace_back(landmarks[i].x, landmarks[i].y - lift);
      return out;
    }
    case 2: {
      std::vector<cv::Point2f> out(landmarks.begin() + 2, landmarks.begin() + 15);
      out.insert(out.end(), landmarks.begin() + 29, landmarks.begin() + 36);
      return out;
    }
    case 3: return {landmarks.begin() + 17, landmarks.end()};
    default: return landmarks;
  }
}

void check(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, const SelfBlendParams& p) {
  require_rgb_image(face, "self_blend");
  if (face.cols < 16 || face.rows < 16) throw InvalidArgument("face", fmt::format("{}x{} is smaller than 16x16", face.cols, face.rows));
  if (landmarks.size() < 3) throw InvalidArgument("landmarks", fmt::format("{} points: a hull needs at least 3", landmarks.size()));
  if (!(p.translate_x >= 0 && p.translate_y >= 0)) throw InvalidArgument("translate", "must be >= 0");
  if (!(p.scale > 0 && p.scale <= 1)) throw InvalidArgument("scale", fmt::format("must be in (0, 1], got {}", p.scale));
  if (!(p.elastic_alpha >= 0 && p.elastic_sigma >= 0)) throw InvalidArgument("elastic", "alpha and sigma must be >= 0");
  if (p.blur_kernel_min < 1 || p.blur_kernel_min % 2 == 0 || p.blur_kernel_max % 2 == 0 || p.blur_kernel_max < p.blur_kernel_min) {
    throw InvalidArgument("blur_kernel", fmt::format("odd 1 <= min <= max, got {} and {}", p.blur_kernel_min, p.blur_kernel_max));
  }
  if (p.blend_ratios.empty()) throw InvalidArgument("blend_ratios", "at least one");
  for (float r : p.blend_ratios) {
    if (!(r > 0 && r <= 1)) throw InvalidArgument("blend_ratios", fmt::format("{} is not in (0, 1]", r));
  }
}

}  // namespace

SelfBlend self_blend(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, uint64_t seed, const SelfBlendParams& p) {
  check(face, landmarks, p);
  Draw draw(seed);
  const cv::Size size = face.size();

  // 1. The hull.
  std::vector<cv::Point> points, hull;
  for (const cv::Point2f& q : hull_points(landmarks, p.hull_variants, draw)) points.emplace_back(cvRound(q.x), cvRound(q.y));
  cv::convexHull(points, hull);
  cv::Mat mask = cv::Mat::zeros(size, CV_32F);
  cv::fillConvexPoly(mask, hull, cv::Scalar(1.0));
  if (cv::countNonZero(mask) < 3) throw InvalidArgument("landmarks", "their hull covers no part of the face image");

  // 2. Source and target: one of them altered.
  cv::Mat source = face.clone(), target = face.clone();
  if (p.alter) {
    if (draw.chance(0.5)) source = alter(source, draw);
    else target = alter(target, draw);
  }

  // 3. The source and the mask moved together; the mask deformed.
  if (p.deform) {
    const double s = draw.uniform(p.scale, 1 / p.scale);
    const double tx = draw.uniform(-p.translate_x, p.translate_x) * size.width;
    const double ty = draw.uniform(-p.translate_y, p.translate_y) * size.height;
    const double cx = size.width / 2.0, cy = size.height / 2.0;
    const cv::Matx23d affine(s, 0, cx * (1 - s) + tx, 0, s, cy * (1 - s) + ty);
    cv::warpAffine(source, source, affine, size, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
    cv::warpAffine(mask, mask, affine, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
    const cv::Mat dx = displacement(size, p.elastic_alpha, p.elastic_sigma, draw);
    const cv::Mat dy = displacement(size, p.elastic_alpha, p.elastic_sigma, draw);
    cv::Mat map_x(size, CV_32F), map_y(size, CV_32F);
    for (int r = 0; r < size.height; ++r) {
      for (int c = 0; c < size.width; ++c) {
        map_x.at<float>(r, c) = static_cast<float>(c) + dx.at<float>(r, c);
        map_y.at<float>(r, c) = static_cast<float>(r) + dy.at<float>(r, c);
      }
    }
    cv::remap(mask, mask, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  }

  // 4. The blend mask: blurred, its plateau kept, blurred again, at a random working size.
  const cv::Size work(draw.integer(192, 256), draw.integer(192, 256));
  cv::Mat m;
  cv::resize(mask, m, work, 0, 0, cv::INTER_LINEAR);
  const int k1 = draw.odd(p.blur_kernel_min, p.blur_kernel_max), k2 = draw.odd(p.blur_kernel_min, p.blur_kernel_max);
  const double sigma2 = draw.integer(5, 45);
  cv::GaussianBlur(m, m, cv::Size(k1, k1), 0);
  double peak = 0;
  cv::minMaxLoc(m, nullptr, &peak);
  if (!(peak > 0)) throw InvalidArgument("landmarks", "the hull vanished when moved: is it inside the face image?");
  m /= peak;
  cv::threshold(m, m, 1.0 - 1e-6, 1.0, cv::THRESH_TOZERO);  // only where the blur kept the full value
  cv::GaussianBlur(m, m, cv::Size(k2, k2), sigma2);
  cv::minMaxLoc(m, nullptr, &peak);
  m /= peak;
  cv::resize(m, mask, size, 0, 0, cv::INTER_LINEAR);
  const float ratio = p.blend_ratios[static_cast<size_t>(draw.integer(0, static_cast<int>(p.blend_ratios.size()) - 1))];
  mask *= ratio;

  // 5. The blend.
  cv::Mat s, t, mask3;
  source.convertTo(s, CV_32F);
  target.convertTo(t, CV_32F);
  cv::merge(std::vector<cv::Mat>{mask, mask, mask}, mask3);
  const cv::Mat blended = t + mask3.mul(s - t);  // mask * source + (1 - mask) * target
  SelfBlend out;
  out.real = target;
  out.fake = to_u8(blended);
  out.mask = mask;
  out.ratio = ratio;
  return out;
}

}  // namespace dfd
