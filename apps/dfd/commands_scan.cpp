// dfd scan PATH...: the main job — a verdict per video or image.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dfd/detector.hpp"

namespace dfd::cli {
namespace {

struct ScanOptions {
  std::vector<std::string> paths;
  DetectorOptions detector;
  std::string csv, jsonl;
};


// The paths a previous run already wrote to `csv` (its first column), so a rerun skips them.
std::set<std::string> done_in(const std::string& csv) {
  std::set<std::string> done;
  std::ifstream in(csv);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) { header = false; continue; }
    if (line.empty()) continue;
    std::string path;
    if (line[0] == '"') {
      for (size_t i = 1; i < line.size(); ++i) {
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') { path += '"'; ++i; }
        else if (line[i] == '"') break;
        else path += line[i];
      }
    } else {
      path = line.substr(0, line.find(','));
    }
    done.insert(path);
  }
  return done;
}

nlohmann::ordered_json to_json(const Verdict& v) {
  nlohmann::ordered_json j = {{"path", v.path}, {"status", to_string(v.status)}};
  if (!v.error.empty()) j["error"] = v.error;
  if (v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace) {
    j["p_fake"] = v.p_fake;
    j["label"] = v.status == Verdict::Status::Ok ? (v.is_fake ? "fake" : "real") : "unknown";
  }
  j["frames_sampled"] = v.frames_sampled;
  j["model_scores"] = v.model_scores;
  nlohmann::ordered_json ids = nlohmann::ordered_json::array();
  for (const auto& id : v.identities) ids.push_back({{"track_id", id.track_id}, {"faces", id.faces}, {"p_fake", id.p_fake}});
  j["identities"] = ids;
  nlohmann::ordered_json faces = nlohmann::ordered_json::array();
  for (const auto& f : v.faces) {
    faces.push_back({{"frame_index", f.frame_index}, {"track_id", f.track_id},
                     {"box", {f.box.x1, f.box.y1, f.box.x2, f.box.y2}}, {"p_fake", f.p_fake},
                     {"model_scores", f.model_scores}});
  }
  j["faces"] = faces;
  j["timings_ms"] = {{"decode_and_detect", v.timings.decode_and_detect_ms}, {"classify", v.timings.classify_ms},
                     {"total", v.timings.total_ms}};
  return j;
}

void run_scan(const ScanOptions& o) {
  Detector detector(detector_params(o.detector));

  const std::set<std::string> done = o.csv.empty() ? std::set<std::string>{} : done_in(o.csv);
  std::ofstream csv, jsonl;
  if (!o.csv.empty()) {
    const bool fresh = done.empty() && !std::ifstream(o.csv).good();
    csv.open(o.csv, std::ios::app);
    if (!csv) throw IoError(o.csv, "cannot write the CSV");
    if (fresh) csv << "path,score,status,label,faces,error\n" << std::flush;
  }
  if (!o.jsonl.empty()) {
    jsonl.open(o.jsonl, std::ios::app);
    if (!jsonl) throw IoError(o.jsonl, "cannot write the JSONL file");
  }
  const bool progress = isatty(fileno(stderr));
  bool failed = false;
  size_t index = 0;
  for (const std::string& path : o.paths) {
    ++index;
    if (done.count(path)) continue;  // a rerun: computed before
    if (progress) std::fprintf(stderr, "\r[%zu/%zu] %s\033[K", index, o.paths.size(), path.c_str());
    const Verdict v = detector.scan(path);
    const bool ok = v.status == Verdict::Status::Ok;
    failed = failed || !(ok || v.status == Verdict::Status::NoFace);
    const std::string label = ok ? (v.is_fake ? "FAKE" : "real") : to_string(v.status);
    std::cout << fmt::format("{}\t{}\t{:.4f}\t{} faces\t{}", path, label, v.p_fake, v.faces.size(), v.timings.to_string())
              << (v.error.empty() ? "" : "\t" + v.error) << std::endl;
    // Each file is written as soon as it is done: a killed run loses nothing already computed.
    if (csv.is_open()) {
      csv << csv_field(path) << ',' << fmt::format("{:.9g}", v.p_fake) << ',' << to_string(v.status) << ','
          << (ok ? (v.is_fake ? "1" : "0") : "") << ',' << v.faces.size() << ',' << csv_field(v.error) << '\n'
          << std::flush;
    }
    if (jsonl.is_open()) jsonl << to_json(v).dump() << '\n' << std::flush;
  }
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (failed) throw DecodeError("dfd scan", "some files could not be scanned (see their lines)");
}

}  // namespace

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void add_detector_options(CLI::App* cmd, DetectorOptions& o) {
  cmd->add_option("--model", o.models, "arch:weights.safetensors[@preset]; repeat for an ensemble")->required();
  cmd->add_option("--weight", o.weights, "one weight per --model (default: equal)");
  cmd->add_option("--preset", o.preset, "dfdc_selimsef, dfdc_kernel or mesonet")->capture_default_str();
  cmd->add_option("--detector", o.detector, "face detector: mtcnn, blazeface, haar (default: the preset's)");
  cmd->add_option("--weights", o.detector_weights, "the face detector's converted weights");
  cmd->add_option("-n,--frames", o.frames, "frames sampled per video (default: the preset's)");
  cmd->add_option("--aggregation", o.aggregation, "mean, median, max, confident (default: the preset's)");
  cmd->add_flag("--per-identity", o.per_identity, "the file is as fake as its most fake person");
  cmd->add_option("--threshold", o.threshold, "p(fake) at or above which the label is fake")->capture_default_str();
}

DetectorParams detector_params(const DetectorOptions& o) {
  DetectorParams p = detector_preset(o.preset);
  p.models = o.models;
  p.model_weights = o.weights;
  if (!o.detector.empty()) p.face_detector = o.detector;
  p.face_weights = o.detector_weights;
  if (o.frames > 0) p.frames = o.frames;
  if (!o.aggregation.empty()) p.aggregation = aggregation(o.aggregation);
  p.threshold = o.threshold;
  p.per_identity = o.per_identity;
  return p;
}

void add_scan_commands(CLI::App& app) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand("scan", "The verdict per video or image: p(fake), faces, identities, timings");
  cmd->add_option("PATH", o->paths, "videos or images")->required();
  add_detector_options(cmd, o->detector);
  cmd->add_option("--csv", o->csv, "append path,score,status,label,faces,error per file; a rerun skips files in it");
  cmd->add_option("--jsonl", o->jsonl, "append the whole verdict per file as a JSON line");
  cmd->callback([o] { run_scan(*o); });
}

}  // namespace dfd::cli
