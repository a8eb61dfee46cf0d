// WADA-SNR: the amplitude statistic G of a clip, looked up in the Gamma-speech-plus-Gaussian-noise table.
#include "dfd/speech_snr.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace dfd {
namespace {

// G for SNR -10, -9, ..., 100 dB (scripts/wada_snr_table.py)
constexpr double kWadaTable[111] = {
    0.412272, 0.413545, 0.415086, 0.417245, 0.420401, 0.424104, 0.428933, 0.435065,
    0.442451, 0.451232, 0.461958, 0.474465, 0.488856, 0.505293, 0.523689, 0.543787,
    0.565828, 0.589364, 0.614088, 0.640065, 0.667559, 0.695884, 0.724616, 0.753746,
    0.783181, 0.812674, 0.841940, 0.871068, 0.899782, 0.928382, 0.956050, 0.983053,
    1.009559, 1.035486, 1.060751, 1.085109, 1.108690, 1.131537, 1.153402, 1.174555,
    1.194869, 1.214365, 1.232926, 1.250870, 1.268335, 1.285079, 1.300950, 1.316080,
    1.330526, 1.344507, 1.357778, 1.370480, 1.382611, 1.394405, 1.405710, 1.416404,
    1.426641, 1.436557, 1.445953, 1.454873, 1.463472, 1.471666, 1.479399, 1.486733,
    1.493836, 1.500634, 1.507147, 1.513303, 1.519299, 1.524991, 1.530361, 1.535579,
    1.540580, 1.545293, 1.549710, 1.553986, 1.558131, 1.562036, 1.565876, 1.569441,
    1.572871, 1.576142, 1.579195, 1.582162, 1.585014, 1.587714, 1.590284, 1.592767,
    1.595091, 1.597361, 1.599588, 1.601659, 1.603629, 1.605431, 1.607226, 1.608874,
    1.610532, 1.612068, 1.613525, 1.614930, 1.616256, 1.617547, 1.618774, 1.619974,
    1.621137, 1.622187, 1.623221, 1.624217, 1.625188, 1.626101, 1.626966};

// |x| below this counts as this: log(0) would sink the mean.
constexpr double kSmallest = 1e-10;

}  // namespace

double speech_snr_db(const std::vector<float>& samples) {
  if (samples.empty()) throw InvalidArgument("speech_snr_db", "needs at least one sample");
  // Normalised by the peak first, so kSmallest is relative to the clip's own scale.
  double peak = 0;
  for (float s : samples) peak = std::max(peak, std::abs(static_cast<double>(s)));
  if (peak == 0) return kSpeechSnrFloorDb;
  double sum = 0, sum_log = 0;
  for (float s : samples) {
    const double a = std::max(std::abs(static_cast<double>(s)) / peak, kSmallest);
    sum += a;
    sum_log += std::log(a);
  }
  const double n = static_cast<double>(samples.size());
  const double g = std::log(sum / n) - sum_log / n;
  const double* first = std::begin(kWadaTable);
  const double* last = std::end(kWadaTable);
  if (g <= *first) return kSpeechSnrFloorDb;
  if (g >= *(last - 1)) return kSpeechSnrCeilingDb;
  const double* above = std::upper_bound(first, last, g);  // table[k - 1] <= g < table[k]
  const auto k = static_cast<double>(above - first);
  const double t = (g - *(above - 1)) / (*above - *(above - 1));
  return kSpeechSnrFloorDb + (k - 1) + t;
}

}  // namespace dfd
