// dfd scan PATH...: the main job — a verdict per video, image or audio file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "dfd/csv.hpp"
#include "dfd/cam_maps.hpp"
#include "dfd/detector.hpp"
#include "dfd/media_files.hpp"
#include "dfd/utf8.hpp"
#include "dfd/verdict_csv.hpp"
#include "progress.hpp"

namespace dfd::cli {
namespace {

struct ScanOptions {
  std::vector<std::string> paths;
  DetectorOptions detector;
  std::string csv, jsonl, explain_dir, dfdc_csv, ffdv_csv;
  bool retry_failed = false;
};

void run_scan(const ScanOptions& o) {
  DetectorParams params = detector_params(o.detector);
  if (!o.explain_dir.empty()) params.explain.enabled = true;
  if (print_params_requested(o.detector, params)) return;
  if (o.paths.empty()) throw InvalidArgument("PATH", "no file to scan");
  const std::vector<std::string> paths = expand_media_paths(o.paths);
  if (!o.dfdc_csv.empty() || !o.ffdv_csv.empty()) check_submission_names(paths, "dfd scan");
  if (params.explain.enabled) {
    std::error_code ec;
    std::filesystem::create_directories(o.explain_dir, ec);
    if (ec) throw IoError(o.explain_dir, "cannot create the directory: " + ec.message());
  }
  Detector detector(params);

  std::optional<VerdictCsvWriter> csv;  // a rerun skips the files it holds
  if (!o.csv.empty()) csv.emplace(o.csv, o.retry_failed);
  std::ofstream jsonl;
  if (!o.jsonl.empty()) {
    repair_jsonl_tail(o.jsonl);
    jsonl.open(o.jsonl, std::ios::app | std::ios::binary);
    if (!jsonl) throw IoError(o.jsonl, "cannot write the JSONL file");
  }
  std::vector<std::string> pending;
  std::vector<size_t> pending_input;                      // index into paths
  std::vector<std::optional<double>> scores(paths.size());  // p(fake) of each file scanned, for submissions
  std::set<std::string> queued;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    if (const CsvRecord* row = csv ? csv->previous_row(path) : nullptr) {  // a rerun: computed before
      const Verdict before = verdict_from_csv_row(*row, o.csv);
      if (before.status == Verdict::Status::Ok || before.status == Verdict::Status::NoFace) scores[i] = before.p_fake;
    } else if (queued.insert(utf8_escaped(path)).second) {
      pending.push_back(path);
      pending_input.push_back(i);
    }
  }
  Progress progress(pending.size());
  bool failed = false;
  ScanManyParams many;
  many.workers = o.detector.workers;
  detector.scan_many(pending, [&](size_t i, Verdict&& v) {
    const std::string& path = pending[i];
    const std::string shown = utf8_escaped(path);
    const bool ok = v.status == Verdict::Status::Ok;
    const bool scored = ok || v.status == Verdict::Status::NoFace;
    failed = failed || !scored;
    if (scored) scores[pending_input[i]] = v.p_fake;
    const std::string label = ok ? (v.is_fake ? "FAKE" : "real") : to_string(v.status);
    progress.clear();
    std::string audio;  // the audio branch, when there is one: its score and windows, or why it has none
    if (v.audio_p_fake) {
      audio = fmt::format("\taudio {:.4f}", *v.audio_p_fake);
      if (!v.audio_windows.empty()) {
        audio += fmt::format(" ({} windows, {}{})", v.audio_windows.size(), v.audio_window_aggregation,
                             v.audio_loudness_lufs ? fmt::format(", recorded at {:.1f} LUFS", *v.audio_loudness_lufs) : "");
      }
      if (!v.audio_fused) audio += ", reported, not in p(fake)";
    } else if (!v.audio_status.empty() && ok) {
      audio = "\taudio: " + v.audio_status;
    }
    const std::string turned = v.rotation != 0 ? fmt::format(" (turned {}°)", v.rotation) : "";  // faces.orientation auto
    std::cout << fmt::format("{}\t{}\t{}\t{} faces{}{}{}\t{}", shown, label, scored ? fmt::format("{:.4f}", v.p_fake) : "-",
                             v.faces.size(), turned, most_fake_segment_text(v), audio, v.timings.to_string())
              << (v.error.empty() ? "" : "\t" + utf8_escaped(v.error)) << std::endl;
    for (size_t k = 0; k < v.explanations.size(); ++k) {
      const FaceExplanation& e = v.explanations[k];
      const FaceScore& f = v.faces[e.face];
      const std::string file = fmt::format("{}_frame{}_track{}.png", safe_file_stem(path), f.frame_index, f.track_id);
      write_rgb_png((std::filesystem::path(o.explain_dir) / file).string(), overlay(e.crop, e.heatmap));
      std::cout << fmt::format("  {}: p_fake {:.3f}, {}", file, f.p_fake, e.summary.empty() ? "(no landmarks)" : e.summary)
                << std::endl;
    }
    for (const ClipExplanation& e : v.clip_explanations) {
      const ClipScore& c = v.clips[e.clip];
      const std::string file = fmt::format("{}_clip{}_frames{}-{}_track{}.png", safe_file_stem(path), e.clip,
                                           c.frame_indices.front(), c.frame_indices.back(), c.track_id);
      write_rgb_png((std::filesystem::path(o.explain_dir) / file).string(), clip_overlay_strip(e));
      std::cout << fmt::format("  {}: p_fake {:.3f}, {}", file, c.p_fake, e.summary.empty() ? "(no landmarks)" : e.summary)
                << std::endl;
    }
    // Each file is written as soon as it is done: a killed run loses nothing already computed.
    if (csv) csv->append(v);
    if (jsonl.is_open()) jsonl << to_json(v) << '\n' << std::flush;
    progress.step(shown);
  }, many);
  const DetectorParams& used = detector.params();
  write_submissions("dfd scan", o.dfdc_csv, o.ffdv_csv, paths, scores, used.no_face_prior);
  if (failed) throw DecodeError("dfd scan", "some files could not be scanned (see their lines)");
}

}  // namespace

