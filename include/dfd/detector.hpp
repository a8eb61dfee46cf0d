// dfd/detector.hpp — from per-face scores to a verdict: aggregation strategies.
//
// A video yields p(fake) for each face crop of each sampled frame; a verdict needs one number.
// These are the published ways to get it. (The Detector that runs the whole pipeline builds on
// them.)
#pragma once

#include <string>
#include <vector>

#include "dfd/error.hpp"

namespace dfd {

enum class Aggregation {
  Mean,
  Median,
  Max,
  Confident,  // selimsef's confident_strategy (the DFDC winner's), threshold 0.8
};

// "mean", "median", "max", "confident". throws: InvalidArgument.
Aggregation aggregation(const std::string& name);
std::string to_string(Aggregation a);

struct ConfidentResult {
  double value = 0.0;
  enum Branch { ConfidentFake = 0, ConfidentReal = 1, PlainMean = 2 } branch = PlainMean;
};

// selimsef's confident_strategy, as numpy runs it (golden g5: equal within 1e-12):
//   fakes = #(p > t); if fakes > n // 2.5 and fakes > 11: mean of those p > t;
//   elif #(p < 0.2) > 0.9 n: mean of those p < 0.2; else the mean of all.
// The float overload follows numpy on float32 arrays: comparisons against float32(t) and
// float32(0.2), float32 pairwise sums. requires: p not empty. throws: InvalidArgument.
ConfidentResult confident_strategy(const std::vector<double>& p, double t = 0.8);
ConfidentResult confident_strategy(const std::vector<float>& p, float t = 0.8f);

// One number from the scores of one video (or one identity).
// requires: p not empty (a video without a face has no score: see Verdict's no_face).
// throws: InvalidArgument.
double aggregate(const std::vector<double>& p, Aggregation how);

// Per identity: each track's scores aggregated, the video as fake as its most fake person.
// requires: at least one non-empty track. throws: InvalidArgument.
double aggregate_identities(const std::vector<std::vector<double>>& tracks, Aggregation how);

}  // namespace dfd
