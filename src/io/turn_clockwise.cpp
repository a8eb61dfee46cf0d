// Quarter turns of an image: the one place frames are rotated (a video's rotation tag, a face
// extractor standing sideways faces upright). Its own file so what needs only OpenCV's core (the
// media fuzzers) links it without the image codecs.
#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "dfd/image.hpp"

namespace dfd {

cv::Mat turn_clockwise(const cv::Mat& image, int degrees) {
  cv::Mat out;
  switch (degrees) {
    case 0: return image;
    case 90: cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE); return out;
    case 180: cv::rotate(image, out, cv::ROTATE_180); return out;
    case 270: cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE); return out;
    default: throw InvalidArgument("degrees", fmt::format("must be 0, 90, 180 or 270, got {}", degrees));
  }
}

}  // namespace dfd
