// dfd/detector.hpp — the whole pipeline: a video or image in, a Verdict out.
//
// Detector samples frames, finds and crops faces, scores each crop with one or more classifiers
// and aggregates the scores into p(fake) for the file; an optional audio branch scores its sound
// (the log-mel image, or the waveform in windows: AASIST) and is fused late with the faces' score. A file that cannot be read, or that
// shows no face, gets a Verdict that says so — scan() does not throw for bad input, and never
// invents 0.5.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/aggregation.hpp"
#include "dfd/box.hpp"
#include "dfd/detector_params.hpp"
#include "dfd/embedding_dataset.hpp"
#include "dfd/error.hpp"
#include "dfd/face_regions.hpp"


DFD_BEGIN_API
namespace dfd {

struct StageTimings {
  double decode_ms = 0;    // sampling frames (or reading the image); clip models: and the clips' frames
  double detect_ms = 0;    // finding, tracking and cropping faces (and clips)
  double classify_ms = 0;  // the face models (and clip models)
  double audio_ms = 0;     // decoding the sound, its spectrogram and the audio models
  double explain_ms = 0;   // Grad-CAM of the deciding faces
  double total_ms = 0;     // the whole scan, waits for a shared stage included (scan_many)
  // The stages that ran: "decode 512.3 ms, detect 300.0 ms, classify 401.0 ms, total 1213.9 ms".
  std::string to_string() const;
};

struct FaceScore {
  int64_t frame_index = 0;
  double timestamp = 0.0;           // the frame's time, seconds (0 for an image)
  int track_id = 0;
  Box box;                          // frame pixels
  float detector_score = 0;
  std::vector<float> model_scores;  // p(fake) per face model, in DetectorParams::models order
  float p_fake = 0;                 // their combination (DetectorParams::combine / combiner)
};

// One clip of an identity (clip models): the frames it covers and its scores.
struct ClipScore {
  int track_id = 0;
  std::vector<int64_t> frame_indices;  // ClipPlan::frame_indices (a padded clip repeats its last frame)
  int padded = 0;                      // frames repeated because the track is shorter than a clip
  Box box;                             // the region's face box, frame pixels (ClipPlan::face)
  std::vector<float> model_scores;     // p(fake) per clip model, in DetectorParams::models order
  float p_fake = 0;                    // their combination
};

// A stretch of a video by time (DetectorParams::segment_seconds): the faces of its frames,
// aggregated as the file's are. A short fake stretch of a long real video shows here while the
// file's mean stays low.
struct SegmentScore {
  double start_seconds = 0;  // [start, end) of the video's time
  double end_seconds = 0;
  int faces = 0;
  float p_fake = 0;
};

struct IdentityScore {
  int track_id = 0;
  int faces = 0;
  float p_fake = 0;                 // the track's scores aggregated (with clip models: both kinds, joined)
  int clips = 0;                    // clip models: the track's clips
  std::optional<float> face_p_fake, clip_p_fake;  // clip models: each kind aggregated, before joining
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

// Why a deciding clip was judged so (clip models): each frame's crop and the clip models' Grad-CAM
// map on it (their weighted mean), and the share of the frames' mean map per face region.
struct ClipExplanation {
  size_t clip = 0;                  // index into Verdict::clips
  std::string target;               // "fake" or "real"
  std::vector<cv::Mat> crops;       // per frame, RGB uint8
  std::vector<cv::Mat> heatmaps;    // per frame, CV_32F in [0, 1], the crop's size
  std::vector<RegionShare> regions; // ranked, largest first (empty without landmarks)
  std::string summary;
};

struct Verdict {
  enum class Status {
    Ok, NoFace, NoVideoStream, NoAudioStream, IoError, DecodeError, ModelError, Error,
    AudioTooShort,  // the audio branch decides alone and the audio is shorter than audio.windows.min_seconds
    SilentAudio,    // the audio branch decides alone and the audio is silent (audio.windows.silence_dbfs)
    NoisyAudio,     // the audio branch decides alone and the audio is noise, not speech (audio.windows.min_speech_snr_db)
    NarrowbandAudio,  // the audio branch decides alone and the audio is band-limited (audio.windows.min_bandwidth_hz)
  };
  std::string path;
  Status status = Status::Error;
  std::string error;                // the cause, when status is not Ok / NoFace
  // Ok: the (fused) score; NoFace: the configured prior; a failed file: NaN — it has no score,
  // and a 0 would read as "confidently real" (CSV: an empty field, JSON: null).
  float p_fake = 0;
  bool is_fake = false;             // p_fake >= threshold (Ok only)
  // The branches' scores before fusion; empty when the branch is absent or found nothing (a silent
  // video: the faces decide alone and the status stays Ok; a video without a face: its sound
  // decides, except under audio.fusion.rule video, where it is no_face with the sound reported).
  std::optional<float> video_p_fake;
  std::optional<float> audio_p_fake;
  // Whether audio_p_fake is part of p_fake: fused with the faces' (audio.fusion, fusion_model) or
  // deciding alone. False when it is only reported: audio.fusion.rule video (the default preset's)
  // judges a file with pictures by its faces.
  bool audio_fused = false;
  int64_t frames_sampled = 0;
  std::vector<int64_t> frame_indices;     // the frames sampled (0 for an image)
  // Degrees the frames were turned clockwise to stand their faces upright (faces.orientation auto,
  // the default preset's): the faces' boxes are in the turned frames' pixels. 0: as decoded.
  int rotation = 0;
  std::vector<FaceScore> faces;
  std::vector<IdentityScore> identities;
  // A video's time in segment_seconds windows, those with faces, in time order (empty when off or
  // for an image). Reported beside p_fake, which stays the whole file's.
  std::vector<SegmentScore> segments;
  std::vector<float> model_scores;        // per face model, its face scores aggregated the same way
  std::vector<ClipScore> clips;           // clip models: every identity's clips
  std::vector<float> clip_model_scores;   // per clip model, its clip scores aggregated the same way
  std::vector<float> audio_model_scores;  // per audio model (a waveform model: its windows aggregated)
  // The audio branch: "" (none), "ok", "no_audio_stream", "too_short", "silent", "noisy" or "narrowband" — the last five
  // when a video's faces decide alone, or, for audio alone, what the status says.
  std::string audio_status;
  std::vector<AudioWindowScore> audio_windows;  // waveform models: per window (empty otherwise)
  std::string audio_window_aggregation;         // how a waveform model's windows became its score ("mean", ...)
  // The audio's integrated loudness (LUFS, dfd/loudness.hpp) when a model's preset levelled it
  // (loudness_lufs, as the default preset's AASIST): what the recording was, before levelling.
  std::optional<double> audio_loudness_lufs;
  std::vector<FaceExplanation> explanations;  // DetectorParams::explain
  std::vector<ClipExplanation> clip_explanations;  // DetectorParams::explain, with clip models
  // DetectorParams::embeddings: the branch's embedding of the file; empty when off or the branch
  // found nothing (no face, no sound).
  std::vector<float> video_embedding, audio_embedding;
  StageTimings timings;
};

// "ok", "no_face", "no_video_stream", "no_audio_stream", "io_error", "decode_error",
// "model_error", "error", "audio_too_short", "silent_audio", "noisy_audio", "narrowband_audio"; and back. throws (verdict_status): InvalidArgument listing the names.
std::string to_string(Verdict::Status status);
Verdict::Status verdict_status(const std::string& name);

// The verdict as one line of JSON (no images: explanations carry their face, target, regions and
// summary). Keys: path, status, [error], p_fake (null when failed), label ("fake"/"real";
// "unknown" for no_face; absent when failed), video_p_fake, audio_p_fake (null when absent), audio_fused, frames_sampled,
// frame_indices, rotation, model_scores, audio_model_scores, audio_status, audio_window_aggregation,
// audio_windows, audio_loudness_lufs (when measured), identities (with clips, face_p_fake and clip_p_fake under clip models),
// segments (start, end, faces, p_fake; empty when off), faces (with timestamp),
// explanations, timings_ms; video_embedding and audio_embedding when computed; clips,
// clip_model_scores and clip_explanations (clip, target, regions, summary) with clip models.
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
  // The `default` preset: libdfd's shipped face model, MTCNN and AASIST-L (docs/models.md), nothing to name.
  // throws: ModelError naming a shipped file that is missing or fails its checksum.
  Detector();
  ~Detector();

  // The models whose embeddings a verdict carries (DetectorParams::embeddings) and an embedding
  // fusion reads: the first face model and the first audio model (their dims 0: known once embedded).
  // throws: InvalidArgument when the Detector has no face model or no audio model; IoError when a
  // weights file cannot be read to fingerprint it.
  Embedders embedders() const;

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

  // The params it runs with: those given, model_weights filled in (equal) when empty.
  const DetectorParams& params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
DFD_END_API
