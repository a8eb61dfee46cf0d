// Where the tests find ../shared (weights, media, goldens) and make their own files.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace dfd::test {

// $DFD_SHARED_DIR, else <source dir>/../shared.
// throws std::runtime_error naming the directory when it does not exist: tests fail, never skip.
std::string shared_dir();
// shared_dir() + "/" + relative. throws std::runtime_error when that file is missing.
std::string shared_path(const std::string& relative);
// A converted test model: $DFD_TEST_MODELS (or the build's test_models/) + "/" + name.
// throws std::runtime_error saying how to make it when it is missing.
std::string test_model(const std::string& name);
// A fresh directory for this process's generated files (removed at exit).
std::string temp_dir();
// Runs the ffmpeg command line (Debian's `ffmpeg`) with the given arguments to make test media.
// throws std::runtime_error with the command and its output when it fails.
void run_ffmpeg(const std::vector<std::string>& args);
// An image file decoded to RGB (OpenCV reads BGR). throws std::runtime_error if unreadable.
cv::Mat load_rgb(const std::string& path);
// Copies the first `bytes` bytes of `src` to `dst`.
void copy_prefix(const std::string& src, const std::string& dst, size_t bytes);
void write_text(const std::string& path, const std::string& text);

}  // namespace dfd::test
