// dfd eval --labels CSV --model SPEC...: scan a labelled set and report the competition metrics.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dfd/csv.hpp"
#include "dfd/detector.hpp"
#include "dfd/labels.hpp"
#include "dfd/metrics.hpp"
#include "dfd/utf8.hpp"
#include "dfd/verdict_csv.hpp"
#include "progress.hpp"
#include "roc_png.hpp"

namespace dfd::cli {
namespace {

struct EvalOptions {
  std::string labels, root, scores_csv, jsonl, metrics_json, roc_png, dfdc_csv, ffdv_csv;
  DetectorOptions detector;
  bool retry_failed = false;
};

nlohmann::ordered_json metric_block(const std::vector<int>& y, const std::vector<double>& p, double threshold) {
  nlohmann::ordered_json j = {{"n", y.size()}};
  const auto positives = std::count(y.begin(), y.end(), 1);
  j["fakes"] = positives;
  if (positives == 0 || positives == static_cast<long>(y.size())) {
    j["note"] = "one class only: AUC, EER and TPR@FPR need fakes and reals";
  } else {
    j["auc"] = metrics::roc_auc(y, p);
    j["eer"] = metrics::equal_error_rate(y, p);
    j["tpr_at_fpr_1pct"] = metrics::tpr_at_fpr(y, p, 0.01);
    j["tpr_at_fpr_10pct"] = metrics::tpr_at_fpr(y, p, 0.10);
  }
  j["log_loss_dfdc"] = metrics::log_loss(y, p, metrics::kDfdcLogLossEps);
  const metrics::Confusion c = metrics::confusion(y, p, threshold);  // the label rule scan uses
  j["accuracy"] = metrics::accuracy(c);
  j["precision"] = metrics::precision(c);
  j["recall"] = metrics::recall(c);
  j["f1"] = metrics::f1(c);
  return j;
}

void run_eval(const EvalOptions& o) {
  namespace fs = std::filesystem;
  const DetectorParams params = detector_params(o.detector);
  if (print_params_requested(o.detector, params)) return;
  const LabelSource source = read_labels(o.labels, o.root);
  std::vector<std::pair<std::string, int>> labels;  // as listed: what reports and submissions show
  std::vector<std::string> listed;
  for (const LabelledFile& f : source.files) {
    labels.emplace_back(f.path, f.label);
    listed.push_back(f.path);
  }
  if (!o.dfdc_csv.empty() || !o.ffdv_csv.empty()) check_submission_names(listed, o.labels);
  Detector detector(params);

  // The scores CSV is resumed as `dfd scan --csv` is: files it holds are not scanned again.
  std::optional<VerdictCsvWriter> scores;
  if (!o.scores_csv.empty()) scores.emplace(o.scores_csv, o.retry_failed);
  std::ofstream jsonl;
  if (!o.jsonl.empty()) {
    // Resuming (--csv) appends to what the previous run wrote; a run without a CSV starts afresh.
    if (scores) repair_jsonl_tail(o.jsonl);
    jsonl.open(o.jsonl, (scores ? std::ios::app : std::ios::trunc) | std::ios::binary);
    if (!jsonl) throw IoError(o.jsonl, "cannot write the JSONL file");
  }
  std::vector<Verdict> verdicts(labels.size());
  std::vector<std::string> pending;
  std::vector<size_t> pending_label;  // index into labels
  size_t resumed = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& path = source.files[i].file;
    if (const CsvRecord* row = scores ? scores->previous_row(path) : nullptr) {
      verdicts[i] = verdict_from_csv_row(*row, o.scores_csv);
      ++resumed;
    } else {
      pending.push_back(path);
      pending_label.push_back(i);
    }
  }
  // Streamed as each file finishes (any order); the metrics below follow the labels' order.
  Progress progress(pending.size());
  ScanManyParams many;
  many.workers = o.detector.workers;
  detector.scan_many(pending, [&](size_t k, Verdict&& v) {
    const size_t i = pending_label[k];
    const auto& [relative, label] = labels[i];
    const bool scored = v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace;
    const std::string shown = utf8_escaped(relative);
    if (scores) scores->append(v, std::to_string(label));
    if (jsonl.is_open()) jsonl << to_json(v) << '\n' << std::flush;
    progress.clear();
    std::cerr << fmt::format("{}\t{}\t{}\n", shown, to_string(v.status), scored ? fmt::format("{:.4f}", v.p_fake) : "-");
    progress.step(shown);
    verdicts[i] = std::move(v);
  }, many);

