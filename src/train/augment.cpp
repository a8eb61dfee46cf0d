// The DFDC winner's training augmentations over OpenCV, seeded (see dfd/augment.hpp).
#include "dfd/augment.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face.hpp"
#include "dfd/face_crop.hpp"
#include "train/draw.hpp"
#include "train/grayscale.hpp"
#include "train/to_u8.hpp"

namespace dfd {
namespace {

using train::Draw;
using train::to_u8;

cv::Mat jpeg(const cv::Mat& rgb, int quality) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> bytes;
  cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  cv::Mat back = cv::imdecode(bytes, cv::IMREAD_COLOR), out;
  cv::cvtColor(back, out, cv::COLOR_BGR2RGB);
  return out;
}

cv::Mat gauss_noise(const cv::Mat& rgb, double variance, Draw& draw) {
  const double sigma = std::sqrt(variance);
  cv::Mat f;
  rgb.convertTo(f, CV_32F);
  for (int r = 0; r < f.rows; ++r) {
    float* p = f.ptr<float>(r);
    for (int c = 0; c < f.cols * 3; ++c) p[c] += static_cast<float>(sigma * draw.normal());
  }
  return to_u8(f);
}

// The longest side to `size` (interpolation by direction), then zero-padded to a centred square.
cv::Mat isotropic(const cv::Mat& rgb, int size, Draw& draw) {
  static const int kPairs[3][2] = {{cv::INTER_AREA, cv::INTER_CUBIC}, {cv::INTER_AREA, cv::INTER_LINEAR},
                                   {cv::INTER_LINEAR, cv::INTER_LINEAR}};
  const int* pair = kPairs[draw.integer(0, 2)];
  const double scale = static_cast<double>(size) / std::max(rgb.cols, rgb.rows);
  cv::Mat resized = rgb;
  if (scale != 1.0) {
    const cv::Size to(std::max(1, static_cast<int>(std::lround(rgb.cols * scale))), std::max(1, static_cast<int>(std::lround(rgb.rows * scale))));
    cv::resize(rgb, resized, to, 0, 0, scale > 1 ? pair[1] : pair[0]);
  }
  return pad_to_square(resized, size, PadMode::Center);
}

cv::Mat brightness_contrast(const cv::Mat& rgb, Draw& draw) {
  const double alpha = 1 + draw.uniform(-0.2, 0.2), beta = draw.uniform(-0.2, 0.2) * 255;
  cv::Mat out;
  rgb.convertTo(out, CV_8U, alpha, beta);
  return out;
}

// Krizhevsky's PCA colour augmentation: along the image's own RGB principal components.
cv::Mat fancy_pca(const cv::Mat& rgb, Draw& draw) {
  cv::Mat pixels;
  rgb.reshape(1, static_cast<int>(rgb.total())).convertTo(pixels, CV_64F, 1.0 / 255);
  cv::PCA pca(pixels, cv::Mat(), cv::PCA::DATA_AS_ROW);
  cv::Vec3d shift(0, 0, 0);
  for (int k = 0; k < pca.eigenvalues.rows; ++k) {
    const double a = 0.1 * draw.normal() * pca.eigenvalues.at<double>(k);
    for (int c = 0; c < 3; ++c) shift[c] += a * pca.eigenvectors.at<double>(k, c);
  }
  cv::Mat out;
  rgb.convertTo(out, CV_32F);
  out += cv::Scalar(shift[0] * 255, shift[1] * 255, shift[2] * 255);
  return to_u8(out);
}

cv::Mat hue_saturation_value(const cv::Mat& rgb, Draw& draw) {
  cv::Mat hsv;
  cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);  // 8-bit hue in [0, 180)
  const int dh = draw.integer(-20, 20), ds = draw.integer(-30, 30), dv = draw.integer(-20, 20);
  for (int r = 0; r < hsv.rows; ++r) {
    cv::Vec3b* p = hsv.ptr<cv::Vec3b>(r);
    for (int c = 0; c < hsv.cols; ++c) {
      p[c][0] = static_cast<uchar>((p[c][0] + dh + 180) % 180);
      p[c][1] = cv::saturate_cast<uchar>(p[c][1] + ds);
      p[c][2] = cv::saturate_cast<uchar>(p[c][2] + dv);
    }
  }
  cv::Mat out;
  cv::cvtColor(hsv, out, cv::COLOR_HSV2RGB);
  return out;
}

