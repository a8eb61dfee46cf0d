// ITU-R BS.1770-4 integrated loudness: K-weighting, 400 ms blocks every 100 ms, two gates.
#include "dfd/loudness.hpp"

#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dfd {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kAbsoluteGate = -70.0;  // LUFS
constexpr double kRelativeGate = -10.0;  // LU below the absolutely gated loudness

struct Biquad {
  std::array<double, 3> b{};
  std::array<double, 2> a{};  // a1, a2 (a0 = 1)
  double z1 = 0, z2 = 0;      // transposed direct form II state

  double step(double x) {
    const double y = b[0] * x + z1;
    z1 = b[1] * x - a[0] * y + z2;
    z2 = b[2] * x - a[1] * y;
    return y;
  }
};

// The two K-weighting stages for `rate`: the analogue prototypes' centre frequencies, gain and Q
// (fitted to BS.1770's 48 kHz table) through the bilinear transform prewarped at f0, so other rates
// keep the shelf and the high-pass where the standard puts them.
std::array<Biquad, 2> k_weighting(int rate) {
  std::array<Biquad, 2> k;
  {  // stage 1: high shelf, +4 dB
    const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
    const double w = std::tan(kPi * f0 / rate), vh = std::pow(10.0, gain_db / 20.0), vb = std::pow(vh, 0.4996667741545416);
    const double a0 = 1.0 + w / q + w * w;
    k[0].b = {(vh + vb * w / q + w * w) / a0, 2.0 * (w * w - vh) / a0, (vh - vb * w / q + w * w) / a0};
    k[0].a = {2.0 * (w * w - 1.0) / a0, (1.0 - w / q + w * w) / a0};
  }
  {  // stage 2: high-pass at 38 Hz
    const double f0 = 38.13547087602444, q = 0.5003270373238773;
    const double w = std::tan(kPi * f0 / rate), a0 = 1.0 + w / q + w * w;
    k[1].b = {1.0, -2.0, 1.0};
    k[1].a = {2.0 * (w * w - 1.0) / a0, (1.0 - w / q + w * w) / a0};
  }
  return k;
}

double block_loudness(double mean_square) { return -0.691 + 10.0 * std::log10(mean_square); }

}  // namespace

double integrated_loudness(const std::vector<float>& samples, int sample_rate) {
  if (sample_rate <= 0) throw InvalidArgument("sample_rate", fmt::format("must be > 0, got {}", sample_rate));
  // Blocks of 400 ms every 100 ms (75 % overlap): each block is four consecutive 100 ms segments,
  // so only the segments' energies are kept (an hour of audio: 36,000 numbers).
  const auto step = static_cast<size_t>(std::llround(0.1 * sample_rate));
  constexpr size_t kSegmentsPerBlock = 4;
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  if (step == 0 || samples.size() < kSegmentsPerBlock * step) return kNone;

  std::array<Biquad, 2> k = k_weighting(sample_rate);
  std::vector<double> segments(samples.size() / step, 0.0);  // K-weighted energy per whole segment
  const float* x = samples.data();
  for (double& energy : segments) {
    for (const float* end = x + step; x != end; ++x) {
      const double y = k[1].step(k[0].step(static_cast<double>(*x)));
      energy += y * y;
    }
  }
  std::vector<double> blocks;  // mean squares of the blocks above the absolute gate
  for (size_t s = 0; s + kSegmentsPerBlock <= segments.size(); ++s) {
    double e = 0;
    for (size_t j = 0; j < kSegmentsPerBlock; ++j) e += segments[s + j];
    const double z = e / static_cast<double>(kSegmentsPerBlock * step);
    if (z > 0 && block_loudness(z) > kAbsoluteGate) blocks.push_back(z);
  }
  if (blocks.empty()) return kNone;
  double sum = 0;
  for (double z : blocks) sum += z;
  const double gate = block_loudness(sum / static_cast<double>(blocks.size())) + kRelativeGate;
  double kept = 0;
  size_t count = 0;
  for (double z : blocks) {
    if (block_loudness(z) > gate) {
      kept += z;
      ++count;
    }
  }
  return block_loudness(kept / static_cast<double>(count));  // the loudest block always passes
}

double loudness_gain(double measured_lufs, double target_lufs) {
  if (!std::isfinite(measured_lufs) || !std::isfinite(target_lufs)) {
    throw InvalidArgument("loudness", fmt::format("a gain needs finite levels, got {} LUFS measured and {} LUFS wanted",
                                                  measured_lufs, target_lufs));
  }
  return std::pow(10.0, (target_lufs - measured_lufs) / 20.0);
}

}  // namespace dfd
