// libFuzzer: the RFC 4180 reader on arbitrary bytes, and the writer/reader round trip: whatever
// records the reader finds, writing them and reading them back gives the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dfd/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const dfd::CsvText parsed = dfd::parse_csv(text);
  if (parsed.complete_bytes > text.size()) std::abort();
  if (parsed.cut_short != (parsed.complete_bytes < text.size())) std::abort();
  if (parsed.lines.size() != parsed.records.size()) std::abort();
  // Round trip (a record of one empty field is an empty line, which readers skip: not written).
  std::string written;
  size_t kept = 0;
  for (const dfd::CsvRecord& r : parsed.records) {
    if (r.size() == 1 && r[0].empty()) continue;
    written += dfd::csv_line(r);
    ++kept;
  }
  const dfd::CsvText again = dfd::parse_csv(written);
  if (again.cut_short || again.records.size() != kept) std::abort();
  size_t k = 0;
  for (const dfd::CsvRecord& r : parsed.records) {
    if (r.size() == 1 && r[0].empty()) continue;
    if (again.records[k++] != r) std::abort();
  }
  return 0;
}
