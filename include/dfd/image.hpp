// dfd/image.hpp — image files: telling one from a video, and decoding it to RGB uint8.
#pragma once

#include <string>

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

// True if `path` is a regular file holding an image OpenCV can decode (by its content, not its
// name). Never blocks: a FIFO or device is not opened.
bool is_image_file(const std::string& path);

// An image file decoded to RGB uint8 (the one colour conversion, at decode).
// throws: IoError (missing, not a regular file, unreadable), DecodeError (not an image OpenCV can
//         decode).
cv::Mat load_image_rgb(const std::string& path);

// `image` turned clockwise by `degrees` (0, 90, 180 or 270): a new, continuous image, except 0,
// which returns `image` itself (shared). Turning by 90 or 270 swaps width and height.
// throws: InvalidArgument for any other angle.
cv::Mat turn_clockwise(const cv::Mat& image, int degrees);

}  // namespace dfd
DFD_END_API
