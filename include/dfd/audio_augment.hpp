// dfd/audio_augment.hpp — training augmentations of sound, seeded so a run repeats exactly.
//
// On the waveform (both kinds of audio model): a random gain (uniform in ±gain_db), then with
// probability noise_p white Gaussian noise at a random signal-to-noise ratio (uniform in
// [snr_db_min, snr_db_max], relative to the clip's RMS) — what a re-recording or a noisy upload
// does, which a detector must not mistake for synthesis. On a log-mel spectrogram (spectrogram
// models): SpecAugment's masks (Park et al. 2019) — with probability time_mask_p a band of up to
// time_mask_max of the frames, with freq_mask_p one of up to freq_mask_max of the mel bands, set to
// the spectrogram's minimum — so a model cannot rest on one moment or one band.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd {

struct AudioAugmentParams {
  double gain_db = 6.0;
  double noise_p = 0.3;
  double snr_db_min = 15.0, snr_db_max = 40.0;
  double time_mask_p = 0.5;
  double time_mask_max = 0.1;   // share of the frames
  double freq_mask_p = 0.5;
  double freq_mask_max = 0.1;   // share of the mel bands
};

// The waveform part, in place.
// requires: gain_db >= 0, probabilities in [0, 1], snr_db_min <= snr_db_max.
// ensures: the same samples, seed and params give the same result. throws: InvalidArgument.
void augment_waveform(std::vector<float>& samples, uint64_t seed, const AudioAugmentParams& params = {});

// The spectrogram part: a copy of `decibels` (float32 [n_mels, frames], AudioSpectrogram::compute)
// with the masks. requires: CV_32FC1 non-empty; probabilities and shares in [0, 1].
// throws: InvalidArgument.
cv::Mat mask_spectrogram(const cv::Mat& decibels, uint64_t seed, const AudioAugmentParams& params = {});

}  // namespace dfd
DFD_END_API
