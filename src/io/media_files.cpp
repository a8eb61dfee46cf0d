// Listing a directory's media files by name: the batch entry point of `dfd scan DIR`.
#include "dfd/media_files.hpp"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <string_view>
#include <system_error>

namespace dfd {
namespace {

namespace fs = std::filesystem;

// What FFmpeg and OpenCV decode here, by the names such files carry; a file of another name in a
// scanned directory (metadata.json, labels.csv, a thumbnail cache) is not media and not an error.
constexpr std::string_view kMediaExtensions[] = {
    // video
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "wmv", "flv", "3gp", "3g2", "mpg", "mpeg", "ts", "mts", "m2ts",
    "vob", "ogv", "mxf", "dv", "gif", "h264", "hevc",
    // image
    "jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "jp2", "avif",
    // audio
    "wav", "mp3", "flac", "m4a", "aac", "ogg", "oga", "opus", "wma", "aif", "aiff", "amr", "mka"};

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

}  // namespace

bool has_media_extension(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext.size() < 2) return false;
  std::string lower = ext.substr(1);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c); });
  return std::find(std::begin(kMediaExtensions), std::end(kMediaExtensions), lower) != std::end(kMediaExtensions);
}

std::vector<std::string> list_media_files(const std::string& directory, bool recursive) {
  std::error_code ec;
  const fs::file_status status = fs::status(directory, ec);
  if (ec || !fs::exists(status)) throw IoError(directory, "no such directory");
  if (!fs::is_directory(status)) throw IoError(directory, "is not a directory");

  std::vector<std::string> files;
  const auto consider = [&](const fs::directory_entry& entry) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && has_media_extension(entry.path().string())) files.push_back(entry.path().string());
  };
  if (recursive) {
    fs::recursive_directory_iterator it(directory, ec), end;
    if (ec) throw IoError(directory, "cannot read the directory: " + ec.message());
    while (it != end) {
      const fs::path current = it->path();
      if (hidden(current)) {
        it.disable_recursion_pending();  // nothing under a hidden directory
      } else {
        consider(*it);
      }
      it.increment(ec);
      if (ec) {  // descending into `current` failed, or reading on in its directory did
        std::error_code dir_ec;
        const std::string where = fs::is_directory(current, dir_ec) ? current.string() : current.parent_path().string();
        throw IoError(where, "cannot read the directory: " + ec.message());
      }
    }
  } else {
    fs::directory_iterator it(directory, ec), end;
    if (ec) throw IoError(directory, "cannot read the directory: " + ec.message());
    while (it != end) {
      if (!hidden(it->path())) consider(*it);
      it.increment(ec);
      if (ec) throw IoError(directory, "cannot read the directory: " + ec.message());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace dfd
