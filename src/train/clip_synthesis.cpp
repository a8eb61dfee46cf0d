#include "dfd/clip_synthesis.hpp"

#include <cmath>
#include <random>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "dfd/error.hpp"

namespace dfd {
namespace {

void check(const cv::Mat& face, int length, const ClipSynthesisParams& p) {
  if (face.empty() || face.type() != CV_8UC3) throw InvalidArgument("face", "must be a non-empty RGB uint8 image");
  if (length < 1) throw InvalidArgument("length", fmt::format("must be >= 1, got {}", length));
  for (double v : {p.motion, p.zoom, p.rotate_degrees, p.shake, p.exposure, p.drift}) {
    if (!(v >= 0)) throw InvalidArgument("clip_synthesis", "motion, zoom, rotate_degrees, shake, exposure and drift must be >= 0");
  }
  for (double v : {p.flicker_p, p.drift_p, p.flicker_min}) {
    if (!(v >= 0 && v <= 1)) throw InvalidArgument("clip_synthesis", "flicker_p, drift_p and flicker_min must be in [0, 1]");
  }
}

// The camera's path over a clip: per frame, the affine warp of the face and its brightness offset.
struct CameraPath {
  std::vector<cv::Mat> warps;  // 2x3, CV_64F
  std::vector<double> brightness;
};

CameraPath camera_path(cv::Size size, int length, std::mt19937_64& rng, const ClipSynthesisParams& p) {
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const double side = std::max(size.width, size.height);
  struct Pose { double dx, dy, scale, angle, light; };
  const auto draw = [&] {
    return Pose{unit(rng) * p.motion * side, unit(rng) * p.motion * side, 1 + unit(rng) * p.zoom, unit(rng) * p.rotate_degrees,
                unit(rng) * p.exposure * 255};
  };
  const Pose a = draw(), b = draw();
  const cv::Point2f centre(float(size.width) / 2, float(size.height) / 2);
  CameraPath path;
  for (int t = 0; t < length; ++t) {
    const double s = length > 1 ? double(t) / double(length - 1) : 0.0;
    cv::Mat warp = cv::getRotationMatrix2D(centre, a.angle + s * (b.angle - a.angle), a.scale + s * (b.scale - a.scale));
    warp.at<double>(0, 2) += a.dx + s * (b.dx - a.dx) + unit(rng) * p.shake * side;
    warp.at<double>(1, 2) += a.dy + s * (b.dy - a.dy) + unit(rng) * p.shake * side;
    path.warps.push_back(warp);
    path.brightness.push_back(a.light + s * (b.light - a.light));
  }
  return path;
}

cv::Mat film(const cv::Mat& image, const CameraPath& path, int t) {
  cv::Mat moved;
  cv::warpAffine(image, moved, path.warps[size_t(t)], image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT101);
  if (path.brightness[size_t(t)] != 0) moved.convertTo(moved, CV_8UC3, 1.0, path.brightness[size_t(t)]);
  return moved;
}

}  // namespace

std::vector<cv::Mat> still_clip(const cv::Mat& face, int length, uint64_t seed, const ClipSynthesisParams& params) {
  check(face, length, params);
  std::mt19937_64 rng(seed);
  const CameraPath path = camera_path(face.size(), length, rng, params);
  std::vector<cv::Mat> frames;
  for (int t = 0; t < length; ++t) frames.push_back(film(face, path, t));
  return frames;
}

namespace {

// A blend split into what a frame recomposites: the target, the mask (3 channels) and the
// source's part (source * mask), in float.
struct Layers {
  cv::Mat real, mask3, source_part;
  explicit Layers(const SelfBlend& b) {
    cv::Mat fake;
    b.real.convertTo(real, CV_32FC3);
    b.fake.convertTo(fake, CV_32FC3);
    cv::merge(std::vector<cv::Mat>{b.mask, b.mask, b.mask}, mask3);
    source_part = fake - real.mul(cv::Scalar::all(1) - mask3);
  }
};

// The temporal artefacts a fake clip gets: each frame's blend strength and the blended face's
// offset at the clip's end, drawn once per clip.
struct Artefacts {
  bool flicker = false, drift = false;
  cv::Point2d drift_to;
  std::mt19937_64 rng;
  double flicker_min = 1;

