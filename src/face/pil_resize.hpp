// Pillow's Image.resize(BICUBIC) of 8-bit RGB images, bit for bit.
#pragma once

#include <opencv2/core/mat.hpp>

#include "dfd/export.hpp"  // DFD_API: exported for the tests

namespace dfd {

// What PIL.Image.fromarray(rgb).resize(size) gives (Pillow 9.4, default filter BICUBIC): the
// bicubic kernel (a = -0.5) stretched by the scale factor when shrinking — an antialiasing
// filter, unlike cv::resize's INTER_CUBIC — with Pillow's 22-bit fixed-point coefficients,
// horizontal pass first, then vertical. selimsef halves frames this way before MTCNN; OpenCV has
// no equal filter, and faces near the detection thresholds come and go with the difference.
// requires: rgb CV_8UC3, size positive. ensures: CV_8UC3 of `size`.
DFD_API cv::Mat pil_resize_bicubic(const cv::Mat& rgb, cv::Size size);

}  // namespace dfd
