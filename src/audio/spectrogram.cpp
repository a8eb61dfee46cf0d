// AudioSpectrogram: librosa.feature.melspectrogram + power_to_db, with LibTorch's FFT.
#include <algorithm>
#include <cmath>
#include <mutex>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "audio/stft.hpp"
#include "dfd/audio.hpp"

namespace dfd {
namespace {

void require(bool ok, const std::string& what, const std::string& why) {
  if (!ok) throw InvalidArgument(what, why);
}

}  // namespace

// The filter bank and each row's non-zero bins for one sample rate, rebuilt when it changes.
struct AudioSpectrogram::FilterCache {
  std::mutex mutex;
  int sample_rate = 0;
  cv::Mat filters;
  std::vector<std::pair<int, int>> support;
};

cv::Mat power_to_db(const cv::Mat& power, bool ref_max, double amin, double top_db) {
  require(!power.empty() && power.type() == CV_32F, "power", "expected a non-empty float32 matrix");
  require(amin > 0, "amin", "must be > 0");
  cv::Mat s = power.isContinuous() ? power : power.clone();
  double max_value = 0.0;
  cv::minMaxLoc(s, nullptr, &max_value);
  const double ref = ref_max ? max_value : 1.0;
  // numpy: 10 * log10(maximum(amin, S)) - 10 * log10(maximum(amin, ref)), in float32 for float32 S.
  const float ref_db = static_cast<float>(10.0 * std::log10(std::max(amin, ref)));
  cv::Mat db(s.size(), CV_32F);
  const float* in = s.ptr<float>();
  float* out = db.ptr<float>();
  const size_t n = s.total();
  float peak = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    const float level = 10.0f * std::log10(std::max(static_cast<float>(amin), in[i]));
    out[i] = level - ref_db;
    peak = std::max(peak, out[i]);
  }
  if (top_db > 0) {
    const float floor_db = peak - static_cast<float>(top_db);
    for (size_t i = 0; i < n; ++i) out[i] = std::max(out[i], floor_db);
  }
  return db;
}

AudioSpectrogram::AudioSpectrogram(const SpectrogramParams& params)
    : params_(params), filters_(std::make_shared<FilterCache>()) {
  const auto& p = params_;
  require(p.n_fft > 0 && p.hop_length > 0 && p.n_mels > 0, "params",
          fmt::format("n_fft {}, hop_length {}, n_mels {} must be > 0", p.n_fft, p.hop_length, p.n_mels));
  require(p.win_length >= 0 && p.win_length <= p.n_fft, "params",
          fmt::format("win_length {} must be in [0, n_fft {}]", p.win_length, p.n_fft));
  require(p.power > 0, "params", "power must be > 0");
  require(p.sample_rate > 0, "params", "sample_rate must be > 0");
}

const SpectrogramParams& AudioSpectrogram::params() const { return params_; }

cv::Mat AudioSpectrogram::mel_power(const std::vector<float>& waveform, int sample_rate) const {
  require(!waveform.empty(), "waveform", "is empty");
  require(sample_rate > 0, "sample_rate", fmt::format("must be > 0, got {}", sample_rate));
  const auto& p = params_;
  cv::Mat filters;
  std::vector<std::pair<int, int>> support;  // each triangle covers a few bins: sum over those only
  {
    std::lock_guard<std::mutex> lock(filters_->mutex);
    if (filters_->sample_rate != sample_rate) {
      filters_->filters = mel_filters(sample_rate, p.n_fft, p.n_mels, p.fmin, p.fmax, p.scale, p.norm);
      filters_->support.assign(static_cast<size_t>(p.n_mels), {0, 0});
      for (int m = 0; m < p.n_mels; ++m) {
        const float* w = filters_->filters.ptr<float>(m);
        int lo = 0, hi = filters_->filters.cols;
        while (lo < hi && w[lo] == 0.0f) ++lo;
        while (hi > lo && w[hi - 1] == 0.0f) --hi;
        filters_->support[static_cast<size_t>(m)] = {lo, hi};
      }
      filters_->sample_rate = sample_rate;
    }
    filters = filters_->filters;  // shares the data; a rebuild makes a new matrix
    support = filters_->support;
  }
  const PowerSpectrum power = stft_power(waveform, p);
  cv::Mat mel(p.n_mels, power.frames, CV_32F);
  at::parallel_for(0, power.frames, 64, [&](int64_t begin, int64_t end) {
    for (int64_t f = begin; f < end; ++f) {
      const float* spectrum = power.values.data() + static_cast<size_t>(f) * power.bins;
      for (int m = 0; m < p.n_mels; ++m) {
        const float* w = filters.ptr<float>(m);
        double sum = 0.0;
        for (int k = support[static_cast<size_t>(m)].first; k < support[static_cast<size_t>(m)].second; ++k) {
          sum += double(w[k]) * spectrum[k];
        }
        mel.at<float>(m, static_cast<int>(f)) = static_cast<float>(sum);
      }
    }
  });
  return mel;
}

cv::Mat AudioSpectrogram::compute(const std::vector<float>& waveform, int sample_rate) const {
  return power_to_db(mel_power(waveform, sample_rate), params_.ref_max, params_.amin, params_.top_db);
}

cv::Mat AudioSpectrogram::from_file(const std::string& path, AudioReaderParams reader) const {
  reader.sample_rate = params_.sample_rate;
  return compute(AudioReader(path, reader).read(), params_.sample_rate);
}

cv::Mat AudioSpectrogram::image(const cv::Mat& decibels, int size) {
  require(!decibels.empty() && decibels.type() == CV_32F, "decibels", "expected a non-empty float32 matrix");
  require(size > 0, "size", "must be > 0");
  cv::Mat scaled;
  cv::normalize(decibels, scaled, 0, 255, cv::NORM_MINMAX);  // float32, as cv2.normalize gives
  cv::Mat grey(scaled.size(), CV_8U);
  for (int r = 0; r < scaled.rows; ++r) {
    const float* in = scaled.ptr<float>(r);
    uint8_t* out = grey.ptr<uint8_t>(r);
    for (int c = 0; c < scaled.cols; ++c) out[c] = static_cast<uint8_t>(std::clamp(in[c], 0.0f, 255.0f));  // truncates
  }
  cv::Mat resized, rgb;
  cv::resize(grey, resized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  cv::merge(std::vector<cv::Mat>{resized, resized, resized}, rgb);
  return rgb;
}

SpectrogramParams ffdv_spectrogram_params() {
  SpectrogramParams p;
  p.ref_max = true;
  return p;
}

}  // namespace dfd
