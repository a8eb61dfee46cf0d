// Private: float pixels back to uint8, rounded and saturated (what every training transform ends with).
#pragma once

#include <opencv2/core/mat.hpp>

namespace dfd::train {

inline cv::Mat to_u8(const cv::Mat& pixels) {
  cv::Mat out;
  pixels.convertTo(out, CV_8U);  // rounds and saturates
  return out;
}

}  // namespace dfd::train
