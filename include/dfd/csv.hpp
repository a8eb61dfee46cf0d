// dfd/csv.hpp — RFC 4180 CSV: the one reader and writer of every CSV libdfd reads or writes
// (labels, scan results, scores, submissions).
//
// Fields are separated by commas and records by a line end (LF or CRLF). A field in double
// quotes may hold commas, line ends and doubled quotes (""). What Python's csv module and pandas
// write, this reads; what this writes, they read. A UTF-8 byte-order mark at the start is skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

using CsvRecord = std::vector<std::string>;

// `text` as one CSV field: quoted (quotes doubled) when it holds a comma, a quote, CR or LF, or
// starts or ends with a space or starts with a UTF-8 byte-order mark; else as it is.
std::string csv_field(std::string_view text);

// The fields as one record, followed by "\n".
std::string csv_line(const CsvRecord& fields);

struct CsvText {
  std::vector<CsvRecord> records;  // every complete record, in order (empty lines skipped)
  // Bytes of the text up to the end of the last complete record's line end. A record counts as
  // complete only once its line end has been read: a file cut short by a killed writer ends in a
  // partial record, which is not in `records` and starts at byte `complete_bytes`.
  size_t complete_bytes = 0;
  bool cut_short = false;          // text follows the last complete record
  // What follows it, parsed as far as it goes, and whether a quoted field is still open there. A
  // hand-written file whose last line lacks its line end has a closed partial record: readers of
  // input files (labels) take it; resume readers of files libdfd appends to do not.
  CsvRecord partial;
  bool partial_open_quote = false;
  std::vector<size_t> lines;       // the 1-based line number each record starts on
  size_t partial_line = 0;
};

// Parses RFC 4180 text (any bytes; never throws for content).
CsvText parse_csv(std::string_view text);

// parse_csv of a file's bytes. throws: IoError (missing, not a regular file, unreadable).
CsvText read_csv_file(const std::string& path);

// Cuts a file that ends in a partial record (a writer killed mid-row) back to its last complete
// record, so rows appended next start on their own line. Returns the bytes removed.
// ensures: when `remaining` is given, it holds the file as it is after the cut (its complete
//          records; cut_short false), from the one read the repair made.
// throws: IoError.
size_t repair_csv_tail(const std::string& path, CsvText* remaining = nullptr);

}  // namespace dfd
DFD_END_API
