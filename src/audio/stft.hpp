// Private: |STFT|^power with FFTW in double precision, as librosa.stft + abs()**power computes it.
#pragma once

#include <vector>

#include "dfd/audio.hpp"

namespace dfd {

struct PowerSpectrum {
  int bins = 0;               // 1 + n_fft / 2
  int frames = 0;
  std::vector<float> values;  // [frames][bins], float32 as librosa's array
};

// requires: params validated by AudioSpectrogram; a non-empty waveform.
// throws: InvalidArgument when the (padded) waveform is shorter than n_fft.
PowerSpectrum stft_power(const std::vector<float>& waveform, const SpectrogramParams& params);

}  // namespace dfd
