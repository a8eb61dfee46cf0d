#include "dfd/model_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace dfd {

std::vector<std::string> model_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("DFD_MODELS")) {
    std::stringstream list(env);
    std::string dir;
    while (std::getline(list, dir, ':')) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  if (const char* home = std::getenv("HOME")) dirs.push_back(std::string(home) + "/.cache/dfd");
  return dirs;
}

std::string find_model_file(const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (name.empty()) throw ModelError("(model file)", "no file name given");
  if (fs::is_regular_file(name, ec)) return name;
  std::string looked = name;
  if (fs::path(name).has_parent_path()) throw ModelError(name, "no such model file");
  for (const std::string& dir : model_search_path()) {
    const fs::path candidate = fs::path(dir) / name;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    looked += ", " + candidate.string();
  }
  throw ModelError(name, "model file not found (looked at " + looked + "); set DFD_MODELS or pass a path");
}

}  // namespace dfd
