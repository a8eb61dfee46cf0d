// dfd/detector.hpp — the whole pipeline: a video or image in, a Verdict out.
//
// Detector samples frames, finds and crops faces, scores each crop with one or more classifiers
// and aggregates the scores into p(fake) for the file. A file that cannot be read, or that shows no
// face, gets a Verdict that says so — scan() does not throw for bad input, and never invents 0.5.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dfd/box.hpp"
#include "dfd/classifier.hpp"
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

// ---------------------------------------------------------------------------------------------

struct DetectorParams {
  // Faces
  std::string face_detector = "mtcnn";   // "mtcnn", "blazeface" or "haar"
  std::string face_weights;              // the detector's converted weights (mtcnn, blazeface)
  int frames = 32;                       // evenly spaced frames of a video
  float min_face_score = 0.0f;           // faces scored below are dropped
  int max_faces_per_frame = 0;           // 0: all
  double mtcnn_downscale = 0.5;          // selimsef runs MTCNN on half-size frames
  std::array<double, 3> mtcnn_thresholds{0.7, 0.8, 0.8};  // selimsef's kernel_utils
  MarginRule margin = MarginRule::Selimsef;
  // Classifiers: specs "arch:weights[@preset]"; the first one's preset sets crop size and padding.
  std::vector<std::string> models;
  std::vector<float> model_weights;      // per model, for the weighted mean; empty: equal
  // How a face's per-model p(fake) become one: the weighted mean of the probabilities, or of their
  // logits (then the sigmoid: a confident model weighs more), or `combiner` when set (it gets the
  // per-model p(fake) in `models` order and returns p(fake); the weights are not used).
  enum class Combine { Probabilities, Logits } combine = Combine::Probabilities;
  std::function<float(const std::vector<float>&)> combiner;
  ClassifierParams classifier;
  // Verdict
  Aggregation aggregation = Aggregation::Confident;
  bool per_identity = false;             // score each track, the file as fake as its most fake person
  float threshold = 0.5f;                // is_fake = p_fake >= threshold
  float no_face_prior = 0.5f;            // the p_fake a no_face verdict carries (its status says so)
};

// Published pipelines (models still named by the caller): "dfdc_selimsef" (32 frames, MTCNN on
// half frames, margin 1/3, centred pad, confident strategy), "dfdc_kernel" (BlazeFace tiles, the
// best face per frame, the kernel's margin, mean), "mesonet" (MTCNN, mean).
// throws: InvalidArgument for an unknown name.
DetectorParams detector_preset(const std::string& name);
std::vector<std::string> list_detector_presets();

struct StageTimings {
  double decode_and_detect_ms = 0;  // sampling frames, finding and cropping faces
  double classify_ms = 0;
  double total_ms = 0;
  std::string to_string() const;    // "decode+detect 812.3 ms, classify 401.0 ms, total 1213.9 ms"
};

struct FaceScore {
  int64_t frame_index = 0;
  int track_id = 0;
  Box box;                          // frame pixels
  float detector_score = 0;
  std::vector<float> model_scores;  // p(fake) per model, in DetectorParams::models order
  float p_fake = 0;                 // their combination (DetectorParams::combine / combiner)
};

struct IdentityScore {
  int track_id = 0;
  int faces = 0;
  float p_fake = 0;                 // the track's scores aggregated
};

struct Verdict {
  enum class Status { Ok, NoFace, IoError, DecodeError, ModelError, Error };
  std::string path;
  Status status = Status::Error;
  std::string error;                // the cause, when status is not Ok / NoFace
  float p_fake = 0;                 // Ok: the aggregate; NoFace: the configured prior; else 0
  bool is_fake = false;             // p_fake >= threshold (Ok only)
  int64_t frames_sampled = 0;
  std::vector<FaceScore> faces;
  std::vector<IdentityScore> identities;
  std::vector<float> model_scores;  // per model, its face scores aggregated the same way
  StageTimings timings;
};

// "ok", "no_face", "io_error", "decode_error", "model_error", "error".
std::string to_string(Verdict::Status status);

class Detector {
 public:
  // Loads the face detector and the classifiers once.
  // throws: InvalidArgument (no model, weights per model missing, bad params), ModelError.
  explicit Detector(const DetectorParams& params);
  ~Detector();

  // One video or image. Never throws for a bad file: the Verdict's status and error say what
  // went wrong (the file named in the message).
  Verdict scan(const std::string& path);

  const DetectorParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
