// Private: random draws from one seeded engine, the arithmetic spelled out so a seed means the
// same training images whatever the standard library's distributions do.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace dfd::train {

class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi], integers.
  int integer(int lo, int hi) { return lo + std::min(hi - lo, static_cast<int>(uniform(0, 1) * (hi - lo + 1))); }
  bool chance(double p) { return uniform(0, 1) < p; }
  // An odd number in [lo, hi] (lo and hi odd).
  int odd(int lo, int hi) { return lo + 2 * integer(0, (hi - lo) / 2); }
  // Standard normal (Box-Muller).
  double normal() {
    const double u1 = 1.0 - uniform(0, 1), u2 = uniform(0, 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace dfd::train
