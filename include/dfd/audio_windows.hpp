// dfd/audio_windows.hpp — cutting a clip into a waveform model's fixed windows, and refusing
// audio no model can judge.
//
// A raw-waveform model (AASIST: 64 600 samples, 4.04 s at 16 kHz) takes one fixed-length window.
// The reference scores the first window of a clip only; libdfd scores the whole clip in windows:
//   starts 0, hop, 2 hop, ... while a window fits, and a last one ending at the clip's end when
//   those leave a tail (it overlaps the one before: every sample is scored, none is zero);
//   a clip shorter than one window is one window filled as the reference's data_utils.pad does:
//   the clip repeated from its start, then cut (marked `padded`).
// Scores per window are aggregated (mean, median or max) into the clip's score.
//
// Audio no model can judge is refused with a typed error rather than given a score: less than
// min_seconds of sound, or a clip whose peak stays below silence_dbfs (digital silence, a muted
// track). A 0.5 would read as "unsure" where the truth is "nothing to hear".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "dfd/aggregation.hpp"
#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// Audio that decoded but that no model can judge. A DecodeError, typed so a pipeline can report it
// as its own status (Verdict: audio_too_short, silent_audio, noisy_audio, narrowband_audio).
class UnusableAudioError : public DecodeError {
 public:
  enum class Reason { TooShort, Silent, Noisy, Narrowband };
  UnusableAudioError(std::string path, Reason reason, std::string cause)
      : DecodeError(std::move(path), std::move(cause)), reason_(reason) {}
  Reason reason() const noexcept { return reason_; }

 private:
  Reason reason_;
};

struct AudioWindowParams {
  // Between window starts, as a share of the window: 1 windows touch (the default: each second is
  // scored once, a minute of AASIST is 15 windows), 0.5 overlaps them by half.
  double hop = 1.0;
  // How a model's window scores become its score for the clip: mean, median or max.
  Aggregation aggregation = Aggregation::Mean;
  // Less audio than this is UnusableAudioError(TooShort). 1 s: below it, the reference's padding
  // repeats the clip four times over or more and its verdict means little.
  double min_seconds = 1.0;
  // A clip whose absolute peak is below this level (dB relative to full scale) is
  // UnusableAudioError(Silent). -60 dBFS is a peak of 0.001.
  double silence_dbfs = -60.0;
  // A clip whose estimated speech-to-noise ratio (WADA-SNR, dfd/speech_snr.hpp) is below this is
  // UnusableAudioError(Noisy): noise, a tone, music, or speech buried in noise, where an
  // anti-spoofing model trained on clean speech answers "fake" regardless. The default: -100, off
  // (the estimate's floor is -10 dB); the default preset sets 12.
  double min_speech_snr_db = -100.0;
  // A clip whose sound reaches no higher than this (Hz; dfd/audio_bandwidth.hpp) is
  // UnusableAudioError(Narrowband): a phone call, an 8 kHz recorder, where a model trained on
  // wideband speech answers "fake" regardless. The default: 0, off; the default preset sets 5000.
  double min_bandwidth_hz = 0.0;
};

// One window of a clip, in samples of the model's rate.
struct AudioWindow {
  int64_t start = 0;
  int64_t length = 0;   // samples of the clip in it (< the window only when padded)
  bool padded = false;  // the clip is shorter than the window and was repeated to fill it
};

// A window's verdict (Verdict::audio_windows), in seconds of the clip.
struct AudioWindowScore {
  double start = 0;                 // seconds from the audio's start
  double end = 0;                   // seconds; a padded window ends where the audio does
  bool padded = false;              // the audio is shorter than one window (repeated to fill it)
  std::vector<float> model_scores;  // p(fake) per waveform model, in DetectorParams::models order
  float p_fake = 0;                 // their combination (DetectorParams::combine / combiner)
};

// The windows covering `samples` samples (see the header).
// requires: samples >= 1, window >= 1, 0 < hop <= 1. ensures: starts ascending, the first 0, every
// sample in some window. throws: InvalidArgument.
std::vector<AudioWindow> audio_windows(int64_t samples, int64_t window, double hop);

// The model input: float32 [windows.size(), window], row k the samples of windows[k] (a padded one
// filled by repetition). requires: windows that fit the clip — audio_windows(samples.size(),
// window, ...)'s, or any start with length window (training's random windows); padded exactly when
// the length is below the window. throws: InvalidArgument naming the window that does not fit.
at::Tensor audio_window_batch(const std::vector<float>& samples, const std::vector<AudioWindow>& windows, int64_t window);

// Throws UnusableAudioError naming `path` when the clip is shorter than params.min_seconds, silent
// by params.silence_dbfs, noisy by params.min_speech_snr_db, or narrowband by
// params.min_bandwidth_hz (checked in that order; with the bandwidth gate on, fewer samples than
// kBandwidthWindow are too short); returns otherwise. requires: sample_rate > 0.
// throws: InvalidArgument for sample_rate <= 0.
void check_audio_usable(const std::vector<float>& samples, int sample_rate, const AudioWindowParams& params,
                        const std::string& path);

// "too_short" / "silent" / "noisy" / "narrowband".
std::string to_string(UnusableAudioError::Reason reason);

}  // namespace dfd
DFD_END_API
