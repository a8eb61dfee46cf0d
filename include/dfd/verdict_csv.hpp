// dfd/verdict_csv.hpp — the one CSV layout of verdicts, and the one rule by which a run resumes
// from it: `dfd scan --csv`, `dfd eval --scores` and Python's Detector.scan_many(csv_path=) all
// write and read it through this.
//
// One row per file, the JSON line's main fields (dfd::to_json), in this order:
//   path          as given, bytes that are not UTF-8 as \xNN (dfd/utf8.hpp)
//   status        ok, no_face, io_error, ... (to_string(Verdict::Status))
//   p_fake        the score, "%.9g"; empty for a failed file (it has none: never a 0 read as "real")
//   label         fake, real, unknown (no_face); empty for a failed file
//   video_p_fake, audio_p_fake   the branches' scores; empty when absent
//   audio_status  the audio branch's: ok, no_audio_stream, noisy, ... ("" without one; Verdict::audio_status)
//   faces, identities            counts
//   rotation      degrees the frames were turned to stand faces upright (0 as decoded); empty when failed
//   error         the cause, for a failed file
//   total_ms      the scan's wall time
//   truth         the file's known label (1 fake, 0 real) when the run had one (dfd eval); else empty
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/csv.hpp"
#include "dfd/detector.hpp"


DFD_BEGIN_API
namespace dfd {

// The header row, and a column's index in it. throws: InvalidArgument for an unknown column.
const CsvRecord& verdict_csv_header();
size_t verdict_csv_column(const std::string& name);

// One verdict as a row. `truth`: "1", "0" or "".
CsvRecord verdict_csv_row(const Verdict& verdict, const std::string& truth = "");

// What a row holds, back as a Verdict: path (as written), status, error, p_fake (NaN when
// failed), is_fake, video_p_fake, audio_p_fake, audio_status, rotation, timings.total_ms. The faces and identities are
// counts in the row, so the Verdict's lists stay empty.
// throws: DecodeError naming `source` (a row of another length, an unknown status, a bad number).
Verdict verdict_from_csv_row(const CsvRecord& row, const std::string& source);

// A verdict CSV that a run appends to, resuming what a previous run wrote.
//
// Opening it reads the rows already there: a last row cut short by a killed run is cut off the
// file (its file is scanned again, its new row starts on its own line); with retry_failed the rows
// of files that failed (status neither ok nor no_face) are removed — the file rewritten beside
// itself and renamed over it, so a kill leaves the old file whole — and those files scanned again.
// A file written with another header is refused rather than appended to — except the layout
// before audio_status and rotation (2026-12-07), which is rewritten in this one first (the same
// way: beside itself, then renamed over it), those columns empty in its rows.
class VerdictCsvWriter {
 public:
  // throws: DecodeError (not a verdict CSV: its header is named), IoError (cannot read, write or
  //         replace it).
  explicit VerdictCsvWriter(const std::string& path, bool retry_failed = false);

  // The complete rows a previous run wrote (after retry_failed's removal), in file order.
  const std::vector<CsvRecord>& previous_rows() const { return previous_; }
  // Whether a previous run wrote a row for `path` (compared as written: utf8_escaped).
  bool contains(const std::string& path) const;
  // That row, or nullptr.
  const CsvRecord* previous_row(const std::string& path) const;

  // Appends the verdict's row and flushes it, so a killed run loses only the files in flight.
  // throws: IoError.
  void append(const Verdict& verdict, const std::string& truth = "");
  // The same with a row made elsewhere (verdict_csv_row, e.g. in another process or on another
  // machine: dfd.dask). throws: InvalidArgument (not a verdict row's length), IoError.
  void append_row(const CsvRecord& row);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<CsvRecord> previous_;
  std::map<std::string, size_t> by_path_;
  std::ofstream out_;
};

}  // namespace dfd
DFD_END_API
