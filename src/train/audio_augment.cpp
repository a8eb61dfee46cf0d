// Training augmentations of sound (see dfd/audio_augment.hpp).
#include "dfd/audio_augment.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "draw.hpp"

namespace dfd {
namespace {

void check_share(double v, const char* name) {
  if (!(v >= 0 && v <= 1)) throw InvalidArgument(name, fmt::format("must be in [0, 1], got {}", v));
}

}  // namespace

void augment_waveform(std::vector<float>& samples, uint64_t seed, const AudioAugmentParams& p) {
  if (!(p.gain_db >= 0)) throw InvalidArgument("gain_db", fmt::format("must be >= 0, got {}", p.gain_db));
  check_share(p.noise_p, "noise_p");
  if (!(p.snr_db_min <= p.snr_db_max)) {
    throw InvalidArgument("snr_db_min", fmt::format("must be <= snr_db_max, got {} > {}", p.snr_db_min, p.snr_db_max));
  }
  train::Draw draw(seed);
  const float gain = static_cast<float>(std::pow(10.0, draw.uniform(-p.gain_db, p.gain_db) / 20.0));
  for (float& s : samples) s *= gain;
  if (!draw.chance(p.noise_p) || samples.empty()) return;
  double power = 0;
  for (float s : samples) power += double(s) * s;
  power /= double(samples.size());
  const double sigma = std::sqrt(power / std::pow(10.0, draw.uniform(p.snr_db_min, p.snr_db_max) / 10.0));
  for (float& s : samples) s += static_cast<float>(sigma * draw.normal());
}

cv::Mat mask_spectrogram(const cv::Mat& decibels, uint64_t seed, const AudioAugmentParams& p) {
  if (decibels.empty() || decibels.type() != CV_32FC1) {
    throw InvalidArgument("decibels", "must be a non-empty float32 [n_mels, frames] matrix");
  }
  check_share(p.time_mask_p, "time_mask_p");
  check_share(p.time_mask_max, "time_mask_max");
  check_share(p.freq_mask_p, "freq_mask_p");
  check_share(p.freq_mask_max, "freq_mask_max");
  train::Draw draw(seed);
  cv::Mat out = decibels.clone();
  double low = 0;
  cv::minMaxLoc(out, &low);
  // A band of 0 .. max_share of `extent`, at a random place.
  const auto band = [&](int extent, double max_share) {
    const int width = draw.integer(0, static_cast<int>(std::floor(max_share * extent)));
    const int start = draw.integer(0, extent - width);
    return std::pair<int, int>{start, width};
  };
  if (draw.chance(p.time_mask_p)) {
    const auto [start, width] = band(out.cols, p.time_mask_max);
    out.colRange(start, start + width).setTo(low);
  }
  if (draw.chance(p.freq_mask_p)) {
    const auto [start, width] = band(out.rows, p.freq_mask_max);
    out.rowRange(start, start + width).setTo(low);
  }
  return out;
}

}  // namespace dfd
