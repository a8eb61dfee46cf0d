#include "shared_data.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dfd::test {
namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / fmt::format("dfd_tests_{}", ::getpid());
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("DFD_KEEP_TEST_FILES")) fs::remove_all(path, ec);
  }
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string shared_dir() {
  const char* env = std::getenv("DFD_SHARED_DIR");
  const fs::path dir = env ? fs::path(env) : fs::path(DFD_SOURCE_DIR) / ".." / "shared";
  if (!fs::is_directory(dir)) {
    throw std::runtime_error(fmt::format(
        "shared test data not found at {} — the tests need ../shared (data, weights, golden) beside the "
        "repository, or DFD_SHARED_DIR pointing at it", dir.string()));
  }
  return fs::weakly_canonical(dir).string();
}

std::string shared_path(const std::string& relative) {
  const fs::path p = fs::path(shared_dir()) / relative;
  if (!fs::exists(p)) throw std::runtime_error("shared test file missing: " + p.string());
  return p.string();
}

std::string test_model(const std::string& name) {
  const char* env = std::getenv("DFD_TEST_MODELS");
  const fs::path p = fs::path(env ? env : DFD_TEST_MODELS_DEFAULT) / name;
  if (!fs::exists(p)) {
    throw std::runtime_error("converted test weights missing: " + p.string() +
                             " — run the tests through ctest (its convert_test_weights step makes them) or "
                             "tests/convert_test_weights.py");
  }
  return p.string();
}

std::string temp_dir() {
  static TempDir dir;
  return dir.path.string();
}

void run_ffmpeg(const std::vector<std::string>& args) {
  std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y";
  for (const auto& a : args) cmd += " " + shell_quote(a);
  const std::string log = temp_dir() + "/ffmpeg.log";
  cmd += " > " + shell_quote(log) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream in(log);
    const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("making test media failed: " + cmd + "\n" + output);
  }
}

cv::Mat load_rgb(const std::string& path) {
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw std::runtime_error("cannot read the image " + path);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

void copy_prefix(const std::string& src, const std::string& dst, size_t bytes) {
  std::ifstream in(src, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + src);
  std::string data(bytes, '\0');
  in.read(data.data(), static_cast<std::streamsize>(bytes));
  data.resize(static_cast<size_t>(in.gcount()));
  std::ofstream(dst, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace dfd::test
