// Private: what every `dfd prepare` shares, whatever it extracts from an input (face crops, a
// clip's audio): the settings a dataset folder was made with, the ledger (sources.csv) a killed
// run resumes from, and the workers that prepare the pending inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/csv.hpp"
#include "dfd/face_dataset.hpp"
#include "dfd/labels.hpp"

namespace dfd::detail {

// How one input ended, as its ledger row records it.
struct PrepareOutcome {
  std::string status = "ok";  // ok, no_face / no_audio (nothing extracted) or error
  std::string error;          // why, for an error
  int64_t amount = 0;         // what was read: frames sampled, seconds of audio
  size_t items = 0;           // what was extracted: faces, clips
};

// Prepares one input into the dataset folder; an input's own failure is an outcome with status
// "error", an exception only for what stops the run (the folder cannot be written).
using PrepareOne = std::function<PrepareOutcome(const LabelledFile&)>;

struct LedgerColumns {
  const char* amount;  // "frames", "seconds"
  const char* items;   // "faces", "clips"
};

struct LedgerResult {
  size_t files = 0, done_before = 0, prepared = 0, failed = 0;
  std::vector<const LabelledFile*> finished;  // inputs whose last row is "ok", in the list's order
};

// Checks dir/prepare.json against `settings` (writing it when new), reads the ledger, prepares
// each distinct pending input on `workers` threads (make_worker is called once per thread, before
// any input, so a missing model fails at once) and appends its row once it is on disk.
// throws: InvalidArgument (workers < 1, other settings), DecodeError (a malformed ledger or
// settings file), IoError (cannot write `dir`), whatever make_worker or on_progress throw.
LedgerResult run_prepare_ledger(const std::vector<LabelledFile>& files, const std::string& dir,
                                const nlohmann::ordered_json& settings, const LedgerColumns& columns, int workers,
                                bool retry_failed, const std::function<void(const PrepareProgress&)>& on_progress,
                                const std::function<PrepareOne()>& make_worker);

// The rows of a dataset's index (`what`: "face", "audio"), its header checked and each record
// parsed by parse(record, file, line). throws: IoError, DecodeError naming the file (and line).
template <class Row, class Parse>
std::vector<Row> read_index(const std::string& file, const CsvRecord& header, const char* what, Parse parse) {
  CsvText csv = read_csv_file(file);
  if (csv.cut_short || csv.records.empty() || csv.records[0] != header) {
    throw DecodeError(file, fmt::format("not {} {} index (header {})", what[0] == 'a' ? "an" : "a", what, csv_line(header)));
  }
  std::vector<Row> out;
  for (size_t r = 1; r < csv.records.size(); ++r) out.push_back(parse(csv.records[r], file, csv.lines[r]));
  return out;
}

// True when dir/index.csv starts with `header` (a dataset of that kind); false for anything else.
bool index_has_header(const std::string& dir, const CsvRecord& header);

// A stable folder or file name for an input: FNV-1a of its path as listed, 16 hex digits.
std::string source_key(const std::string& path);

}  // namespace dfd::detail
