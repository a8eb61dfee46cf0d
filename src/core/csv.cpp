#include "dfd/csv.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "core/input_file.hpp"

namespace dfd {

std::string csv_field(std::string_view text) {
  // A leading byte-order mark is quoted too: unquoted at the start of a file, readers drop it.
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.back() == ' ')) ||
                     text.substr(0, 3) == "\xEF\xBB\xBF";
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string csv_line(const CsvRecord& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  return out + '\n';
}

CsvText parse_csv(std::string_view text) {
  CsvText out;
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  out.complete_bytes = i;
  size_t line = 1, record_line = 1;
  CsvRecord record;
  std::string field;
  bool in_quotes = false, field_started = false;
  const auto end_record = [&](size_t next) {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
    // An empty line is no record (Python's csv.reader skips it too).
    if (!(record.size() == 1 && record[0].empty())) {
      out.records.push_back(std::move(record));
      out.lines.push_back(record_line);
    }
    record.clear();
    out.complete_bytes = next;
    record_line = line;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        in_quotes = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      ++i;
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = field_started = true;
      ++i;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      field_started = false;
      ++i;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      i += c == '\r' ? 2 : 1;
      ++line;
      end_record(i);
    } else {
      // A stray quote or CR inside an unquoted field is kept as text (as Python's csv does).
      field += c;
      field_started = true;
      ++i;
    }
  }
  out.cut_short = out.complete_bytes < text.size();
  if (out.cut_short) {
    record.push_back(std::move(field));
    out.partial = std::move(record);
    out.partial_open_quote = in_quotes;
    out.partial_line = record_line;
  }
  return out;
}

CsvText read_csv_file(const std::string& path) {
  return parse_csv(read_input_file(path));
}

size_t repair_csv_tail(const std::string& path, CsvText* remaining) {
  CsvText csv = read_csv_file(path);
  size_t removed = 0;
  if (csv.cut_short) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) std::filesystem::resize_file(path, csv.complete_bytes, ec);
    if (ec) throw IoError(path, "cannot cut off the partial last row: " + ec.message());
    removed = static_cast<size_t>(size - csv.complete_bytes);
    csv.cut_short = false;
    csv.partial.clear();
    csv.partial_open_quote = false;
    csv.partial_line = 0;
  }
  if (remaining) *remaining = std::move(csv);
  return removed;
}

}  // namespace dfd
