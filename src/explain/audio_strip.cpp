// The spectrogram of a clip above its windows' p(fake), on one time axis.
#include "dfd/audio_strip.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

namespace dfd {

cv::Vec3b fake_colour(float p_fake) {
  const float p = std::clamp(std::isnan(p_fake) ? 0.5f : p_fake, 0.0f, 1.0f);
  // 0: green (40, 170, 60), 0.5: yellow (240, 200, 40), 1: red (210, 40, 40).
  const float a[3] = {40, 170, 60}, b[3] = {240, 200, 40}, c[3] = {210, 40, 40};
  const float t = p < 0.5f ? p * 2 : (p - 0.5f) * 2;
  const float* lo = p < 0.5f ? a : b;
  const float* hi = p < 0.5f ? b : c;
  cv::Vec3b out;
  for (int k = 0; k < 3; ++k) out[k] = cv::saturate_cast<uchar>(lo[k] + t * (hi[k] - lo[k]));
  return out;
}

cv::Mat audio_strip(const cv::Mat& decibels, double duration_seconds, const std::vector<AudioWindowScore>& windows,
                    const AudioStripParams& params) {
  if (decibels.empty() || decibels.type() != CV_32F) throw InvalidArgument("decibels", "expected a non-empty CV_32F [mels, frames] matrix");
  if (!(duration_seconds > 0)) throw InvalidArgument("duration_seconds", fmt::format("must be > 0, got {}", duration_seconds));
  if (params.min_width < 1 || params.max_width < params.min_width || params.spectrogram_height < 1 || params.strip_height < 1 ||
      params.pixels_per_second < 1) {
    throw InvalidArgument("params", "sizes must be positive and min_width <= max_width");
  }
  const int width = std::clamp(static_cast<int>(std::lround(duration_seconds * params.pixels_per_second)), params.min_width,
                               params.max_width);
  const int gap = 4, ticks = 4;
  cv::Mat out(params.spectrogram_height + gap + params.strip_height + ticks, width, CV_8UC3, cv::Scalar(255, 255, 255));

  // The spectrogram: scaled to 0..255 over its own range, low frequencies at the bottom.
  double lo = 0, hi = 0;
  cv::minMaxLoc(decibels, &lo, &hi);
  cv::Mat grey;
  decibels.convertTo(grey, CV_8U, hi > lo ? 255.0 / (hi - lo) : 0.0, hi > lo ? -lo * 255.0 / (hi - lo) : 0.0);
  cv::flip(grey, grey, 0);
  cv::resize(grey, grey, cv::Size(width, params.spectrogram_height), 0, 0, cv::INTER_LINEAR);
  cv::Mat coloured;
  cv::applyColorMap(grey, coloured, cv::COLORMAP_MAGMA);  // BGR
  cv::cvtColor(coloured, coloured, cv::COLOR_BGR2RGB);
  coloured.copyTo(out(cv::Rect(0, 0, width, params.spectrogram_height)));

  // The strip: each column the most fake window covering its moment.
  const int top = params.spectrogram_height + gap;
  for (int x = 0; x < width; ++x) {
    const double t = (x + 0.5) / width * duration_seconds;
    float p = -1;
    for (const AudioWindowScore& w : windows) {
      if (w.start <= t && t < std::max(w.end, w.start + 1e-9)) p = std::max(p, w.p_fake);
    }
    const cv::Vec3b colour = p < 0 ? cv::Vec3b(200, 200, 200) : fake_colour(p);
    out(cv::Rect(x, top, 1, params.strip_height)).setTo(cv::Scalar(colour[0], colour[1], colour[2]));
  }
  // A tick every second; window borders as thin white lines in the strip.
  for (int s = 0; s <= static_cast<int>(duration_seconds); ++s) {
    const int x = std::min(width - 1, static_cast<int>(std::lround(s / duration_seconds * width)));
    out(cv::Rect(x, top + params.strip_height, 1, ticks)).setTo(cv::Scalar(90, 90, 90));
  }
  for (const AudioWindowScore& w : windows) {
    const int x = std::clamp(static_cast<int>(std::lround(w.start / duration_seconds * width)), 0, width - 1);
    if (x > 0) out(cv::Rect(x, top, 1, params.strip_height)).setTo(cv::Scalar(255, 255, 255));
  }
  return out;
}

}  // namespace dfd