cv::Mat shift_scale_rotate(const cv::Mat& rgb, const AugmentParams& p, Draw& draw) {
  const double angle = draw.uniform(-p.rotate_degrees, p.rotate_degrees), scale = 1 + draw.uniform(-p.scale, p.scale);
  const double dx = draw.uniform(-p.shift, p.shift) * rgb.cols, dy = draw.uniform(-p.shift, p.shift) * rgb.rows;
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(rgb.cols / 2.0f, rgb.rows / 2.0f), angle, scale);
  m.at<double>(0, 2) += dx;
  m.at<double>(1, 2) += dy;
  cv::Mat out;
  cv::warpAffine(rgb, out, m, rgb.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

void require_probability(double p, const char* what) {
  if (!(p >= 0 && p <= 1)) throw InvalidArgument(what, fmt::format("a probability in [0, 1], got {}", p));
}

void check(const cv::Mat& face, const AugmentParams& p, const std::vector<cv::Point2f>& landmarks) {
  require_rgb_image(face, "augment");
  if (!landmarks.empty() && landmarks.size() != 68) {
    throw InvalidArgument("landmarks", fmt::format("{} points: part dropout needs the 68-point layout", landmarks.size()));
  }
  if (p.size < 1) throw InvalidArgument("size", fmt::format("must be >= 1, got {}", p.size));
  for (const auto& [v, what] : {std::pair{p.jpeg_p, "jpeg_p"}, {p.noise_p, "noise_p"}, {p.blur_p, "blur_p"}, {p.flip_p, "flip_p"},
                                {p.colour_p, "colour_p"}, {p.gray_p, "gray_p"}, {p.shift_scale_rotate_p, "shift_scale_rotate_p"},
                                {p.part_dropout_p, "part_dropout_p"}}) {
    require_probability(v, what);
  }
  if (!(1 <= p.jpeg_quality_min && p.jpeg_quality_min <= p.jpeg_quality_max && p.jpeg_quality_max <= 100)) {
    throw InvalidArgument("jpeg_quality", fmt::format("1 <= min <= max <= 100, got {} and {}", p.jpeg_quality_min, p.jpeg_quality_max));
  }
  if (!(0 <= p.noise_variance_min && p.noise_variance_min <= p.noise_variance_max)) {
    throw InvalidArgument("noise_variance", "0 <= min <= max");
  }
  if (!(p.shift >= 0 && p.scale >= 0 && p.scale < 1 && p.rotate_degrees >= 0)) {
    throw InvalidArgument("shift_scale_rotate", "shift, rotation >= 0 and scale in [0, 1)");
  }
}

}  // namespace

cv::Mat drop_face_part(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, int part) {
  require_rgb_image(face, "drop_face_part");
  if (landmarks.size() != 68) throw InvalidArgument("landmarks", fmt::format("{} points, not the 68-point layout", landmarks.size()));
  static const std::vector<std::vector<int>> kParts = {
      [] { std::vector<int> v; for (int i = 36; i < 48; ++i) v.push_back(i); return v; }(),   // eyes
      [] { std::vector<int> v; for (int i = 27; i < 36; ++i) v.push_back(i); return v; }(),   // nose
      [] { std::vector<int> v; for (int i = 48; i < 68; ++i) v.push_back(i); return v; }(),   // mouth
      [] { std::vector<int> v = {30}; for (int i = 2; i < 15; ++i) v.push_back(i); return v; }(),  // below the nose
  };
  if (part < 0 || part >= static_cast<int>(kParts.size())) throw InvalidArgument("part", fmt::format("0 to 3, got {}", part));
  std::vector<cv::Point> points, hull;
  for (int i : kParts[static_cast<size_t>(part)]) points.emplace_back(cvRound(landmarks[static_cast<size_t>(i)].x), cvRound(landmarks[static_cast<size_t>(i)].y));
  cv::convexHull(points, hull);
  cv::Mat mask = cv::Mat::zeros(face.size(), CV_8U);
  cv::fillConvexPoly(mask, hull, cv::Scalar(255));
  // Grown by a fifth of the eye distance, so the part's edges go too.
  const float eyes = static_cast<float>(cv::norm(landmarks[36] - landmarks[45]));
  const int grow = std::max(1, static_cast<int>(0.2f * eyes));
  cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * grow + 1, 2 * grow + 1)));
  cv::Mat out = face.clone();
  out.setTo(cv::Scalar::all(0), mask);
  return out;
}

cv::Mat augment(const cv::Mat& face, uint64_t seed, const AugmentParams& p, const std::vector<cv::Point2f>& landmarks) {
  check(face, p, landmarks);
  Draw draw(seed);
  cv::Mat img = face.clone();
  if (!landmarks.empty() && draw.chance(p.part_dropout_p)) img = drop_face_part(img, landmarks, draw.integer(0, 3));
  if (draw.chance(p.jpeg_p)) img = jpeg(img, draw.integer(p.jpeg_quality_min, p.jpeg_quality_max));
  if (draw.chance(p.noise_p)) img = gauss_noise(img, draw.uniform(p.noise_variance_min, p.noise_variance_max), draw);
  if (draw.chance(p.blur_p)) cv::GaussianBlur(img, img, cv::Size(3, 3), 0);
  if (draw.chance(p.flip_p)) cv::flip(img, img, 1);
  img = isotropic(img, p.size, draw);
  if (draw.chance(p.colour_p)) {
    switch (draw.integer(0, 2)) {
      case 0: img = brightness_contrast(img, draw); break;
      case 1: img = fancy_pca(img, draw); break;
      default: img = hue_saturation_value(img, draw); break;
    }
  }
  if (draw.chance(p.gray_p)) img = train::grayscale(img);
  if (draw.chance(p.shift_scale_rotate_p)) img = shift_scale_rotate(img, p, draw);
  return img;
}

}  // namespace dfd
