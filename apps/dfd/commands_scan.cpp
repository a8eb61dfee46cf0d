// dfd scan PATH...: the main job — a verdict per video, image or audio file.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "dfd/csv.hpp"
#include "dfd/detector.hpp"
#include "dfd/utf8.hpp"
#include "progress.hpp"

namespace dfd::cli {
namespace {

struct ScanOptions {
  std::vector<std::string> paths;
  DetectorOptions detector;
  std::string csv, jsonl, explain_dir;
  bool retry_failed = false;
};

const CsvRecord kCsvHeader = {"path", "score", "status", "label", "faces", "error"};

bool is_failure(const std::string& status) { return status != "ok" && status != "no_face"; }

// The files a previous run wrote complete rows for (by their written, escaped path), so a rerun
// skips them. A row cut short by a killed run is cut off the file first: that file is scanned
// again and its new row starts on its own line. With retry_failed, the rows of failed files are
// removed (the file is rewritten without them) and those files scanned again.
std::set<std::string> resume_csv(const std::string& csv, bool retry_failed) {
  std::set<std::string> done;
  std::error_code ec;
  if (!std::filesystem::exists(csv, ec)) return done;
  CsvText text;
  repair_csv_tail(csv, &text);  // one read: the cut and what remains
  if (text.records.empty()) return done;
  if (text.records[0] != kCsvHeader) {
    throw DecodeError(csv, fmt::format("is not a CSV dfd scan wrote (its header is not {}): refusing to append to it",
                                       fmt::join(kCsvHeader, ",")));
  }
  std::string kept = csv_line(kCsvHeader);
  bool dropped = false;
  for (size_t r = 1; r < text.records.size(); ++r) {
    const CsvRecord& row = text.records[r];
    if (row.size() != kCsvHeader.size() || row[0].empty()) continue;
    if (retry_failed && is_failure(row[2])) {
      dropped = true;
      continue;
    }
    done.insert(row[0]);
    kept += csv_line(row);
  }
  if (dropped) {
    // Written beside it and renamed over it: a kill during the rewrite leaves the old file whole.
    const std::string tmp = csv + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!(out << kept) || !out.flush()) throw IoError(tmp, "cannot write the CSV without its failed rows");
    }
    std::filesystem::rename(tmp, csv, ec);
    if (ec) throw IoError(csv, "cannot replace the CSV: " + ec.message());
  }
  return done;
}

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

void run_scan(const ScanOptions& o) {
  DetectorParams params = detector_params(o.detector);
  params.explain = !o.explain_dir.empty();
  if (params.explain) {
    std::error_code ec;
    std::filesystem::create_directories(o.explain_dir, ec);
    if (ec) throw IoError(o.explain_dir, "cannot create the directory: " + ec.message());
  }
  Detector detector(params);

  const std::set<std::string> done = o.csv.empty() ? std::set<std::string>{} : resume_csv(o.csv, o.retry_failed);
  std::ofstream csv, jsonl;
  if (!o.csv.empty()) {
    std::error_code ec;
    const bool fresh = !std::filesystem::exists(o.csv, ec) || std::filesystem::file_size(o.csv, ec) == 0;
    csv.open(o.csv, std::ios::app | std::ios::binary);
    if (!csv) throw IoError(o.csv, "cannot write the CSV");
    if (fresh) csv << csv_line(kCsvHeader) << std::flush;
  }
  if (!o.jsonl.empty()) {
    repair_jsonl_tail(o.jsonl);
    jsonl.open(o.jsonl, std::ios::app | std::ios::binary);
    if (!jsonl) throw IoError(o.jsonl, "cannot write the JSONL file");
  }
  std::vector<std::string> pending;
  std::set<std::string> queued;
  for (const std::string& path : o.paths) {
    const std::string written = utf8_escaped(path);
    if (!done.count(written) && queued.insert(written).second) pending.push_back(path);  // a rerun: computed before
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
    const std::string label = ok ? (v.is_fake ? "FAKE" : "real") : to_string(v.status);
    const std::string score = scored ? fmt::format("{:.9g}", v.p_fake) : "";  // a failed file has no score
    progress.clear();
    std::cout << fmt::format("{}\t{}\t{}\t{} faces\t{}", shown, label, scored ? fmt::format("{:.4f}", v.p_fake) : "-",
                             v.faces.size(), v.timings.to_string())
              << (v.error.empty() ? "" : "\t" + utf8_escaped(v.error)) << std::endl;
    for (size_t k = 0; k < v.explanations.size(); ++k) {
      const FaceExplanation& e = v.explanations[k];
      const FaceScore& f = v.faces[e.face];
      const std::string file = fmt::format("{}_frame{}_track{}.png", safe_file_stem(path), f.frame_index, f.track_id);
      write_rgb_png((std::filesystem::path(o.explain_dir) / file).string(), overlay(e.crop, e.heatmap));
      std::cout << fmt::format("  {}: p_fake {:.3f}, {}", file, f.p_fake, e.summary.empty() ? "(no landmarks)" : e.summary)
                << std::endl;
    }
    // Each file is written as soon as it is done: a killed run loses nothing already computed.
    if (csv.is_open()) {
      csv << csv_line({shown, score, to_string(v.status), ok ? (v.is_fake ? "1" : "0") : "",
                       std::to_string(v.faces.size()), utf8_escaped(v.error)})
          << std::flush;
    }
    if (jsonl.is_open()) jsonl << to_json(v) << '\n' << std::flush;
    progress.step(shown);
  }, many);
  if (failed) throw DecodeError("dfd scan", "some files could not be scanned (see their lines)");
}

}  // namespace

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

