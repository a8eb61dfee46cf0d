#include "core/atomic_file.hpp"

#include <filesystem>
#include <fstream>

#include "dfd/error.hpp"

namespace dfd {

void write_file_atomically(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.write(text.data(), static_cast<std::streamsize>(text.size())) || !out.flush()) {
      throw IoError(tmp, "cannot be written");
    }
  }
  replace_file(tmp, path);
}

void replace_file(const std::string& written, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(written, path, ec);
  if (ec) throw IoError(path, "cannot be replaced: " + ec.message());
}

}  // namespace dfd
