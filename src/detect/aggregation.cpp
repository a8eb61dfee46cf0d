// Aggregation of per-face scores. confident_strategy reproduces numpy's arithmetic exactly: its
// pairwise summation (numpy/core/src/umath/loops_utils.h.src) and, for float32 input, float32
// sums and comparisons, so results equal selimsef's to the last bit.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/enum_names.hpp"
#include "dfd/aggregation.hpp"

namespace dfd {
namespace {

// numpy's pairwise_sum over a contiguous run.
template <typename T>
T pairwise_sum(const T* a, size_t n) {
  if (n < 8) {
    T sum = T(0);  // numpy starts from 0. (a -0.0 input still sums to 0)
    for (size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    T r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    T sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

// np.mean: the pairwise sum in T, divided in double and rounded back to T (numpy's scalar path).
template <typename T>
T numpy_mean(const std::vector<T>& v) {
  return static_cast<T>(static_cast<double>(pairwise_sum(v.data(), v.size())) / static_cast<double>(v.size()));
}

template <typename T>
ConfidentResult confident(const std::vector<T>& p, T t) {
  if (p.empty()) throw InvalidArgument("p", "confident_strategy needs at least one score");
  const T low = static_cast<T>(0.2);
  std::vector<T> above, below;
  for (T x : p) {
    if (x > t) above.push_back(x);
    if (x < low) below.push_back(x);
  }
  const double n = static_cast<double>(p.size());
  ConfidentResult r;
  if (static_cast<double>(above.size()) > std::floor(n / 2.5) && above.size() > 11) {
    r.value = numpy_mean(above);
    r.branch = ConfidentResult::ConfidentFake;
  } else if (static_cast<double>(below.size()) > 0.9 * n) {
    r.value = numpy_mean(below);
    r.branch = ConfidentResult::ConfidentReal;
  } else {
    r.value = numpy_mean(p);
    r.branch = ConfidentResult::PlainMean;
  }
  return r;
}

void require_scores(const std::vector<double>& p) {
  if (p.empty()) throw InvalidArgument("p", "no scores to aggregate (a video without faces has no score)");
}

}  // namespace

namespace {
const detail::EnumName<Aggregation> kAggregations[] = {
    {"mean", Aggregation::Mean}, {"median", Aggregation::Median}, {"max", Aggregation::Max}, {"confident", Aggregation::Confident}};
}  // namespace

Aggregation aggregation(const std::string& name) { return detail::parse_enum(kAggregations, name, "aggregation"); }
std::string to_string(Aggregation a) { return detail::enum_name(kAggregations, a); }

namespace {
const detail::EnumName<Combine> kCombines[] = {{"probabilities", Combine::Probabilities}, {"logits", Combine::Logits}};
const detail::EnumName<FusionRule> kFusionRules[] = {{"logit", FusionRule::Logit}, {"max", FusionRule::Max}, {"video", FusionRule::Video}};
}  // namespace

FusionRule fusion_rule(const std::string& name) { return detail::parse_enum(kFusionRules, name, "fusion rule"); }
std::string to_string(FusionRule rule) { return detail::enum_name(kFusionRules, rule); }

Combine combine_method(const std::string& name) { return detail::parse_enum(kCombines, name, "combine"); }
std::string to_string(Combine how) { return detail::enum_name(kCombines, how); }

float combine_scores(const std::vector<float>& scores, const std::vector<float>& weights, Combine how) {
  if (scores.empty() || scores.size() != weights.size()) {
    throw InvalidArgument("weights", fmt::format("{} weights for {} scores", weights.size(), scores.size()));
  }
  double mixed = 0, weight_sum = 0;
  for (size_t m = 0; m < scores.size(); ++m) {
    if (!(weights[m] >= 0)) throw InvalidArgument("weights", fmt::format("weight {} is {}, not >= 0", m, weights[m]));
    weight_sum += weights[m];
    if (how == Combine::Logits) {
      const double q = std::clamp(static_cast<double>(scores[m]), 1e-7, 1 - 1e-7);  // a finite logit
      mixed += weights[m] * std::log(q / (1 - q));
    } else {
      mixed += weights[m] * scores[m];
    }
  }
  if (!(weight_sum > 0)) throw InvalidArgument("weights", "must not all be 0");
  mixed /= weight_sum;
  return static_cast<float>(how == Combine::Logits ? 1 / (1 + std::exp(-mixed)) : mixed);
}


ConfidentResult confident_strategy(const std::vector<double>& p, double t) { return confident(p, t); }
ConfidentResult confident_strategy(const std::vector<float>& p, float t) { return confident(p, t); }

double aggregate(const std::vector<double>& p, Aggregation how) {
  require_scores(p);
  switch (how) {
    case Aggregation::Mean: return numpy_mean(p);
    case Aggregation::Max: return *std::max_element(p.begin(), p.end());
    case Aggregation::Median: {
      std::vector<double> s = p;
      std::sort(s.begin(), s.end());
      const size_t m = s.size() / 2;
      return s.size() % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
    case Aggregation::Confident: return confident(p, 0.8).value;
  }
  return 0.0;
}

double aggregate_identities(const std::vector<std::vector<double>>& tracks, Aggregation how) {
  double worst = -1.0;
  for (const auto& track : tracks) {
    if (!track.empty()) worst = std::max(worst, aggregate(track, how));
  }
  if (worst < 0) throw InvalidArgument("tracks", "no track has a score");
  return worst;
}

}  // namespace dfd
