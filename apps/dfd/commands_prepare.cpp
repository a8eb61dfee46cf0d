// dfd prepare LABELS -o DIR: a labelled set (CSV, FFDV, DFDC metadata.json, real/ fake/ folders)
// into a face dataset on disk — crops, boxes, 68 landmarks, tracks — that `dfd train` reads; with
// --audio, into an audio dataset: each file's sound decoded once at one rate; with --embeddings,
// into an embedding dataset: each file's video and audio embeddings, as a Detector computes them.
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dfd/audio_dataset.hpp"
#include "dfd/detector_params.hpp"
#include "dfd/embedding_prepare.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/labels.hpp"
#include "dfd/utf8.hpp"
#include "progress.hpp"

namespace dfd::cli {
namespace {

struct PrepareOptions {
  std::string labels, root, out_dir, detector, detector_weights, frames, landmarks_model, preset;
  std::vector<std::string> overrides, models;
  std::optional<int> size;
  int workers = 1;
  std::optional<int> sample_rate;
  std::optional<int> clip_length;
  int clip_stride = ClipParams{}.stride, clips_per_track = ClipParams{}.per_track;
  bool no_landmarks = false, retry_failed = false, audio = false, embeddings = false;
};

// The last line every prepare prints: the dataset and its counts, then what is special to its kind.
template <class Summary>
void print_summary(const std::string& dir, const Summary& s, const nlohmann::ordered_json& more) {
  nlohmann::ordered_json line = {{"dataset", utf8_escaped(dir)}, {"files", s.files}, {"done_before", s.done_before},
                                 {"prepared", s.prepared}, {"failed", s.failed}};
  line.update(more);
  std::cout << line.dump() << std::endl;
}

std::function<void(const PrepareProgress&)> progress_printer(std::unique_ptr<Progress>& progress) {
  return [&progress](const PrepareProgress& step) {
    if (!progress) progress = std::make_unique<Progress>(step.total - step.done + 1);
    if (step.status != "ok") {
      progress->clear();
      std::cerr << fmt::format("dfd prepare: {}: {}: {}\n", utf8_escaped(step.path), step.status, utf8_escaped(step.error));
    }
    progress->step(step.path);
  };
}

void run_prepare_audio(const PrepareOptions& o) {
  if (!o.detector.empty() || !o.detector_weights.empty() || !o.frames.empty() || !o.overrides.empty() ||
      !o.landmarks_model.empty() || o.no_landmarks || o.size) {
    throw InvalidArgument("--audio", "an audio dataset has no faces: --detector, --weights, --frames, --set and the "
                                     "landmark options do not apply");
  }
  AudioPrepareParams p;
  if (o.sample_rate) p.sample_rate = *o.sample_rate;
  p.workers = o.workers;
  p.retry_failed = o.retry_failed;
  std::unique_ptr<Progress> progress;
  p.on_progress = progress_printer(progress);
  const AudioPrepareSummary s = prepare_audio_dataset(read_labels(o.labels, o.root).files, o.out_dir, p);
  progress.reset();
  print_summary(o.out_dir, s, {{"clips", s.clips}, {"seconds", s.seconds}});
}

// The Detector's settings as dfd scan builds them: a preset (default: "default"), its models
// replaced by --model, then the face flags and --set.
void run_prepare_embeddings(const PrepareOptions& o) {
  if (o.size || !o.landmarks_model.empty() || o.no_landmarks) {
    throw InvalidArgument("--embeddings", "the crops are the first face model's and no landmarks are kept: --size and the "
                                          "landmark options do not apply");
  }
  EmbeddingPrepareParams p;
  p.detector = dfd::detector_params(o.preset.empty() ? "default" : o.preset);
  if (!o.models.empty()) p.detector.models = o.models;
  const auto set = [&p](const std::string& name, const std::string& value) {
    if (!value.empty()) set_detector_param(p.detector, name, value);
  };
  set("face_detector", o.detector);
  set("face_weights", o.detector_weights);
  set("frames", o.frames);
  for (const std::string& kv : o.overrides) apply_override(p.detector, kv);
  p.workers = o.workers;
  p.retry_failed = o.retry_failed;
  std::unique_ptr<Progress> progress;
  p.on_progress = progress_printer(progress);
  const EmbeddingPrepareSummary s = prepare_embedding_dataset(read_labels(o.labels, o.root).files, o.out_dir, p);
  progress.reset();
  print_summary(o.out_dir, s, {{"items", s.items}});
}

void run_prepare(const PrepareOptions& o) {
  if (o.audio && o.embeddings) throw InvalidArgument("--embeddings", "one kind of dataset at a time: --audio or --embeddings");
  if ((!o.preset.empty() || !o.models.empty()) && !o.embeddings) {
    throw InvalidArgument("--preset", "--preset and --model choose the Detector of --embeddings");
  }
  if ((o.audio || o.embeddings) && o.clip_length) throw InvalidArgument("--clips", "makes a face dataset of clips, not --audio or --embeddings");
  if (o.audio) return run_prepare_audio(o);
  if (o.sample_rate) throw InvalidArgument("--sample-rate", "applies to --audio only");
  if (o.embeddings) return run_prepare_embeddings(o);
  // The face settings are the Detector's (dfdc_selimsef preset), so training crops are cut as
  // scanning cuts them; only the crop side has its own default.
  DetectorParams d = detector_preset("dfdc_selimsef");
  const auto set = [&d](const std::string& name, const std::string& value) {
    if (!value.empty()) set_detector_param(d, name, value);
  };
  set("face_detector", o.detector);
  set("face_weights", o.detector_weights);
  set("frames", o.frames);
  d.faces.size = o.size.value_or(PrepareParams{}.faces.size);
  for (const std::string& kv : o.overrides) apply_override(d, kv);

  PrepareParams p;
  p.detector = {d.face_detector, d.mtcnn, d.blazeface, d.haar};
  p.faces = d.faces;
  p.landmarks = !o.no_landmarks;
  p.landmarker.model = o.landmarks_model;
  if (o.clip_length) p.clips = ClipParams{*o.clip_length, o.clip_stride, o.clips_per_track};
  p.workers = o.workers;
  p.retry_failed = o.retry_failed;
  const LabelSource source = read_labels(o.labels, o.root);
  std::unique_ptr<Progress> progress;
  p.on_progress = progress_printer(progress);
  const PrepareSummary s = prepare_face_dataset(source.files, o.out_dir, p);
  progress.reset();
  print_summary(o.out_dir, s, {{"faces", s.faces}});
}

}  // namespace

void add_prepare_commands(CLI::App& app) {
  auto o = std::make_shared<PrepareOptions>();
  CLI::App* cmd = app.add_subcommand("prepare", "A labelled set into a face dataset for training: crops, boxes, "
                                                 "68 landmarks and tracks, resumable; with --audio an audio dataset: "
                                                 "each file's sound; with --embeddings an embedding dataset");
  cmd->add_option("LABELS", o->labels, "a path,label[,group] CSV, FFDV video_name,target, a DFDC metadata.json, "
                                       "or a folder with real/ and fake/")->required();
  cmd->add_option("-o,--out", o->out_dir, "the dataset folder (a rerun resumes it)")->required();
  cmd->add_option("--root", o->root, "directory the listed paths are relative to (default: the label file's)");
  cmd->add_option("--detector", o->detector, fmt::format("face detector: {} [face_detector]", fmt::join(list_face_detectors(), ", ")));
  cmd->add_option("--weights", o->detector_weights, "the face detector's converted weights [mtcnn.weights / blazeface.weights]");
  cmd->add_option("-n,--frames", o->frames, "frames sampled per video [faces.frames]");
  cmd->add_option("--size", o->size, fmt::format("side of the square crops (default {})", PrepareParams{}.faces.size))
      ->check(CLI::PositiveNumber);
  cmd->add_option("--set", o->overrides, "KEY=VALUE: a face setting by its dotted name (faces.margin=dfdc_kernel, "
                  "mtcnn.thresholds=0.6,0.7,0.7, ...; see dfd scan --print-params); repeatable");
  cmd->add_option("-j,--workers", o->workers, "files prepared at once, each with its own detector")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--clips", o->clip_length, "T: clips of T frames per identity instead of single crops, for a temporal "
                  "model (dense frames along each face track, one region per clip)")->check(CLI::PositiveNumber);
  cmd->add_option("--clip-stride", o->clip_stride, "with --clips: video frames between a clip's frames")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--clips-per-track", o->clips_per_track, "with --clips: clips per identity")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--no-landmarks", o->no_landmarks, "skip the 68-point landmarks (self-blending then cannot use these faces)");
  cmd->add_option("--landmarks-model", o->landmarks_model, "dlib shape predictor (default: Debian's libdlib-data)");
  cmd->add_flag("--audio", o->audio, "an audio dataset instead: each file's sound, mono float32, for training audio models");
  cmd->add_flag("--embeddings", o->embeddings, "an embedding dataset instead: each file scanned by a Detector, its first "
                "face model's and first audio model's embeddings kept, for training an embedding fusion (fusion_mlp)");
  cmd->add_option("--preset", o->preset, fmt::format("with --embeddings: the Detector's preset (default: default; {})",
                                                     fmt::join(list_detector_presets(), ", ")));
  cmd->add_option("-m,--model", o->models, "with --embeddings: a classifier spec arch:weights[@preset] replacing the "
                  "preset's models (repeatable; the first face and first audio model embed)");
  cmd->add_option("--sample-rate", o->sample_rate, "with --audio: the rate stored, the model's (16000 for AASIST, 22050 "
                  "for spectrogram models; default 16000)")->check(CLI::Range(1, 768000));
  cmd->add_flag("--retry-failed", o->retry_failed, "on a rerun, prepare the files recorded as errors again");
  cmd->callback([o] { run_prepare(*o); });
}

}  // namespace dfd::cli