void add_detector_options(CLI::App* cmd, DetectorOptions& o) {
  cmd->add_option("--model", o.models, "arch:weights.safetensors[@preset]; repeat for an ensemble (audio presets "
                  "ffdv_audio/fakeavceleb_audio join the audio branch)")->required();
  cmd->add_option("--weight", o.weights, "one weight per --model (default: equal)");
  cmd->add_option("--preset", o.preset, "dfdc_selimsef, dfdc_kernel, mesonet or ffdv_audio")->capture_default_str();
  cmd->add_option("--detector", o.detector, "face detector: mtcnn, blazeface, haar (default: the preset's)");
  cmd->add_option("--weights", o.detector_weights, "the face detector's converted weights");
  cmd->add_option("-n,--frames", o.frames, "frames sampled per video (default: the preset's)");
  cmd->add_option("--aggregation", o.aggregation, "mean, median, max, confident (default: the preset's)");
  cmd->add_flag("--per-identity", o.per_identity, "the file is as fake as its most fake person");
  cmd->add_option("--combine", o.combine, "a face's models: probabilities or logits (weighted mean)")
      ->capture_default_str()
      ->check(CLI::IsMember({"probabilities", "logits"}));
  cmd->add_option("--fusion", o.fusion, "video,audio,bias: p = sigmoid(video*logit(pv) + audio*logit(pa) + bias)")
      ->expected(3)
      ->delimiter(',');
  cmd->add_option("--threshold", o.threshold, "p(fake) at or above which the label is fake")->capture_default_str();
  cmd->add_option("--no-face-prior", o.no_face_prior, "the p(fake) of a file without a face")->capture_default_str();
  cmd->add_option("--read-timeout", o.read_timeout, "seconds a file's decoding may take before it fails as io_error "
                  "(a stuck or endless input; 0: no limit)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("-j,--workers", o.workers, "files in flight: decoding the next overlaps classifying this one")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

DetectorParams detector_params(const DetectorOptions& o) {
  DetectorParams p = detector_preset(o.preset);
  p.models = o.models;
  p.model_weights = o.weights;
  if (!o.detector.empty()) p.face_detector = o.detector;
  p.face_weights = o.detector_weights;
  if (o.frames > 0) p.frames = o.frames;
  if (!o.aggregation.empty()) p.aggregation = aggregation(o.aggregation);
  p.combine = o.combine == "logits" ? DetectorParams::Combine::Logits : DetectorParams::Combine::Probabilities;
  if (o.fusion.size() == 3) p.fusion = {o.fusion[0], o.fusion[1], o.fusion[2]};
  p.threshold = o.threshold;
  p.no_face_prior = o.no_face_prior;
  p.read_timeout_seconds = o.read_timeout;
  p.per_identity = o.per_identity;
  return p;
}

void add_scan_commands(CLI::App& app) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand("scan", "The verdict per video, image or audio file: p(fake), faces, identities, timings");
  cmd->add_option("PATH", o->paths, "videos, images or audio files")->required();
  add_detector_options(cmd, o->detector);
  cmd->add_option("--csv", o->csv, "append path,score,status,label,faces,error per file (score empty for a failed "
                  "file); a rerun skips the files in it");
  cmd->add_flag("--retry-failed", o->retry_failed, "on a rerun, scan the files whose rows say they failed again "
                "(their old rows are removed)");
  cmd->add_option("--jsonl", o->jsonl, "append the whole verdict per file as a JSON line");
  cmd->add_option("--explain", o->explain_dir, "write Grad-CAM overlays of the deciding faces into this directory");
  cmd->callback([o] { run_scan(*o); });
}

}  // namespace dfd::cli
