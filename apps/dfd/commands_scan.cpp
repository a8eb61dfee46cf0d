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
#include "dfd/detector.hpp"
#include "progress.hpp"

namespace dfd::cli {
namespace {

struct ScanOptions {
  std::vector<std::string> paths;
  DetectorOptions detector;
  std::string csv, jsonl, explain_dir;
};

constexpr int kCsvColumns = 6;  // path,score,status,label,faces,error

// The paths a previous run wrote complete rows for, so a rerun skips them. A row cut short by a
// killed run does not count: that file is scanned again.
std::set<std::string> done_in(const std::string& csv) {
  std::set<std::string> done;
  std::ifstream in(csv);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) { header = false; continue; }
    const std::vector<std::string> fields = csv_record(line);
    if (fields.size() == kCsvColumns && !fields[0].empty()) done.insert(fields[0]);
  }
  return done;
}

// A row per line, whatever a message holds (the resume reader goes line by line).
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// Appending after a row cut short would glue the next row onto it: end the file's last line first.
void end_last_line(const std::string& path, std::ofstream& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() <= 0) return;
  in.seekg(-1, std::ios::end);
  if (in.get() != '\n') out << '\n';
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

  const std::set<std::string> done = o.csv.empty() ? std::set<std::string>{} : done_in(o.csv);
  std::ofstream csv, jsonl;
  if (!o.csv.empty()) {
    const bool fresh = done.empty() && !std::ifstream(o.csv).good();
    csv.open(o.csv, std::ios::app);
    if (!csv) throw IoError(o.csv, "cannot write the CSV");
    end_last_line(o.csv, csv);
    if (fresh) csv << "path,score,status,label,faces,error\n" << std::flush;
  }
  if (!o.jsonl.empty()) {
    jsonl.open(o.jsonl, std::ios::app);
    if (!jsonl) throw IoError(o.jsonl, "cannot write the JSONL file");
    end_last_line(o.jsonl, jsonl);
  }
  std::vector<std::string> pending;
  for (const std::string& path : o.paths) {
    if (!done.count(path)) pending.push_back(path);  // a rerun: computed before
  }
  Progress progress(pending.size());
  bool failed = false;
  ScanManyParams many;
  many.workers = o.detector.workers;
  detector.scan_many(pending, [&](size_t i, Verdict&& v) {
    const std::string& path = pending[i];
    const bool ok = v.status == Verdict::Status::Ok;
    failed = failed || !(ok || v.status == Verdict::Status::NoFace);
    const std::string label = ok ? (v.is_fake ? "FAKE" : "real") : to_string(v.status);
    progress.clear();
    std::cout << fmt::format("{}\t{}\t{:.4f}\t{} faces\t{}", path, label, v.p_fake, v.faces.size(), v.timings.to_string())
              << (v.error.empty() ? "" : "\t" + v.error) << std::endl;
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
      csv << csv_field(path) << ',' << fmt::format("{:.9g}", v.p_fake) << ',' << to_string(v.status) << ','
          << (ok ? (v.is_fake ? "1" : "0") : "") << ',' << v.faces.size() << ',' << csv_field(one_line(v.error)) << '\n'
          << std::flush;
    }
    if (jsonl.is_open()) jsonl << to_json(v) << '\n' << std::flush;
    progress.step(path);
  }, many);
  if (failed) throw DecodeError("dfd scan", "some files could not be scanned (see their lines)");
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<std::string> csv_record(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { fields.back() += '"'; ++i; }
      else if (c == '"') quoted = false;
      else fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
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
  p.per_identity = o.per_identity;
  return p;
}

void add_scan_commands(CLI::App& app) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand("scan", "The verdict per video, image or audio file: p(fake), faces, identities, timings");
  cmd->add_option("PATH", o->paths, "videos, images or audio files")->required();
  add_detector_options(cmd, o->detector);
  cmd->add_option("--csv", o->csv, "append path,score,status,label,faces,error per file; a rerun skips files in it");
  cmd->add_option("--jsonl", o->jsonl, "append the whole verdict per file as a JSON line");
  cmd->add_option("--explain", o->explain_dir, "write Grad-CAM overlays of the deciding faces into this directory");
  cmd->callback([o] { run_scan(*o); });
}

}  // namespace dfd::cli