// A JSONL file whose last line was cut short by a killed run: that line is removed. Only the
// file's end is read, backwards, up to the last line end.
void repair_jsonl_tail(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return;
  const std::streamoff size = in.tellg();
  std::streamoff end = size, keep = 0;
  std::string block;
  while (end > 0) {
    const std::streamoff begin = std::max<std::streamoff>(0, end - 65536);
    block.resize(static_cast<size_t>(end - begin));
    in.seekg(begin);
    if (!in.read(block.data(), static_cast<std::streamsize>(block.size()))) throw IoError(path, "read failed");
    const size_t newline = block.find_last_of('\n');
    if (newline != std::string::npos) {
      keep = begin + static_cast<std::streamoff>(newline) + 1;
      break;
    }
    end = begin;
  }
  if (keep == size) return;
  std::error_code ec;
  std::filesystem::resize_file(path, static_cast<uintmax_t>(keep), ec);
  if (ec) throw IoError(path, "cannot cut off the partial last line: " + ec.message());
}

std::vector<std::string> expand_media_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);  // a file, or whatever it is: the scan says what is wrong with it
      continue;
    }
    const std::vector<std::string> found = list_media_files(path);
    if (found.empty()) {  // kept as an input: it fails as one, with its row, and the run goes on
      std::cerr << fmt::format("dfd: warning: {}: the directory holds no media file (video, image or audio by its "
                               "extension)\n", utf8_escaped(path));
      files.push_back(path);
    }
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::string clock_text(double seconds) {
  const auto whole = static_cast<int64_t>(std::floor(std::max(0.0, seconds) + 1e-6));
  return whole >= 3600 ? fmt::format("{}:{:02d}:{:02d}", whole / 3600, whole / 60 % 60, whole % 60)
                       : fmt::format("{}:{:02d}", whole / 60, whole % 60);
}

std::string most_fake_segment_text(const Verdict& v) {
  if (v.segments.size() < 2) return "";  // one stretch is the file itself
  const SegmentScore& most = *std::max_element(v.segments.begin(), v.segments.end(),
                                               [](const SegmentScore& a, const SegmentScore& b) { return a.p_fake < b.p_fake; });
  return fmt::format(", most fake {}–{} ({:.4f}, {} faces; {} segments)", clock_text(most.start_seconds),
                     clock_text(most.end_seconds), most.p_fake, most.faces, v.segments.size());
}

std::string safe_file_stem(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (char& c : stem) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  }
  return stem.empty() ? "file" : stem.substr(0, 100);
}

void write_rgb_png(const std::string& path, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) throw IoError(path, "cannot write the image");
}

cv::Mat clip_overlay_strip(const ClipExplanation& e) {
  if (e.crops.empty() || e.crops.size() != e.heatmaps.size()) {
    throw InvalidArgument("clip explanation", fmt::format("{} crops and {} heatmaps (one per frame, at least one)",
                                                          e.crops.size(), e.heatmaps.size()));
  }
  std::vector<cv::Mat> frames;
  const int height = e.crops[0].rows;
  for (size_t t = 0; t < e.crops.size(); ++t) {
    cv::Mat frame = overlay(e.crops[t], e.heatmaps[t]);
    if (frame.rows != height) {
      cv::resize(frame, frame, cv::Size(std::max(1, frame.cols * height / frame.rows), height), 0, 0, cv::INTER_AREA);
    }
    frames.push_back(frame);
  }
  cv::Mat strip;
  cv::hconcat(frames, strip);
  return strip;
}

