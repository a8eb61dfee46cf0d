// Windows of a clip for a waveform model, and the checks that refuse audio no model can judge.
#include "dfd/audio_windows.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <torch/torch.h>

#include "dfd/audio_bandwidth.hpp"
#include "dfd/speech_snr.hpp"

namespace dfd {

std::string to_string(UnusableAudioError::Reason reason) {
  switch (reason) {
    case UnusableAudioError::Reason::TooShort: return "too_short";
    case UnusableAudioError::Reason::Silent: return "silent";
    case UnusableAudioError::Reason::Noisy: return "noisy";
    case UnusableAudioError::Reason::Narrowband: return "narrowband";
  }
  return "unknown";
}

std::vector<AudioWindow> audio_windows(int64_t samples, int64_t window, double hop) {
  if (samples < 1) throw InvalidArgument("samples", fmt::format("must be >= 1, got {}", samples));
  if (window < 1) throw InvalidArgument("window", fmt::format("must be >= 1, got {}", window));
  if (!(hop > 0 && hop <= 1)) throw InvalidArgument("hop", fmt::format("must be in (0, 1] of the window, got {}", hop));
  if (samples <= window) return {AudioWindow{0, samples, samples < window}};
  const int64_t step = std::max<int64_t>(1, std::llround(hop * static_cast<double>(window)));
  std::vector<AudioWindow> out;
  int64_t start = 0;
  for (; start + window <= samples; start += step) out.push_back({start, window, false});
  if (out.back().start + window < samples) out.push_back({samples - window, window, false});  // the tail
  return out;
}

at::Tensor audio_window_batch(const std::vector<float>& samples, const std::vector<AudioWindow>& windows, int64_t window) {
  if (window < 1) throw InvalidArgument("window", fmt::format("must be >= 1, got {}", window));
  const auto n = static_cast<int64_t>(samples.size());
  torch::Tensor batch = torch::empty({static_cast<int64_t>(windows.size()), window});
  for (size_t k = 0; k < windows.size(); ++k) {
    const AudioWindow& w = windows[k];
    if (w.start < 0 || w.length < 1 || w.start + w.length > n || w.length > window || (w.length < window) != w.padded) {
      throw InvalidArgument("windows", fmt::format("window {} (start {}, {} samples) does not fit a clip of {} samples "
                                                   "and a window of {}", k, w.start, w.length, n, window));
    }
    float* row = batch[static_cast<int64_t>(k)].data_ptr<float>();
    // The reference's data_utils.pad: tile the clip from its start, then cut to the window.
    for (int64_t filled = 0; filled < window; filled += w.length) {
      const int64_t take = std::min(w.length, window - filled);
      std::memcpy(row + filled, samples.data() + w.start, static_cast<size_t>(take) * sizeof(float));
    }
  }
  return batch;
}

void check_audio_usable(const std::vector<float>& samples, int sample_rate, const AudioWindowParams& params,
                        const std::string& path) {
  if (sample_rate <= 0) throw InvalidArgument("sample_rate", fmt::format("must be > 0, got {}", sample_rate));
  const double seconds = static_cast<double>(samples.size()) / sample_rate;
  if (seconds < params.min_seconds) {
    throw UnusableAudioError(path, UnusableAudioError::Reason::TooShort,
                             fmt::format("{:.3f} s of audio, less than the {:g} s a verdict needs", seconds, params.min_seconds));
  }
  float peak = 0;
  for (float s : samples) peak = std::max(peak, std::abs(s));
  const double peak_dbfs = peak > 0 ? 20.0 * std::log10(static_cast<double>(peak)) : -std::numeric_limits<double>::infinity();
  if (peak_dbfs < params.silence_dbfs) {
    throw UnusableAudioError(path, UnusableAudioError::Reason::Silent,
                             peak > 0 ? fmt::format("silent: the audio peaks at {:.1f} dBFS, below the {:g} dBFS a verdict needs",
                                                    peak_dbfs, params.silence_dbfs)
                                      : std::string("silent: every sample is 0"));
  }
  if (params.min_speech_snr_db > kSpeechSnrFloorDb) {  // at or below the floor nothing is refused: skip the pass
    const double snr = speech_snr_db(samples);
    if (snr < params.min_speech_snr_db) {
      throw UnusableAudioError(path, UnusableAudioError::Reason::Noisy,
                               fmt::format("noisy: an estimated speech-to-noise ratio of {:.1f} dB (WADA-SNR), below the "
                                           "{:g} dB a verdict needs (audio.windows.min_speech_snr_db) — noise, music or speech "
                                           "buried in noise, which the audio model reads as fake whatever it is",
                                           snr, params.min_speech_snr_db));
    }
  }
  if (params.min_bandwidth_hz > 0) {
    if (samples.size() < static_cast<size_t>(kBandwidthWindow)) {  // possible only with min_seconds near 0
      throw UnusableAudioError(path, UnusableAudioError::Reason::TooShort,
                               fmt::format("{} samples, too few to measure how high the sound reaches ({} needed)",
                                           samples.size(), kBandwidthWindow));
    }
    const double bandwidth = audio_bandwidth_hz(samples, sample_rate);
    if (bandwidth < params.min_bandwidth_hz) {
      throw UnusableAudioError(path, UnusableAudioError::Reason::Narrowband,
                               fmt::format("narrowband: the sound reaches {:.0f} Hz, below the {:g} Hz a verdict needs "
                                           "(audio.windows.min_bandwidth_hz) — a phone line or an 8 kHz recording, which "
                                           "the audio model reads as fake whatever it is",
                                           bandwidth, params.min_bandwidth_hz));
    }
  }
}

}  // namespace dfd
