#include "dfd/audio_bandwidth.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "stft.hpp"

namespace dfd {

double audio_bandwidth_hz(const std::vector<float>& samples, int sample_rate) {
  if (sample_rate <= 0) throw InvalidArgument("sample_rate", fmt::format("must be > 0, got {}", sample_rate));
  if (samples.size() < static_cast<size_t>(kBandwidthWindow)) {
    throw InvalidArgument("samples", fmt::format("needs at least {} samples, got {}", kBandwidthWindow, samples.size()));
  }
  SpectrogramParams stft;
  stft.n_fft = kBandwidthWindow;
  stft.hop_length = kBandwidthWindow / 2;
  stft.center = false;
  stft.power = 2.0;
  const PowerSpectrum power = stft_power(samples, stft);
  const auto bins = static_cast<size_t>(power.bins);
  const auto frames = static_cast<size_t>(power.frames);
  // The louder half of the frames: speech rather than the pauses between, whose spectrum is the
  // recording's noise floor.
  std::vector<double> energy(frames, 0.0);
  for (size_t t = 0; t < frames; ++t) {
    for (size_t b = 0; b < bins; ++b) energy[t] += power.values[t * bins + b];
  }
  std::vector<double> sorted = energy;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(frames / 2), sorted.end());
  const double median = sorted[frames / 2];
  std::vector<double> spectrum(bins, 0.0);
  for (size_t t = 0; t < frames; ++t) {
    if (energy[t] < median) continue;
    for (size_t b = 0; b < bins; ++b) spectrum[b] += power.values[t * bins + b];
  }
  const double peak = *std::max_element(spectrum.begin(), spectrum.end());
  if (!(peak > 0)) return 0.0;  // digital silence
  const double floor = peak * std::pow(10.0, -kBandwidthDropDb / 10.0);
  size_t top = 0;
  for (size_t b = 0; b < bins; ++b) {
    if (spectrum[b] >= floor) top = b;
  }
  return static_cast<double>(top) * sample_rate / kBandwidthWindow;
}

}  // namespace dfd
