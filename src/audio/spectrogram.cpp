// AudioSpectrogram: librosa.feature.melspectrogram + power_to_db, with LibTorch's FFT.
#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "dfd/audio.hpp"

namespace dfd {
namespace {

void require(bool ok, const std::string& what, const std::string& why) {
  if (!ok) throw InvalidArgument(what, why);
}

// |STFT|^power as float32 [1 + n_fft / 2, frames], computed in float64 (librosa's numpy FFT is
// double precision inside, so this is the closer match) and rounded once.
at::Tensor stft_power(const std::vector<float>& waveform, const SpectrogramParams& p) {
  at::Tensor y = at::from_blob(const_cast<float*>(waveform.data()), {static_cast<int64_t>(waveform.size())}, at::kFloat)
                     .to(at::kDouble);
  if (p.center) {
    const int64_t pad = p.n_fft / 2;
    if (p.pad_mode == StftPadMode::Reflect) {
      require(y.size(0) > pad, "waveform", fmt::format("{} samples are too few to reflect-pad by {}", y.size(0), pad));
      y = at::reflection_pad1d(y.view({1, 1, -1}), {pad, pad}).view(-1);
    } else {
      y = at::constant_pad_nd(y, {pad, pad});
    }
  }
  require(y.size(0) >= p.n_fft, "waveform",
          fmt::format("{} samples are fewer than n_fft {} (center=false)", waveform.size(), p.n_fft));
  const int64_t win = p.win_length > 0 ? p.win_length : p.n_fft;
  at::Tensor window = at::hann_window(win, /*periodic=*/true, at::TensorOptions().dtype(at::kDouble));
  if (win < p.n_fft) {  // librosa.util.pad_center
    const int64_t left = (p.n_fft - win) / 2;
    window = at::constant_pad_nd(window, {left, p.n_fft - win - left});
  }
  const at::Tensor spectrum = at::stft(y, p.n_fft, p.hop_length, p.n_fft, window, /*normalized=*/false,
                                       /*onesided=*/true, /*return_complex=*/true);
  at::Tensor magnitude = spectrum.abs();
  return (p.power == 1.0 ? magnitude : magnitude.pow(p.power)).to(at::kFloat);
}

}  // namespace

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

AudioSpectrogram::AudioSpectrogram(const SpectrogramParams& params) : params_(params) {
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
  const cv::Mat filters = mel_filters(sample_rate, p.n_fft, p.n_mels, p.fmin, p.fmax, p.scale, p.norm);
  const at::Tensor power = stft_power(waveform, p);  // [bins, frames]
  const at::Tensor bank = at::from_blob(const_cast<float*>(filters.ptr<float>()), {filters.rows, filters.cols}, at::kFloat);
  const at::Tensor mel = at::mm(bank, power).contiguous();  // [n_mels, frames], float32 as librosa's einsum
  cv::Mat out(static_cast<int>(mel.size(0)), static_cast<int>(mel.size(1)), CV_32F);
  std::copy(mel.data_ptr<float>(), mel.data_ptr<float>() + mel.numel(), out.ptr<float>());
  return out;
}

cv::Mat AudioSpectrogram::compute(const std::vector<float>& waveform, int sample_rate) const {
  return power_to_db(mel_power(waveform, sample_rate), params_.ref_max, params_.amin, params_.top_db);
}

cv::Mat AudioSpectrogram::from_file(const std::string& path) const {
  AudioReaderParams reader;
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

}  // namespace dfd