void add_detector_options(CLI::App* cmd, DetectorOptions& o) {
  cmd->add_option("--model", o.models, "arch:weights.safetensors[@preset] (default: the preset's; the default preset ships its own); repeat for an ensemble (audio models — "
                  "the aasist preset's waveform models, ffdv_audio/fakeavceleb_audio spectrogram ones — join the audio branch)");
  cmd->add_option("--weight", o.weights, "one weight per --model (default: equal) [model_weights]");
  cmd->add_option("--preset", o.preset, fmt::format("the settings to start from: {}", fmt::join(list_detector_presets(), ", ")))
      ->capture_default_str();
  cmd->add_option("--detector", o.detector, fmt::format("face detector: {} [face_detector]", fmt::join(list_face_detectors(), ", ")));
  cmd->add_option("--weights", o.detector_weights, "the face detector's converted weights [mtcnn.weights / blazeface.weights]");
  cmd->add_option("-n,--frames", o.frames, "frames sampled per video [faces.frames]");
  cmd->add_option("--aggregation", o.aggregation, "mean, median, max, confident [aggregation]");
  cmd->add_flag("--per-identity", o.per_identity, "the file is as fake as its most fake person [per_identity]");
  cmd->add_option("--combine", o.combine, "a face's models: probabilities or logits (weighted mean) [combine]");
  cmd->add_option("--fusion", o.fusion, "video,audio,bias: p = sigmoid(video*logit(pv) + audio*logit(pa) + bias); or max: p = max(pv, pa); "
                  "or video: p = pv, the sound reported only (the default preset's) [audio.fusion.*]");
  cmd->add_option("--threshold", o.threshold, "p(fake) at or above which the label is fake [threshold]");
  cmd->add_option("--no-face-prior", o.no_face_prior, "the p(fake) of a file without a face [no_face_prior]");
  cmd->add_option("--read-timeout", o.read_timeout, "seconds a file's decoding may take before it fails as io_error "
                  "(a stuck or endless input; 0: no limit) [faces.video.timeout_seconds, audio.reader.timeout_seconds]");
  cmd->add_option("--set", o.overrides, "KEY=VALUE: any setting by its dotted name (mtcnn.thresholds=0.85,0.95,0.95, "
                  "faces.frames=16, ...; see --print-params), after the flags above; repeatable");
  cmd->add_flag("--print-params", o.print_params, "print every effective setting as JSON and stop");
  cmd->add_option("-j,--workers", o.workers, "files in flight: decoding the next overlaps classifying this one")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

DetectorParams detector_params(const DetectorOptions& o) {
  DetectorParams p = detector_preset(o.preset);
  if (!o.models.empty()) p.models = o.models;  // set whole: a spec may hold a comma; none: the preset's
  if (!o.weights.empty()) p.model_weights = o.weights;
  const auto set = [&p](const std::string& name, const std::string& value) {
    if (!value.empty()) set_detector_param(p, name, value);
  };
  set("face_detector", o.detector);
  set("face_weights", o.detector_weights);
  set("frames", o.frames);
  set("aggregation", o.aggregation);
  if (o.per_identity) p.per_identity = true;
  set("combine", o.combine);
  if (o.fusion == "max" || o.fusion == "video") {
    set_detector_param(p, "audio.fusion.rule", o.fusion);
  } else if (!o.fusion.empty()) {
    set_detector_param(p, "audio.fusion.rule", "logit");
    const std::vector<std::string> names = {"audio.fusion.video", "audio.fusion.audio", "audio.fusion.bias"};
    std::vector<std::string> parts;
    for (size_t start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
      comma = o.fusion.find(',', start);
      parts.push_back(o.fusion.substr(start, comma == std::string::npos ? comma : comma - start));
    }
    if (parts.size() != names.size()) throw InvalidArgument("--fusion", fmt::format("expected video,audio,bias, got '{}'", o.fusion));
    for (size_t k = 0; k < names.size(); ++k) set_detector_param(p, names[k], parts[k]);
  }
  set("threshold", o.threshold);
  set("no_face_prior", o.no_face_prior);
  set("read_timeout_seconds", o.read_timeout);
  for (const std::string& kv : o.overrides) apply_override(p, kv);
  return p;
}

bool print_params_requested(const DetectorOptions& o, const DetectorParams& params) {
  if (o.print_params) std::cout << to_json(params) << std::endl;
  return o.print_params;
}

void add_scan_commands(CLI::App& app) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand("scan", "The verdict per video, image or audio file: p(fake), faces, identities, timings");
  cmd->add_option("PATH", o->paths, "videos, images or audio files, or directories (their media files, by extension, recursively)");
  add_detector_options(cmd, o->detector);
  cmd->add_option("--csv", o->csv, fmt::format("append a row per file ({}; p_fake empty for a failed file); a rerun "
                  "skips the files in it", fmt::join(verdict_csv_header(), ",")));
  cmd->add_flag("--retry-failed", o->retry_failed, "on a rerun, scan the files whose rows say they failed again "
                "(their old rows are removed)");
  cmd->add_option("--jsonl", o->jsonl, "append the whole verdict per file as a JSON line");
  cmd->add_option("--explain", o->explain_dir, "write Grad-CAM overlays of the deciding faces into this directory");
  cmd->add_option("--dfdc-submission", o->dfdc_csv, "filename,label CSV of every input (e.g. a competition's test "
                  "folder): one row per input, a file that could not be scanned with the --no-face-prior (listed on "
                  "stderr); base names must be unique");
  cmd->add_option("--ffdv-submission", o->ffdv_csv, "video_name,score CSV (the same rules)");
  cmd->callback([o] { run_scan(*o); });
}

}  // namespace dfd::cli
