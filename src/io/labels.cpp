#include "dfd/labels.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/csv.hpp"
#include "dfd/utf8.hpp"
#include "core/input_file.hpp"

namespace fs = std::filesystem;

namespace dfd {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string joined(const std::string& root, const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() || root.empty() ? path : (fs::path(root) / p).string();
}

// 0/1 or REAL/FAKE (any case); -1 for anything else.
int parse_label(const std::string& text) {
  const std::string t = lower(text);
  if (t == "0" || t == "real") return 0;
  if (t == "1" || t == "fake") return 1;
  return -1;
}

LabelSource read_csv_labels(const std::string& path, const std::string& root) {
  CsvText csv = read_csv_file(path);
  if (csv.cut_short) {
    if (csv.partial_open_quote) throw DecodeError(path, fmt::format("line {}: a quoted field is never closed", csv.partial_line));
    csv.records.push_back(std::move(csv.partial));  // a last line without its line end
    csv.lines.push_back(csv.partial_line);
  }
  if (csv.records.empty()) throw DecodeError(path, "the labels file is empty");
  const CsvRecord& header = csv.records[0];
  const auto find = [&](const char* name) -> std::ptrdiff_t {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : it - header.begin();
  };
  LabelSource out;
  std::ptrdiff_t path_col = find("path"), label_col = find("label"), group_col = -1;
  if (path_col >= 0 && label_col >= 0) {
    out.kind = LabelSource::Kind::Csv;
    for (const char* name : {"group", "identity", "original"}) {
      if (group_col < 0) group_col = find(name);
    }
  } else if (find("video_name") >= 0 && find("target") >= 0) {
    out.kind = LabelSource::Kind::Ffdv;
    path_col = find("video_name");
    label_col = find("target");
  } else {
    throw DecodeError(path, fmt::format("the header '{}' is neither path,label[,group] nor FFDV's video_name,target",
                                        utf8_escaped(csv_line(header).substr(0, 200))));
  }
  out.root = root.empty() ? fs::path(path).parent_path().string() : root;
  for (size_t r = 1; r < csv.records.size(); ++r) {
    const CsvRecord& fields = csv.records[r];
    const size_t need = static_cast<size_t>(std::max({path_col, label_col, group_col}));
    if (fields.size() <= need) throw DecodeError(path, fmt::format("line {}: too few fields", csv.lines[r]));
    const std::string& label_text = fields[static_cast<size_t>(label_col)];
    const int label = parse_label(label_text);
    if (label < 0) {
      throw DecodeError(path, fmt::format("line {}: label '{}' is not 0, 1, REAL or FAKE", csv.lines[r], utf8_escaped(label_text)));
    }
    LabelledFile f;
    f.path = fields[static_cast<size_t>(path_col)];
    if (f.path.empty()) throw DecodeError(path, fmt::format("line {}: the path is empty", csv.lines[r]));
    f.file = joined(out.root, f.path);
    f.label = label;
    f.group = group_col >= 0 ? fields[static_cast<size_t>(group_col)] : std::string();
    if (f.group.empty()) f.group = f.path;
    out.files.push_back(std::move(f));
  }
  return out;
}

LabelSource read_dfdc_metadata(const std::string& path, const std::string& root) {
  const std::string text = read_input_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw DecodeError(path, fmt::format("not valid JSON: {}", e.what()));
  }
  if (!j.is_object()) throw DecodeError(path, "a DFDC metadata.json is an object {\"file.mp4\": {\"label\": ...}}");
  LabelSource out;
  out.kind = LabelSource::Kind::DfdcMetadata;
  out.root = root.empty() ? fs::path(path).parent_path().string() : root;
  for (const auto& [name, entry] : j.items()) {
    const auto label_it = entry.is_object() ? entry.find("label") : entry.end();
    const int label = label_it != entry.end() && label_it->is_string() ? parse_label(label_it->get<std::string>()) : -1;
    if (label < 0) throw DecodeError(path, fmt::format("'{}': no label REAL or FAKE", utf8_escaped(name)));
    LabelledFile f;
    f.path = name;
    f.file = joined(out.root, name);
    f.label = label;
    // A fake belongs with the real video it was made from: the same people, the same scene.
    const auto original = entry.find("original");
    f.group = label == 1 && original != entry.end() && original->is_string() ? original->get<std::string>() : name;
    out.files.push_back(std::move(f));
  }
  return out;
}

LabelSource read_folders(const std::string& dir, const std::string& root) {
  LabelSource out;
  out.kind = LabelSource::Kind::Folders;
  out.root = root.empty() ? dir : root;
  for (const auto& [name, label] : {std::pair{"real", 0}, std::pair{"fake", 1}}) {
    std::vector<std::string> found;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(fs::path(dir) / name, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file() && is_media_path(it->path().string())) {
        found.push_back(it->path().lexically_relative(out.root).string());
      }
    }
    if (ec) throw IoError((fs::path(dir) / name).string(), "cannot be listed: " + ec.message());
    std::sort(found.begin(), found.end());
    for (std::string& p : found) {
      LabelledFile f;
      f.file = joined(out.root, p);
      f.path = std::move(p);
      f.label = label;
      f.group = f.path;
      out.files.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace

bool is_media_path(const std::string& path) {
  static const std::set<std::string> extensions = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
                                                   ".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg",
                                                   ".mpeg", ".flv", ".wmv", ".ts"};
  return extensions.count(lower(fs::path(path).extension().string())) > 0;
}

LabelSource read_labels(const std::string& source, const std::string& root) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) {
    if (fs::is_directory(fs::path(source) / "real", ec) || fs::is_directory(fs::path(source) / "fake", ec)) {
      return read_folders(source, root);
    }
    if (fs::is_regular_file(fs::path(source) / "metadata.json", ec)) {
      return read_dfdc_metadata((fs::path(source) / "metadata.json").string(), root);
    }
    throw DecodeError(source, "a folder of labelled files holds real/ and fake/ subfolders (or a DFDC metadata.json)");
  }
  if (lower(fs::path(source).extension().string()) == ".json") return read_dfdc_metadata(source, root);
  return read_csv_labels(source, root);
}

}  // namespace dfd
