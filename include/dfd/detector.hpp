// dfd/detector.hpp — the whole pipeline: a video or image in, a Verdict out.
//
// Detector samples frames, finds and crops faces, scores each crop with one or more classifiers
// and aggregates the scores into p(fake) for the file; an optional audio branch scores the log-mel
// image of its sound and is fused late with the faces' score. A file that cannot be read, or that
// shows no face, gets a Verdict that says so — scan() does not throw for bad input, and never
// invents 0.5.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/audio.hpp"
#include "dfd/box.hpp"
#include "dfd/classifier.hpp"
#include "dfd/error.hpp"
#include "dfd/face.hpp"
#include "dfd/gradcam.hpp"

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
// Late fusion of the two branches: p = sigmoid(video * logit(p_video) + audio * logit(p_audio) + bias).
// The defaults are the mean of the two logits; fit_late_fusion learns all three on a labelled set.
struct LateFusion {
  double video = 0.5;
  double audio = 0.5;
  double bias = 0.0;
  // requires: both in [0, 1] (clamped to [1e-7, 1 - 1e-7] so the logits are finite).
  float apply(float p_video, float p_audio) const;
};

// Logistic regression of `labels` (1 = fake) on the two branches' logits, as scikit-learn's
// LogisticRegression(C=c) fits it (L2 penalty 0.5 |w|^2 on the two weights, not on the bias;
// Newton's method with Eigen, to a gradient norm below 1e-10).
// requires: equal sizes, at least one label of each class, c > 0. throws: InvalidArgument.
LateFusion fit_late_fusion(const std::vector<float>& p_video, const std::vector<float>& p_audio,
                           const std::vector<int>& labels, double c = 1.0);

struct DetectorParams {
  // Reading: the time limit of each file's decoding (video and audio alike; see
  // VideoReaderParams::timeout_seconds) and the longest audio the audio branch reads.
  double read_timeout_seconds = 120.0;
  double max_audio_seconds = 3600.0;
  // Faces
  std::string face_detector = "mtcnn";   // "mtcnn", "blazeface" or "haar"
  std::string face_weights;              // the detector's converted weights (mtcnn, blazeface)
  int frames = 32;                       // evenly spaced frames of a video
  float min_face_score = 0.0f;           // faces scored below are dropped
  int max_faces_per_frame = 0;           // 0: all
  double mtcnn_downscale = 0.5;          // selimsef runs MTCNN on half-size frames, halved by Pillow
  MtcnnParams::DownscaleFilter mtcnn_downscale_filter = MtcnnParams::DownscaleFilter::PilBicubic;
  std::array<double, 3> mtcnn_thresholds{0.7, 0.8, 0.8};  // selimsef's kernel_utils
  MarginRule margin = MarginRule::Selimsef;
  // Classifiers: specs "arch:weights[@preset]". A spec whose preset reads a spectrogram
  // (ffdv_audio, fakeavceleb_audio) joins the audio branch; the others score faces, and the first
  // of those sets the crop size and padding. At least one of either.
  std::vector<std::string> models;
  std::vector<float> model_weights;      // per model (both branches), for the weighted mean; empty: equal
  // How a face's per-model p(fake) become one: the weighted mean of the probabilities, or of their
  // logits (then the sigmoid: a confident model weighs more), or `combiner` when set (it gets the
  // per-model p(fake) in face-model order and returns p(fake); the weights are not used). The
  // audio models' scores are combined the same way.
  enum class Combine { Probabilities, Logits } combine = Combine::Probabilities;
  std::function<float(const std::vector<float>&)> combiner;
  ClassifierParams classifier;
  // Audio branch: the log-mel image of the file's sound (the FFDV baseline's: librosa defaults,
  // dB relative to the maximum), and how its p(fake) joins the faces'.
  SpectrogramParams spectrogram = [] { SpectrogramParams s; s.ref_max = true; return s; }();
  LateFusion fusion;
  // Verdict
  Aggregation aggregation = Aggregation::Confident;
  bool per_identity = false;             // score each track, the file as fake as its most fake person
  float threshold = 0.5f;                // is_fake = p_fake >= threshold
  float no_face_prior = 0.5f;            // the p_fake a no_face verdict carries (its status says so)
  // Explanations: Grad-CAM of the faces the verdict rests on (EnsembleExplainer over the face models).
  bool explain = false;
  int explain_faces = 4;                 // the most fake faces of a fake verdict, the most real of a real one
  CamMethod explain_method = CamMethod::GradCAM;
};

// One input's p(fake) from its models' (DetectorParams::combine without a combiner): the
// weighted mean of the probabilities, or of their logits (clamped to [1e-7, 1 - 1e-7]) followed by
// the sigmoid — in double, then rounded to float. The Detector and `dfd explain` both use it.
// requires: scores.size() == weights.size() >= 1; weights >= 0 with a positive sum.
// throws: InvalidArgument.
float combine_scores(const std::vector<float>& scores, const std::vector<float>& weights, DetectorParams::Combine how);

// Published pipelines (models still named by the caller): "dfdc_selimsef" (32 frames, MTCNN on
// half frames, margin 1/3, centred pad, confident strategy), "dfdc_kernel" (BlazeFace tiles, the
// best face per frame, the kernel's margin, mean), "mesonet" (MTCNN, mean), "ffdv_audio" (the
// audio branch alone: models with the ffdv_audio preset on the log-mel image).
// throws: InvalidArgument for an unknown name.
DetectorParams detector_preset(const std::string& name);
std::vector<std::string> list_detector_presets();

