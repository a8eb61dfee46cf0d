// The verdict CSV: its row, and resuming from what a previous (perhaps killed) run wrote.
#include "dfd/verdict_csv.hpp"

#include <filesystem>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "dfd/utf8.hpp"
#include "core/atomic_file.hpp"

namespace dfd {
namespace {

bool is_failure(const std::string& status) { return status != "ok" && status != "no_face"; }

std::string score_text(float p) { return fmt::format("{:.9g}", p); }

// The header before audio_status and rotation (2026-12-07): such a file is rewritten in today's
// layout when opened, its new columns empty, so a run started before still resumes.
const CsvRecord& earlier_header() {
  static const CsvRecord header = {"path",  "status",     "p_fake", "label",    "video_p_fake", "audio_p_fake",
                                   "faces", "identities", "error",  "total_ms", "truth"};
  return header;
}

// A row of `from`'s layout in today's, by column name; columns `from` lacks are empty.
CsvRecord in_current_layout(const CsvRecord& row, const CsvRecord& from) {
  CsvRecord out(verdict_csv_header().size());
  for (size_t c = 0; c < from.size(); ++c) out[verdict_csv_column(from[c])] = row[c];
  return out;
}

}  // namespace

const CsvRecord& verdict_csv_header() {
  static const CsvRecord header = {"path",       "status",   "p_fake", "label", "video_p_fake", "audio_p_fake", "audio_status",
                                   "faces",      "identities", "rotation", "error", "total_ms",   "truth"};
  return header;
}

size_t verdict_csv_column(const std::string& name) {
  const CsvRecord& h = verdict_csv_header();
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i] == name) return i;
  }
  throw InvalidArgument("column", fmt::format("no verdict CSV column '{}' (columns: {})", name, fmt::join(h, ",")));
}

CsvRecord verdict_csv_row(const Verdict& v, const std::string& truth) {
  const bool scored = v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace;
  const std::string label = !scored ? "" : v.status == Verdict::Status::NoFace ? "unknown" : v.is_fake ? "fake" : "real";
  return {utf8_escaped(v.path),
          to_string(v.status),
          scored ? score_text(v.p_fake) : "",
          label,
          v.video_p_fake ? score_text(*v.video_p_fake) : "",
          v.audio_p_fake ? score_text(*v.audio_p_fake) : "",
          v.audio_status,
          std::to_string(v.faces.size()),
          std::to_string(v.identities.size()),
          scored ? std::to_string(v.rotation) : "",
          utf8_escaped(v.error),
          fmt::format("{:.3f}", v.timings.total_ms),
          truth};
}

Verdict verdict_from_csv_row(const CsvRecord& row, const std::string& source) {
  if (row.size() != verdict_csv_header().size()) {
    throw DecodeError(source, fmt::format("a verdict row has {} fields, not {}", row.size(), verdict_csv_header().size()));
  }
  const auto number = [&](const std::string& column) -> std::optional<float> {
    const std::string& text = row[verdict_csv_column(column)];
    if (text.empty()) return std::nullopt;
    try {
      size_t used = 0;
      const float v = std::stof(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw DecodeError(source, fmt::format("{} of '{}' is not a number: '{}'", column, utf8_escaped(row[0]), utf8_escaped(text)));
  };
  Verdict v;
  v.path = row[0];
  try {
    v.status = verdict_status(row[verdict_csv_column("status")]);
  } catch (const InvalidArgument& e) {
    throw DecodeError(source, fmt::format("'{}': {}", utf8_escaped(row[0]), e.cause()));
  }
  v.error = row[verdict_csv_column("error")];
  v.p_fake = number("p_fake").value_or(std::numeric_limits<float>::quiet_NaN());
  v.is_fake = row[verdict_csv_column("label")] == "fake";
  v.video_p_fake = number("video_p_fake");
  v.audio_p_fake = number("audio_p_fake");
  v.audio_status = row[verdict_csv_column("audio_status")];
  v.rotation = static_cast<int>(number("rotation").value_or(0.0f));
  v.timings.total_ms = number("total_ms").value_or(0.0f);
  return v;
}

VerdictCsvWriter::VerdictCsvWriter(const std::string& path, bool retry_failed) : path_(path) {
  const CsvRecord& header = verdict_csv_header();
  std::error_code ec;
  bool fresh = !std::filesystem::exists(path, ec);
  if (!fresh) {
    CsvText text;
    repair_csv_tail(path, &text);  // one read: the cut and what remains
    fresh = text.records.empty();
    const bool earlier = !fresh && text.records[0] == earlier_header();
    if (!fresh && text.records[0] != header && !earlier) {
      throw DecodeError(path, fmt::format("is not a verdict CSV (its header is '{}', not '{}'): refusing to append to it",
                                          utf8_escaped(fmt::format("{}", fmt::join(text.records[0], ","))),
                                          fmt::join(header, ",")));
    }
    bool dropped = false;
    const size_t status = verdict_csv_column("status");
    const CsvRecord& layout = earlier ? earlier_header() : header;
    for (size_t r = 1; r < text.records.size(); ++r) {
      if (text.records[r].size() != layout.size() || text.records[r][0].empty()) continue;
      const CsvRecord row = earlier ? in_current_layout(text.records[r], layout) : text.records[r];
      if (retry_failed && is_failure(row[status])) {
        dropped = true;
        continue;
      }
      if (by_path_.count(row[0])) continue;  // the first row of a path decides
      by_path_[row[0]] = previous_.size();
      previous_.push_back(row);
    }
    if (dropped || earlier) {
      std::string kept = csv_line(header);
      for (const CsvRecord& row : previous_) kept += csv_line(row);
      write_file_atomically(path, kept);  // a kill during the rewrite leaves the old file whole
    }
  }
  out_.open(path, std::ios::app | std::ios::binary);
  if (!out_) throw IoError(path, "cannot write the CSV");
  if (fresh && !(out_ << csv_line(header) << std::flush)) throw IoError(path, "cannot write the CSV");
}

bool VerdictCsvWriter::contains(const std::string& path) const { return previous_row(path) != nullptr; }

const CsvRecord* VerdictCsvWriter::previous_row(const std::string& path) const {
  const auto it = by_path_.find(utf8_escaped(path));
  return it == by_path_.end() ? nullptr : &previous_[it->second];
}

void VerdictCsvWriter::append(const Verdict& verdict, const std::string& truth) { append_row(verdict_csv_row(verdict, truth)); }

void VerdictCsvWriter::append_row(const CsvRecord& row) {
  if (row.size() != verdict_csv_header().size()) {
    throw InvalidArgument("row", fmt::format("{} fields, a verdict row has {}", row.size(), verdict_csv_header().size()));
  }
  if (!(out_ << csv_line(row) << std::flush)) throw IoError(path_, "cannot append to the CSV");
}

}  // namespace dfd