  std::vector<int> video_y, frame_y;
  std::vector<double> video_p, frame_p;
  std::vector<std::optional<double>> submitted(labels.size());  // p(fake) of each scored file
  std::vector<std::string> failed;
  std::map<std::string, int> statuses;
  for (size_t i = 0; i < labels.size(); ++i) {
    const Verdict& v = verdicts[i];
    const auto& [relative, label] = labels[i];
    statuses[to_string(v.status)]++;
    const bool scored = v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace;
    if (scored) submitted[i] = v.p_fake;
    if (!scored) {
      failed.push_back(utf8_escaped(relative));
      continue;  // the metrics count scanned files only (a no_face file with its prior)
    }
    video_y.push_back(label);
    video_p.push_back(v.p_fake);
    for (const FaceScore& f : v.faces) {
      frame_y.push_back(label);
      frame_p.push_back(f.p_fake);
    }
  }
  nlohmann::ordered_json report = {{"labels", utf8_escaped(o.labels)}, {"files", labels.size()}, {"statuses", statuses}};
  if (resumed > 0) {
    report["resumed"] = resumed;
    report["resumed_note"] = fmt::format("{} files' scores were read from {} (a previous run); the frame-level metrics "
                                         "cover only the files scanned in this run", resumed, utf8_escaped(o.scores_csv));
  }
  if (!failed.empty()) {
    report["failed"] = failed;
    report["failed_note"] = fmt::format("not in the metrics; in a submission with the prior p_fake {:g} (--no-face-prior)",
                                        params.no_face_prior);
  }
  if (!video_y.empty()) report["video"] = metric_block(video_y, video_p, params.threshold);
  if (!frame_y.empty()) report["frame"] = metric_block(frame_y, frame_p, params.threshold);
  const std::string report_text = report.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::cout << report_text << std::endl;
  if (!o.metrics_json.empty()) {
    std::ofstream out(o.metrics_json);
    if (!out) throw IoError(o.metrics_json, "cannot write the metrics JSON");
    out << report_text << '\n';
  }
  if (!o.roc_png.empty()) {
    std::vector<RocPlotCurve> curves;
    auto add_curve = [&](const char* name, const std::vector<int>& y, const std::vector<double>& p) {
      const auto fakes = std::count(y.begin(), y.end(), 1);
      if (fakes == 0 || fakes == static_cast<long>(y.size())) return;
      curves.push_back({fmt::format("{} (AUC {:.3f})", name, metrics::roc_auc(y, p)), metrics::roc_curve(y, p)});
    };
    add_curve("video", video_y, video_p);
    add_curve("frame", frame_y, frame_p);
    if (curves.empty()) throw InvalidArgument("--roc", "a ROC curve needs fakes and reals among the scored files");
    write_roc_png(o.roc_png, curves);
  }
  // One row per input, always: a file that could not be scanned gets the prior (--no-face-prior),
  // as a competition's scorer needs a number for every file.
  write_submissions("dfd eval", o.dfdc_csv, o.ffdv_csv, listed, submitted, params.no_face_prior);
}

}  // namespace

void check_submission_names(const std::vector<std::string>& inputs, const std::string& source) {
  std::map<std::string, std::vector<std::string>> by_name;
  for (const std::string& path : inputs) by_name[std::filesystem::path(path).filename().string()].push_back(path);
  std::vector<std::string> clashes;
  for (const auto& [name, paths] : by_name) {
    if (paths.size() > 1) clashes.push_back(fmt::format("'{}' ({})", utf8_escaped(name), utf8_escaped(fmt::format("{}", fmt::join(paths, ", ")))));
  }
  if (!clashes.empty()) {
    throw InvalidArgument("--dfdc-submission/--ffdv-submission",
                          fmt::format("{}: a submission names files by their base name, and {} names are shared by "
                                      "several inputs: {}", source, clashes.size(), fmt::join(clashes, "; ")));
  }
}

void write_submissions(const std::string& command, const std::string& dfdc_csv, const std::string& ffdv_csv,
                       const std::vector<std::string>& inputs, const std::vector<std::optional<double>>& p_fake,
                       double prior) {
  if (dfdc_csv.empty() && ffdv_csv.empty()) return;
  std::vector<std::pair<std::string, double>> rows;
  std::vector<std::string> failed;
  for (size_t i = 0; i < inputs.size(); ++i) {
    rows.emplace_back(utf8_escaped(std::filesystem::path(inputs[i]).filename().string()), p_fake[i].value_or(prior));
    if (!p_fake[i]) failed.push_back(utf8_escaped(inputs[i]));
  }
  if (!failed.empty()) {
    std::cerr << fmt::format("{}: warning: {} of {} files could not be scanned; the submission gives them the prior "
                             "{:g}: {}\n", command, failed.size(), inputs.size(), prior, fmt::join(failed, ", "));
  }
  if (!dfdc_csv.empty()) metrics::write_dfdc_submission(dfdc_csv, rows);
  if (!ffdv_csv.empty()) metrics::write_ffdv_submission(ffdv_csv, rows);
}

void add_eval_commands(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Scan a labelled set (CSV path,label; 1 = fake) and report AUC, log loss, ...");
  cmd->add_option("--labels", o->labels, "labelled files: a path,label CSV, FFDV video_name,target, a DFDC metadata.json or a folder with real/ and fake/")->required();
  cmd->add_option("--root", o->root, "directory the paths are relative to (default: the label file's)");
  add_detector_options(cmd, o->detector);
  cmd->add_option("--csv", o->scores_csv, fmt::format("per-file rows ({}; truth is the label); a rerun takes the files "
                  "it holds from it instead of scanning them again (their frame-level scores are not in it)",
                  fmt::join(verdict_csv_header(), ",")));
  cmd->add_flag("--retry-failed", o->retry_failed, "on a rerun, scan the files whose rows say they failed again");
  cmd->add_option("--jsonl", o->jsonl, "the whole verdict per file as a JSON line (appended to when --csv resumes a run, else rewritten)");
  cmd->add_option("--json", o->metrics_json, "the metrics report (also printed)");
  cmd->add_option("--roc", o->roc_png, "the ROC curves (video and frame level) as a PNG");
  cmd->add_option("--dfdc-submission", o->dfdc_csv, "filename,label CSV: one row per input, a file that could not be "
                  "scanned with the --no-face-prior (listed on stderr); base names must be unique");
  cmd->add_option("--ffdv-submission", o->ffdv_csv, "video_name,score CSV (the same rules)");
  cmd->callback([o] { run_eval(*o); });
}

}  // namespace dfd::cli