struct StageTimings {
  double decode_ms = 0;    // sampling frames (or reading the image)
  double detect_ms = 0;    // finding, tracking and cropping faces
  double classify_ms = 0;  // the face models
  double audio_ms = 0;     // decoding the sound, its spectrogram and the audio models
  double explain_ms = 0;   // Grad-CAM of the deciding faces
  double total_ms = 0;     // the whole scan, waits for a shared stage included (scan_many)
  // The stages that ran: "decode 512.3 ms, detect 300.0 ms, classify 401.0 ms, total 1213.9 ms".
  std::string to_string() const;
};

struct FaceScore {
  int64_t frame_index = 0;
  int track_id = 0;
  Box box;                          // frame pixels
  float detector_score = 0;
  std::vector<float> model_scores;  // p(fake) per face model, in DetectorParams::models order
  float p_fake = 0;                 // their combination (DetectorParams::combine / combiner)
};

struct IdentityScore {
  int track_id = 0;
  int faces = 0;
  float p_fake = 0;                 // the track's scores aggregated
};

// Why a deciding face was judged so: its crop, the ensemble's Grad-CAM map on it and the share of
// the map's mass per face region (empty for a detector without landmarks).
struct FaceExplanation {
  size_t face = 0;                  // index into Verdict::faces
  std::string target;               // "fake" or "real": the side explained
  cv::Mat crop;                     // the classifier's input crop, RGB uint8
  cv::Mat heatmap;                  // CV_32F in [0, 1], the crop's size
  std::vector<RegionShare> regions; // ranked, largest first
  std::string summary;              // describe(regions)
};

struct Verdict {
  enum class Status { Ok, NoFace, NoVideoStream, NoAudioStream, IoError, DecodeError, ModelError, Error };
  std::string path;
  Status status = Status::Error;
  std::string error;                // the cause, when status is not Ok / NoFace
  // Ok: the (fused) score; NoFace: the configured prior; a failed file: NaN — it has no score,
  // and a 0 would read as "confidently real" (CSV: an empty field, JSON: null).
  float p_fake = 0;
  bool is_fake = false;             // p_fake >= threshold (Ok only)
  // The branches' scores before fusion; empty when the branch is absent or found nothing (a video
  // without a face, a silent video: the other branch decides alone and the status stays Ok).
  std::optional<float> video_p_fake;
  std::optional<float> audio_p_fake;
  int64_t frames_sampled = 0;
  std::vector<int64_t> frame_indices;     // the frames sampled (0 for an image)
  std::vector<FaceScore> faces;
  std::vector<IdentityScore> identities;
  std::vector<float> model_scores;        // per face model, its face scores aggregated the same way
  std::vector<float> audio_model_scores;  // per audio model
  std::vector<FaceExplanation> explanations;  // DetectorParams::explain
  StageTimings timings;
};

// "ok", "no_face", "no_video_stream", "no_audio_stream", "io_error", "decode_error",
// "model_error", "error".
std::string to_string(Verdict::Status status);

// The verdict as one line of JSON (no images: explanations carry their face, target, regions and
// summary). Keys: path, status, [error], p_fake (null when failed), label ("fake"/"real";
// "unknown" for no_face; absent when failed), video_p_fake, audio_p_fake (null when absent), frames_sampled,
// frame_indices, model_scores, audio_model_scores, identities, faces, explanations, timings_ms.
std::string to_json(const Verdict& verdict);

struct ScanManyParams {
  // Files in flight at once. The stages — decoding, face detection, the models (classify, audio,
  // explain) — each take one file at a time, so with 2 workers the next file's decoding overlaps
  // this one's detection and classification; 3 keeps all three stages busy; more only queue.
  int workers = 2;
};

class Detector {
 public:
  // Loads the face detector and the classifiers once (and, with explain, finds each face model's
  // Grad-CAM layers).
  // throws: InvalidArgument (no model, weights per model missing, bad params, a model Grad-CAM
  // cannot explain), ModelError.
  explicit Detector(const DetectorParams& params);
  ~Detector();

  // One video, image or audio file. Never throws for a bad file: the Verdict's status and error
  // say what went wrong (the file named in the message). A FIFO, socket or device is refused by
  // type (io_error) and every read is bounded by read_timeout_seconds, so no input hangs a scan. Safe to call from several threads: each
  // stage is taken by one file at a time, so concurrent calls pipeline instead of racing.
  Verdict scan(const std::string& path);

  // Many files, `workers` in flight (see ScanManyParams). `on_verdict(i, verdict)` is called once
  // per file, as each finishes (not in order; i indexes `paths`), one call at a time: a caller
  // can stream results to disk there, so a killed run loses only the files in flight. An exception
  // thrown by on_verdict stops the run (the files in flight finish first) and is rethrown.
  // requires: workers >= 1. throws: InvalidArgument.
  void scan_many(const std::vector<std::string>& paths, const std::function<void(size_t, Verdict&&)>& on_verdict,
                 const ScanManyParams& params = {});
  // The same, the verdicts returned in the order of `paths`.
  std::vector<Verdict> scan_many(const std::vector<std::string>& paths, const ScanManyParams& params = {});

  const DetectorParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
