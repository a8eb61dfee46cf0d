// librosa.filters.mel, step for step (librosa 0.11 filters.py): triangles between mel-spaced band
// edges over the rfft bin frequencies, then Slaney's area normalisation. Rounded to float32 where
// librosa's float32 array rounds, so the bank equals librosa's bit for bit on the goldens.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/enum_names.hpp"
#include "dfd/audio.hpp"

namespace dfd {
namespace {

// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above.
constexpr double kSlaneyHzPerMel = 200.0 / 3.0;
constexpr double kSlaneyMinLogHz = 1000.0;
constexpr double kSlaneyMinLogMel = kSlaneyMinLogHz / kSlaneyHzPerMel;
const double kSlaneyLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::Htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz >= kSlaneyMinLogHz) return kSlaneyMinLogMel + std::log(hz / kSlaneyMinLogHz) / kSlaneyLogStep;
  return hz / kSlaneyHzPerMel;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::Htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= kSlaneyMinLogMel) return kSlaneyMinLogHz * std::exp(kSlaneyLogStep * (mel - kSlaneyMinLogMel));
  return kSlaneyHzPerMel * mel;
}

const detail::EnumName<MelScale> kMelScales[] = {{"slaney", MelScale::Slaney}, {"htk", MelScale::Htk}};
const detail::EnumName<MelNorm> kMelNorms[] = {{"slaney", MelNorm::Slaney}, {"none", MelNorm::None}};
const detail::EnumName<StftPadMode> kStftPadModes[] = {{"constant", StftPadMode::Constant}, {"reflect", StftPadMode::Reflect}};

}  // namespace

MelScale mel_scale(const std::string& name) { return detail::parse_enum(kMelScales, name, "mel scale"); }
std::string to_string(MelScale scale) { return detail::enum_name(kMelScales, scale); }
MelNorm mel_norm(const std::string& name) { return detail::parse_enum(kMelNorms, name, "mel norm"); }
std::string to_string(MelNorm norm) { return detail::enum_name(kMelNorms, norm); }
StftPadMode stft_pad_mode(const std::string& name) { return detail::parse_enum(kStftPadModes, name, "pad_mode"); }
std::string to_string(StftPadMode mode) { return detail::enum_name(kStftPadModes, mode); }

cv::Mat mel_filters(int sample_rate, int n_fft, int n_mels, double fmin, double fmax, MelScale scale, MelNorm norm) {
  if (sample_rate <= 0 || n_fft <= 0 || n_mels <= 0) {
    throw InvalidArgument("mel_filters", fmt::format("sample_rate {}, n_fft {} and n_mels {} must be > 0", sample_rate,
                                                     n_fft, n_mels));
  }
  if (fmax <= 0.0) fmax = sample_rate / 2.0;
  if (fmin < 0.0 || fmin >= fmax) {
    throw InvalidArgument("mel_filters", fmt::format("need 0 <= fmin < fmax, got fmin {} and fmax {}", fmin, fmax));
  }
  const int bins = 1 + n_fft / 2;
  // np.fft.rfftfreq(n_fft, d = 1 / sr): k * (1 / (n_fft * d)), rounded as numpy rounds it.
  const double bin_hz = 1.0 / (n_fft * (1.0 / sample_rate));
  std::vector<double> fft_hz(bins);
  for (int k = 0; k < bins; ++k) fft_hz[k] = k * bin_hz;
  // n_mels + 2 band edges evenly spaced in mel (np.linspace's formula: start + i * step).
  const double lo = hz_to_mel(fmin, scale), hi = hz_to_mel(fmax, scale);
  const int edges_count = n_mels + 2;
  const double step = (hi - lo) / (edges_count - 1);
  std::vector<double> edges(edges_count);
  for (int i = 0; i < edges_count; ++i) edges[i] = mel_to_hz(i == edges_count - 1 ? hi : lo + i * step, scale);

  cv::Mat weights(n_mels, bins, CV_32F);
  for (int m = 0; m < n_mels; ++m) {
    const double below = edges[m + 1] - edges[m], above = edges[m + 2] - edges[m + 1];
    const double enorm = norm == MelNorm::Slaney ? 2.0 / (edges[m + 2] - edges[m]) : 1.0;
    float* row = weights.ptr<float>(m);
    for (int k = 0; k < bins; ++k) {
      const double rising = (fft_hz[k] - edges[m]) / below;    // -ramps[i] / fdiff[i]
      const double falling = (edges[m + 2] - fft_hz[k]) / above;
      const float w = static_cast<float>(std::max(0.0, std::min(rising, falling)));
      row[k] = norm == MelNorm::Slaney ? static_cast<float>(double(w) * enorm) : w;
    }
  }
  return weights;
}

}  // namespace dfd
