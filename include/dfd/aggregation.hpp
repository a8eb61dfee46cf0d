// dfd/aggregation.hpp — from many scores to one: aggregating a video's (or a person's) face
// scores, combining one input's per-model scores, and fusing the video and audio branches late.
// Plain arithmetic on numbers, torch-free, so a host that only post-processes scores needs nothing
// else (the Detector uses exactly these functions).
#pragma once

#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

enum class Aggregation {
  Mean,
  Median,
  Max,
  Confident,  // selimsef's confident_strategy (the DFDC winner's), threshold 0.8
};

// "mean", "median", "max", "confident". throws: InvalidArgument listing the valid names.
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

// ---------------------------------------------------------------------------------------------
// Late fusion of the two branches. Logit: p = sigmoid(video * logit(p_video) + audio * logit(p_audio)
// + bias), by default the mean of the two logits; fit_late_fusion learns all three on a labelled
// set. Max: p = max(p_video, p_audio) — the file is as fake as its more fake stream, as DFDC and
// FakeAVCeleb label files (a face swap over real speech is fake; real speech is no evidence that
// the face is real), for when there is nothing to fit the weights on. Video: p = p_video — a file
// with a video stream is judged by its faces alone (none found: no_face), its sound scored and
// reported beside (Verdict::audio_p_fake) but not fused; a file without one by its sound. For an
// audio model that is not trusted outside its domain: AASIST-L calls music, room noise and noisy
// real speech fake, and under max every such real video would be fake (docs/models.md).
enum class FusionRule { Logit, Max, Video };

// "logit", "max", "video". throws: InvalidArgument listing the valid names.
FusionRule fusion_rule(const std::string& name);
std::string to_string(FusionRule rule);

struct LateFusion {
  double video = 0.5;
  double audio = 0.5;
  double bias = 0.0;
  FusionRule rule = FusionRule::Logit;  // video, audio and bias apply to Logit only
  // requires: both in [0, 1] (clamped to [1e-7, 1 - 1e-7] so the logits are finite).
  float apply(float p_video, float p_audio) const;
  // Whether p_audio can move a file's p(fake): false for Video, whose sound is reported only and
  // does not stand in for faces a video lacks either.
  bool fuses_audio() const { return rule != FusionRule::Video; }
};

// Logistic regression of `labels` (1 = fake) on the two branches' logits, as scikit-learn's
// LogisticRegression(C=c) fits it (L2 penalty 0.5 |w|^2 on the two weights, not on the bias;
// Newton's method with Eigen, to a gradient norm below 1e-10).
// requires: equal sizes, at least one label of each class, c > 0. throws: InvalidArgument.
LateFusion fit_late_fusion(const std::vector<float>& p_video, const std::vector<float>& p_audio,
                           const std::vector<int>& labels, double c = 1.0);

// How one input's per-model p(fake) become one: the weighted mean of the probabilities, or of
// their logits (then the sigmoid: a confident model weighs more).
enum class Combine { Probabilities, Logits };

// "probabilities", "logits". throws: InvalidArgument listing the valid names.
Combine combine_method(const std::string& name);
std::string to_string(Combine how);

// One input's p(fake) from its models': the weighted mean of the probabilities, or of their
// logits (clamped to [1e-7, 1 - 1e-7]) followed by the sigmoid — in double, then rounded to float.
// The Detector and `dfd explain` both use it.
// requires: scores.size() == weights.size() >= 1; weights >= 0 with a positive sum.
// ensures: a value in [0, 1] when the scores are. throws: InvalidArgument.
float combine_scores(const std::vector<float>& scores, const std::vector<float>& weights, Combine how);

}  // namespace dfd
DFD_END_API
