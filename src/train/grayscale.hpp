// Private: an RGB image made gray, still three channels (the augmentations' "grey" and the
// self-blend's altered copy of a grayscale face).
#pragma once

#include <opencv2/core/mat.hpp>
#include <opencv2/imgproc.hpp>

namespace dfd::train {

inline cv::Mat grayscale(const cv::Mat& rgb) {
  cv::Mat g, out;
  cv::cvtColor(rgb, g, cv::COLOR_RGB2GRAY);
  cv::cvtColor(g, out, cv::COLOR_GRAY2RGB);
  return out;
}

}  // namespace dfd::train
