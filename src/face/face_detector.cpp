#include "dfd/face.hpp"

#include <fmt/format.h>

namespace dfd {

std::vector<std::vector<Face>> FaceDetector::detect(const std::vector<cv::Mat>& images) {
  std::vector<std::vector<Face>> out;
  out.reserve(images.size());
  for (const cv::Mat& image : images) out.push_back(detect(image));
  return out;
}

void require_rgb_image(const cv::Mat& image, const std::string& detector) {
  if (image.empty()) throw InvalidArgument("image", detector + ": the image is empty");
  if (image.type() != CV_8UC3) {
    throw InvalidArgument("image", fmt::format("{}: expected an RGB uint8 image (CV_8UC3), got type {} with {} "
                                               "channels", detector, image.type(), image.channels()));
  }
}

}  // namespace dfd
