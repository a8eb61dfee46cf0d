// Subcommands of the `dfd` tool. Each adds itself to the app and runs when selected.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/core/mat.hpp>

#include "dfd/detector.hpp"
#include "dfd/face.hpp"

namespace dfd::cli {

// Exit codes, documented in `dfd --help`.
enum ExitCode : int {
  kOk = 0,
  kFailed = 1,      // the work failed: a dfd::Error (bad file, bad model) — the message says why
  kUsage = 2,       // the command line is wrong (CLI11), or an option's value (InvalidArgument)
};


// The options of the commands that run a Detector (scan, eval, report), and the params they make.
// Each convenience flag is a setting's dotted name (see DetectorParams), applied before the
// --set overrides, so `--frames 16` and `--set faces.frames=16` are the same thing.
struct DetectorOptions {
  std::vector<std::string> models;
  std::vector<float> weights;
  std::string preset = "default", detector, detector_weights, aggregation, combine, fusion, threshold,
      no_face_prior, frames, read_timeout;
  std::vector<std::string> overrides;  // --set KEY=VALUE
  int workers = 2;
  bool per_identity = false;
  bool print_params = false;
};
void add_detector_options(CLI::App* cmd, DetectorOptions& o);
// The preset, the convenience flags, then the --set overrides.
// throws: InvalidArgument (unknown preset, setting or value: the valid ones listed).
DetectorParams detector_params(const DetectorOptions& o);
// With --print-params: prints every effective setting as JSON and returns true (the command then
// stops before loading a model).
bool print_params_requested(const DetectorOptions& o, const DetectorParams& params);

// A JSONL file whose last line was cut short by a killed run: that line is removed (a rerun
// appends after the last complete line). throws: IoError.
void repair_jsonl_tail(const std::string& path);

// The inputs of a command that takes many files: a directory becomes its media files
// (dfd::list_media_files, recursively, sorted), a file stays as given, in the order given. A
// directory holding no media file stays as given, with a warning on stderr: it fails as an input
// (a row saying so, the exit status 1), never passing as an empty, successful run.
// throws: IoError (a directory that cannot be read).
std::vector<std::string> expand_media_paths(const std::vector<std::string>& paths);

// A submission names each file by its base name: inputs sharing one would make rows a competition
// cannot tell apart. throws: InvalidArgument listing the clashes (before anything is scanned).
void check_submission_names(const std::vector<std::string>& inputs, const std::string& source);
// The submissions asked for (an empty name: not written) — DFDC's filename,label and FFDV's
// video_name,score: one row per input in input order, by base name, p_fake or, for a file that
// could not be scanned (nullopt), `prior` — such files listed in a warning on stderr. throws: IoError.
void write_submissions(const std::string& command, const std::string& dfdc_csv, const std::string& ffdv_csv,
                       const std::vector<std::string>& inputs, const std::vector<std::optional<double>>& p_fake,
                       double prior);

// Seconds as m:ss (h:mm:ss from an hour).
std::string clock_text(double seconds);
// ", most fake 0:30–0:40 (0.7900, 10 faces; 7 segments)" for a verdict with a timeline of two or
// more segments (DetectorParams::segment_seconds); "" otherwise.
std::string most_fake_segment_text(const dfd::Verdict& v);

// A file's stem reduced to [A-Za-z0-9._-] (at most 100 characters), for names of files we write.
std::string safe_file_stem(const std::string& path);
// An RGB image to PNG. throws: IoError.
void write_rgb_png(const std::string& path, const cv::Mat& rgb);
// A clip's Grad-CAM as one picture: each frame's overlay, left to right in time, at the first
// frame's height. requires: e.crops and e.heatmaps of one length, at least one.
cv::Mat clip_overlay_strip(const dfd::ClipExplanation& e);

// dfd info FILE; dfd frames VIDEO -n N -o DIR
void add_media_commands(CLI::App& app);
// dfd faces VIDEO -o DIR
void add_face_commands(CLI::App& app);
// dfd classify INPUT... --model SPEC
void add_classify_commands(CLI::App& app);
// dfd spectrogram FILE -o IMAGE
void add_audio_commands(CLI::App& app);
// dfd explain INPUT... --model SPEC -o DIR
void add_explain_commands(CLI::App& app);
// dfd scan PATH... --model SPEC
void add_scan_commands(CLI::App& app);
// dfd eval --labels CSV --model SPEC
void add_eval_commands(CLI::App& app);
// dfd report PATH... --model SPEC -o DIR
void add_report_commands(CLI::App& app);
// dfd augment IMAGE --preview DIR
void add_augment_commands(CLI::App& app);
// dfd prepare LABELS -o DIR
void add_prepare_commands(CLI::App& app);
// dfd train DATASET -o RUN
void add_train_commands(CLI::App& app);
// dfd serve [--port N] [--root DIR]
void add_serve_commands(CLI::App& app);

}  // namespace dfd::cli
