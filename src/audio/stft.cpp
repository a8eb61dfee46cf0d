// The STFT of AudioSpectrogram. FFTW (double precision: librosa's numpy FFT is double inside, and
// a float32 FFT misses the golden tolerance in quiet bands — torchaudio's does, by 2.8e-4) on
// windowed frames; frames run in parallel on LibTorch's intra-op threads.
#include "audio/stft.hpp"

#include <cmath>
#include <complex>
#include <map>
#include <mutex>

#include <ATen/Parallel.h>
#include <fftw3.h>
#include <fmt/format.h>

namespace dfd {
namespace {

// FFTW arrays from fftw_malloc (aligned as the plans expect), freed with fftw_free.
template <typename T>
struct FftwBuffer {
  explicit FftwBuffer(size_t n) : data(static_cast<T*>(fftw_malloc(sizeof(T) * std::max<size_t>(n, 1)))) {
    if (!data) throw std::bad_alloc();
  }
  ~FftwBuffer() { fftw_free(data); }
  FftwBuffer(const FftwBuffer&) = delete;
  FftwBuffer& operator=(const FftwBuffer&) = delete;
  T* data;
};

// One real-to-complex plan per FFT size, made once: FFTW's planner is not thread-safe, its
// new-array execute is (with arrays aligned as the planning ones, which fftw_malloc gives).
fftw_plan plan_for(int n_fft) {
  static std::mutex mutex;
  static std::map<int, fftw_plan> plans;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = plans.find(n_fft);
  if (it != plans.end()) return it->second;
  FftwBuffer<double> in(static_cast<size_t>(n_fft));
  FftwBuffer<fftw_complex> out(static_cast<size_t>(n_fft / 2 + 1));
  const fftw_plan plan = fftw_plan_dft_r2c_1d(n_fft, in.data, out.data, FFTW_ESTIMATE);
  if (!plan) throw InvalidArgument("n_fft", fmt::format("FFTW cannot plan a transform of size {}", n_fft));
  plans.emplace(n_fft, plan);
  return plan;
}

// scipy.signal.get_window("hann", n, fftbins=True), centred in n_fft zeros when shorter.
std::vector<double> periodic_hann(int win, int n_fft) {
  std::vector<double> w(static_cast<size_t>(n_fft), 0.0);
  const int left = (n_fft - win) / 2;
  for (int i = 0; i < win; ++i) w[static_cast<size_t>(left + i)] = 0.5 - 0.5 * std::cos(2.0 * M_PI * i / win);
  return w;
}

}  // namespace

PowerSpectrum stft_power(const std::vector<float>& waveform, const SpectrogramParams& p) {
  const int64_t n = static_cast<int64_t>(waveform.size());
  const int64_t pad = p.center ? p.n_fft / 2 : 0;
  if (p.center && p.pad_mode == StftPadMode::Reflect && n <= pad) {
    throw InvalidArgument("waveform", fmt::format("{} samples are too few to reflect-pad by {}", n, pad));
  }
  const int64_t padded = n + 2 * pad;
  if (padded < p.n_fft) {
    throw InvalidArgument("waveform", fmt::format("{} samples are fewer than n_fft {} (center=false)", n, p.n_fft));
  }
  // The padded signal in double, once: frames then read it without branches.
  std::vector<double> signal(static_cast<size_t>(padded));
  for (int64_t i = 0; i < padded; ++i) {
    int64_t j = i - pad;
    if (j < 0 || j >= n) {
      if (p.pad_mode == StftPadMode::Constant) continue;  // already 0
      j = j < 0 ? -j : 2 * (n - 1) - j;  // numpy "reflect": mirror without repeating the edge
    }
    signal[static_cast<size_t>(i)] = waveform[static_cast<size_t>(j)];
  }
  const std::vector<double> window = periodic_hann(p.win_length > 0 ? p.win_length : p.n_fft, p.n_fft);
  const fftw_plan plan = plan_for(p.n_fft);

  PowerSpectrum out;
  out.bins = p.n_fft / 2 + 1;
  out.frames = static_cast<int>(1 + (padded - p.n_fft) / p.hop_length);
  out.values.resize(static_cast<size_t>(out.frames) * out.bins);
  at::parallel_for(0, out.frames, 16, [&](int64_t begin, int64_t end) {
    FftwBuffer<double> frame(static_cast<size_t>(p.n_fft));
    FftwBuffer<fftw_complex> spectrum(static_cast<size_t>(out.bins));
    for (int64_t f = begin; f < end; ++f) {
      const double* in = signal.data() + f * p.hop_length;
      for (int i = 0; i < p.n_fft; ++i) frame.data[i] = window[static_cast<size_t>(i)] * in[i];
      fftw_execute_dft_r2c(plan, frame.data, spectrum.data);
      float* row = out.values.data() + static_cast<size_t>(f) * out.bins;
      if (p.power == 2.0) {  // |X|^2 straight from the double spectrum, rounded once
        for (int k = 0; k < out.bins; ++k) {
          const double re = spectrum.data[k][0], im = spectrum.data[k][1];
          row[k] = static_cast<float>(re * re + im * im);
        }
      } else {
        for (int k = 0; k < out.bins; ++k) {
          const double magnitude = std::sqrt(spectrum.data[k][0] * spectrum.data[k][0] + spectrum.data[k][1] * spectrum.data[k][1]);
          row[k] = static_cast<float>(p.power == 1.0 ? magnitude : std::pow(magnitude, p.power));
        }
      }
    }
  });
  return out;
}

}  // namespace dfd
