#include "prepare_ledger.hpp"

#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dfd/csv.hpp"
#include "core/atomic_file.hpp"
#include "core/input_file.hpp"

namespace fs = std::filesystem;

namespace dfd::detail {

bool index_has_header(const std::string& dir, const CsvRecord& header) {
  try {
    const CsvText csv = read_csv_file((fs::path(dir) / "index.csv").string());
    return !csv.records.empty() && csv.records[0] == header;
  } catch (const Error&) {
    return false;
  }
}

std::string source_key(const std::string& path) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : path) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

LedgerResult run_prepare_ledger(const std::vector<LabelledFile>& files, const std::string& dir_text,
                                const nlohmann::ordered_json& settings, const LedgerColumns& columns, int workers,
                                bool retry_failed, const std::function<void(const PrepareProgress&)>& on_progress,
                                const std::function<PrepareOne()>& make_worker) {
  if (workers < 1) throw InvalidArgument("workers", fmt::format("must be >= 1, got {}", workers));
  const fs::path dir(dir_text);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir_text, "cannot be created: " + ec.message());

  const fs::path settings_path = dir / "prepare.json";
  if (fs::exists(settings_path)) {
    nlohmann::ordered_json before;
    try {
      before = nlohmann::ordered_json::parse(read_input_file(settings_path.string()));
    } catch (const nlohmann::json::exception& e) {
      throw DecodeError(settings_path.string(), e.what());
    }
    if (before != settings) {
      throw InvalidArgument("prepare", fmt::format("{} was prepared with {}, not {}: use another folder",
                                                   dir_text, before.dump(), settings.dump()));
    }
  } else {
    write_file_atomically(settings_path.string(), settings.dump(2) + "\n");
  }

  // The ledger: the last row of an input says how it ended.
  const CsvRecord header = {"path", "label", "group", "status", columns.amount, columns.items, "error"};
  const std::string ledger_path = (dir / "sources.csv").string();
  std::map<std::string, std::string> status_of;  // path -> how its last row ended
  if (fs::exists(ledger_path)) {
    CsvText ledger;
    repair_csv_tail(ledger_path, &ledger);  // a row cut off by a kill: that input is redone
    if (ledger.records.empty() || ledger.records[0] != header) {
      throw DecodeError(ledger_path, fmt::format("not a prepare ledger (header {})", csv_line(header)));
    }
    for (size_t r = 1; r < ledger.records.size(); ++r) {
      if (ledger.records[r].size() != header.size()) {
        throw DecodeError(ledger_path, fmt::format("line {}: {} fields", ledger.lines[r], ledger.records[r].size()));
      }
      status_of[ledger.records[r][0]] = ledger.records[r][3];
    }
  } else {
    write_file_atomically(ledger_path, csv_line(header));
  }

  // Each input once (a path listed twice is prepared once), in the label source's order.
  std::vector<const LabelledFile*> inputs, pending;
  std::set<std::string> seen;
  for (const LabelledFile& f : files) {
    if (seen.insert(f.path).second) inputs.push_back(&f);
  }
  LedgerResult result;
  result.files = inputs.size();
  for (const LabelledFile* f : inputs) {
    const auto it = status_of.find(f->path);
    if (it != status_of.end() && !(retry_failed && it->second == "error")) {
      ++result.done_before;
    } else {
      pending.push_back(f);
    }
  }

  std::vector<PrepareOne> prepare(std::min<size_t>(size_t(workers), std::max<size_t>(pending.size(), 1)));
  for (PrepareOne& p : prepare) p = make_worker();

  std::ofstream ledger(ledger_path, std::ios::binary | std::ios::app);
  if (!ledger) throw IoError(ledger_path, "cannot be appended to");
  std::mutex mutex;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  size_t done = result.done_before;
  const auto work = [&](const PrepareOne& prepare_one) {
    for (size_t i; !stop && (i = next++) < pending.size();) {
      const LabelledFile& f = *pending[i];
      try {
        const PrepareOutcome o = prepare_one(f);
        std::lock_guard<std::mutex> lock(mutex);
        // The row is the commit: an input is finished once it is on disk, and only then.
        ledger << csv_line({f.path, std::to_string(f.label), f.group, o.status, std::to_string(o.amount),
                            std::to_string(o.items), o.error});
        ledger.flush();
        if (!ledger) throw IoError(ledger_path, "cannot be appended to");
        (o.status == "error" ? result.failed : result.prepared) += 1;
        status_of[f.path] = o.status;
        if (on_progress) on_progress({++done, inputs.size(), f.path, o.status, o.error});
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < prepare.size(); ++k) threads.emplace_back(work, std::cref(prepare[k]));
  work(prepare[0]);
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);

  for (const LabelledFile* f : inputs) {
    const auto it = status_of.find(f->path);
    if (it != status_of.end() && it->second == "ok") result.finished.push_back(f);
  }
  return result;
}

}  // namespace dfd::detail