  Artefacts(uint64_t seed, cv::Size size, const ClipSynthesisParams& p) : rng(seed ^ 0xc11b5ull), flicker_min(p.flicker_min) {
    std::uniform_real_distribution<double> u01(0.0, 1.0), unit(-1.0, 1.0);
    flicker = u01(rng) < p.flicker_p;
    drift = u01(rng) < p.drift_p;
    const double side = std::max(size.width, size.height);
    drift_to = {unit(rng) * p.drift * side, unit(rng) * p.drift * side};
  }

  // Frame t of `length`: the blend recomposited as real * (1 - m) + source_part, with the mask m
  // and the source's part (source * mask) slid and scaled as drawn.
  cv::Mat frame(const Layers& b, int t, int length) {
    const cv::Mat& real = b.real;
    cv::Mat part = b.source_part, m = b.mask3;
    const double s = length > 1 ? double(t) / double(length - 1) : 0.0;
    if (drift) {  // the blended face slides from where it was blended towards drift_to
      const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, s * drift_to.x, 0, 1, s * drift_to.y);
      cv::warpAffine(b.source_part, part, shift, real.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
      cv::warpAffine(b.mask3, m, shift, real.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    }
    const double strength = flicker ? flicker_min + std::uniform_real_distribution<double>(0.0, 1.0)(rng) * (1 - flicker_min) : 1.0;
    const cv::Mat composite = real.mul(cv::Scalar::all(1) - m * strength) + part * strength;
    cv::Mat out;
    composite.convertTo(out, CV_8UC3);
    return out;
  }
};

}  // namespace

SelfBlendClip self_blend_clip(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, int length, uint64_t seed,
                              const SelfBlendParams& blend, const ClipSynthesisParams& params) {
  check(face, length, params);
  const SelfBlend b = self_blend(face, landmarks, seed, blend);
  const Layers layers(b);  // one blend for every frame
  Artefacts artefacts(seed, face.size(), params);
  std::mt19937_64 rng(seed ^ 0x9a7full);
  const CameraPath path = camera_path(face.size(), length, rng, params);
  SelfBlendClip clip;
  clip.flicker = artefacts.flicker;
  clip.drift = artefacts.drift;
  for (int t = 0; t < length; ++t) {
    clip.fake.push_back(film(artefacts.frame(layers, t, length), path, t));
    clip.real.push_back(film(b.real, path, t));
  }
  return clip;
}

SelfBlendClip self_blend_frames(const std::vector<cv::Mat>& frames, const std::vector<std::vector<cv::Point2f>>& landmarks,
                                uint64_t seed, const SelfBlendParams& blend, const ClipSynthesisParams& params) {
  if (frames.empty() || frames.size() != landmarks.size()) {
    throw InvalidArgument("frames", fmt::format("{} frames and {} landmark sets: one set per frame, at least one frame",
                                                frames.size(), landmarks.size()));
  }
  for (const cv::Mat& f : frames) check(f, 1, params);
  Artefacts artefacts(seed, frames[0].size(), params);
  SelfBlendClip clip;
  clip.flicker = artefacts.flicker;
  clip.drift = artefacts.drift;
  const int length = static_cast<int>(frames.size());
  for (int t = 0; t < length; ++t) {
    const SelfBlend b = self_blend(frames[size_t(t)], landmarks[size_t(t)], seed, blend);  // one seed: one blend's draws
    clip.fake.push_back(artefacts.frame(Layers(b), t, length));
    clip.real.push_back(b.real);
  }
  return clip;
}

}  // namespace dfd
