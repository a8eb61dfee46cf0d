// Image files: recognised by their content and decoded to RGB by OpenCV, never blocking on a
// FIFO or device.
#include "dfd/image.hpp"

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/input_file.hpp"

namespace dfd {

bool is_image_file(const std::string& path) {
  std::error_code ec;  // OpenCV opens the file to read its signature: only regular files
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  try {
    return cv::haveImageReader(path);
  } catch (const cv::Exception&) {
    return false;
  }
}

cv::Mat load_image_rgb(const std::string& path) {
  check_input_file(path);  // a FIFO would block imread forever
  cv::Mat bgr;
  try {
    bgr = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw DecodeError(path, std::string("cannot decode the image: ") + e.what());
  }
  if (bgr.empty()) throw DecodeError(path, "cannot decode the image");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);  // the one colour conversion, at decode
  return rgb;
}

}  // namespace dfd
